"""Security records: certificate authorities, device identities, the IMEI ledger, licence pools,
signed releases and flash records, end-of-line verdicts and royalty terms.

Limited resources keep a counter row that allocators lock (`imei_range.next_serial`,
`licence_pool.consumed`); the rows they hand out carry unique constraints as a second line of
defence, so a bug can at worst fail a transaction, never issue something twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forgeline.db.base import Base, BigId, utcnow

CODE = 64
UID = 80  # as production's unit.uid


class CertificateAuthority(Base):
    """The root and the factory intermediate(s). Keys are PKCS#8, encrypted at rest."""

    __tablename__ = "certificate_authority"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(CODE), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # root / intermediate
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_authority.id"))
    serial_hex: Mapped[str] = mapped_column(String(40), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    certificate_pem: Mapped[str] = mapped_column(Text)
    # Encrypted PKCS#8 PEM; NULL when the key lives in an HSM (then `key_ref` names it).
    encrypted_key_pem: Mapped[str | None] = mapped_column(Text)
    key_protection: Mapped[str] = mapped_column(String(16))  # passphrase / secret_key / hsm
    key_ref: Mapped[str | None] = mapped_column(String(200))
    not_after: Mapped[datetime]
    crl_number: Mapped[int] = mapped_column(Integer, default=0)
    crl_pem: Mapped[str | None] = mapped_column(Text)  # the latest CRL, as published
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeviceIdentity(Base):
    """A device identity certificate, bound to one handset. One active identity per unit."""

    __tablename__ = "device_identity"
    __table_args__ = (
        Index(
            "ix_device_identity_one_active",
            "unit_uid",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_device_identity_unit", "unit_uid"),
        Index("ix_device_identity_issued_at", "issued_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_uid: Mapped[str] = mapped_column(String(UID))
    model_code: Mapped[str] = mapped_column(String(CODE))
    serial_hex: Mapped[str] = mapped_column(String(40), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the DER
    issuer_id: Mapped[int] = mapped_column(ForeignKey("certificate_authority.id"))
    imeis: Mapped[list[str]] = mapped_column(JSON)
    certificate_pem: Mapped[str] = mapped_column(Text)
    station: Mapped[str | None] = mapped_column(String(CODE))
    issued_at: Mapped[datetime]
    not_after: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))  # active / revoked
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(40))


class ImeiRange(Base):
    """One TAC's counter: serials below `next_serial` are issued or skipped, never again free."""

    __tablename__ = "imei_range"
    __table_args__ = (CheckConstraint("next_serial BETWEEN 0 AND 1000000", name="serial_bound"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tac: Mapped[str] = mapped_column(String(8), unique=True)
    model_code: Mapped[str] = mapped_column(String(CODE), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order of the TAC in the model's list
    next_serial: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImeiRecord(Base):
    """Every IMEI ever issued. Voided on scrap, never deleted, never reissued."""

    __tablename__ = "imei_record"
    __table_args__ = (Index("ix_imei_record_unit", "unit_uid"),)

    imei: Mapped[str] = mapped_column(String(15), primary_key=True)
    tac: Mapped[str] = mapped_column(String(8))
    model_code: Mapped[str] = mapped_column(String(CODE))
    unit_uid: Mapped[str] = mapped_column(String(UID))
    slot: Mapped[int] = mapped_column(Integer)  # 1 or 2 (SIM slot)
    status: Mapped[str] = mapped_column(String(12))  # issued / voided
    issued_at: Mapped[datetime]
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(200))


class LicencePool(Base):
    """Units the licensor granted for one model and territory, valid in a window."""

    __tablename__ = "licence_pool"
    __table_args__ = (
        CheckConstraint("consumed >= 0 AND consumed <= granted", name="within_grant"),
        Index("ix_licence_pool_lookup", "model_code", "territory", "valid_from"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    licensor: Mapped[str] = mapped_column(String(CODE))
    model_code: Mapped[str] = mapped_column(String(CODE))
    territory: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)  # inclusive
    granted: Mapped[int] = mapped_column(Integer)
    consumed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LicenceConsumption(Base):
    """One licence unit taken by one device: a device consumes exactly one, ever."""

    __tablename__ = "licence_consumption"
    __table_args__ = (Index("ix_licence_consumption_pool_time", "pool_id", "consumed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("licence_pool.id"))
    unit_uid: Mapped[str] = mapped_column(String(UID), unique=True)
    model_code: Mapped[str] = mapped_column(String(CODE))
    territory: Mapped[str] = mapped_column(String(2))
    consumed_at: Mapped[datetime]


class RoyaltyAgreement(Base):
    """A licensor's terms: a per-unit rate and a minimum guaranteed royalty per quarter."""

    __tablename__ = "royalty_agreement"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    licensor: Mapped[str] = mapped_column(String(CODE), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    rate_per_unit: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    minimum_per_quarter: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleaseKey(Base):
    """An Ed25519 public key trusted to sign release manifests (the private key stays with
    the build system)."""

    __tablename__ = "release_key"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(CODE))
    public_key_hex: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleaseManifest(Base):
    """A signed release of a model's software, stored as first accepted."""

    __tablename__ = "release_manifest"
    __table_args__ = (UniqueConstraint("model_code", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    model_code: Mapped[str] = mapped_column(String(CODE))
    version: Mapped[str] = mapped_column(String(CODE))
    security_patch: Mapped[date] = mapped_column(Date)
    rollback_index: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the signed bytes
    key_id: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature_hex: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelRollbackFloor(Base):
    """The highest rollback index accepted for a model: no device may be flashed below it."""

    __tablename__ = "model_rollback_floor"

    model_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    rollback_index: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlashRecord(Base):
    """What a station flashed into a device, accepted against a signed manifest."""

    __tablename__ = "flash_record"
    __table_args__ = (Index("ix_flash_record_unit", "unit_uid", "flashed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_uid: Mapped[str] = mapped_column(String(UID))
    manifest_id: Mapped[int] = mapped_column(ForeignKey("release_manifest.id"))
    station: Mapped[str | None] = mapped_column(String(CODE))
    flashed_at: Mapped[datetime]


class SecurityPolicy(Base):
    """Per-model security minimums the end-of-line check enforces."""

    __tablename__ = "security_policy"

    model_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    minimum_patch: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EolCheck(Base):
    """An end-of-line security verdict: the device's attestation facts against our records."""

    __tablename__ = "eol_check"
    __table_args__ = (Index("ix_eol_check_unit", "unit_uid", "checked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_uid: Mapped[str] = mapped_column(String(UID))
    verdict: Mapped[str] = mapped_column(String(8))  # pass / fail
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    station: Mapped[str | None] = mapped_column(String(CODE))
    checked_at: Mapped[datetime]
