"""Request and response models of the security API (unknown fields are refused)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from forgeline.api.schemas import StrictModel

Serial = Field(min_length=1, max_length=80)


class IdentityIn(StrictModel):
    unit: str = Serial
    csr: str = Field(min_length=1, max_length=8192, description="PKCS#10, PEM")
    territory: str = Field(min_length=2, max_length=2, description="IN, LK, NP or BD")


class IdentityOut(StrictModel):
    unit: str
    model: str
    territory: str
    imeis: list[str]
    pool: str
    serial_hex: str
    fingerprint: str
    certificate_pem: str


class IdentityBatchIn(StrictModel):
    devices: list[IdentityIn] = Field(min_length=1, max_length=2000)


class ErrorOut(StrictModel):
    code: str
    message: str
    details: dict[str, Any]


class IdentityOutcome(StrictModel):
    unit: str
    outcome: str  # issued / refused
    identity: IdentityOut | None = None
    error: ErrorOut | None = None


class IdentityBatchOut(StrictModel):
    issued: int
    refused: int
    devices: list[IdentityOutcome]
    warnings: list[dict[str, Any]]


class ReissueIn(StrictModel):
    csr: str = Field(min_length=1, max_length=8192)
    reason: str = Field(min_length=3, max_length=200)


class RevokeIn(StrictModel):
    reason: str = Field("unspecified", description="key_compromise, superseded, ...")


class IdentityView(StrictModel):
    unit_uid: str
    model_code: str
    serial_hex: str
    fingerprint: str
    imeis: list[str]
    status: str
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    station: str | None
    certificate_pem: str


class UnitIn(StrictModel):
    unit: str = Serial


class AllocationOut(StrictModel):
    unit: str
    imeis: list[str]
    newly_issued: bool
    warnings: list[dict[str, Any]]


class ImeiCheckIn(StrictModel):
    imei: str = Field(min_length=1, max_length=40)


class ImeiStatusOut(StrictModel):
    imei: str
    tac: str
    model: str
    status: str
    unit: str | None
    issued_at: datetime | None
    voided_at: datetime | None


class VoidIn(StrictModel):
    unit: str = Serial
    reason: str = Field(min_length=3, max_length=200)


class FlashIn(StrictModel):
    unit: str = Serial
    manifest: dict[str, Any]
    signature: str = Field(min_length=1, max_length=256, description="Ed25519, hex")
    flashed: dict[str, str] = Field(description="partition -> SHA-256 read back, hex")


class AttestationIn(StrictModel):
    unit: str = Serial
    serial: str = Serial
    imeis: list[str] = Field(max_length=4)
    boot_state: str = Field(max_length=20)
    bootloader_locked: bool
    security_patch: date
    certificate_fingerprint: str = Field(max_length=64)


class VerdictOut(StrictModel):
    unit: str
    verdict: str
    reasons: list[dict[str, str]]
    check_id: int | None


class PoolIn(StrictModel):
    code: str = Field(min_length=1, max_length=64)
    licensor: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=64)
    territory: str = Field(min_length=2, max_length=2)
    valid_from: date
    valid_until: date
    units: int = Field(gt=0, le=100_000_000)


class PoolOut(StrictModel):
    code: str
    licensor: str
    model: str
    territory: str
    valid_from: str
    valid_until: str
    granted: int
    consumed: int
    remaining: int
    valid_today: bool = True


class StatementLineOut(StrictModel):
    model: str
    territory: str
    units: int
    rate: Decimal
    amount: Decimal


class StatementOut(StrictModel):
    licensor: str
    quarter: str
    currency: str
    rate: Decimal
    lines: list[StatementLineOut]
    total_units: int
    earned: Decimal
    minimum: Decimal
    true_up: Decimal
    payable: Decimal
