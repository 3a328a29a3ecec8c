"""End-of-line security check: the device's attestation facts against Forgeline's records.

The station posts what the device attests (boot state, bootloader lock, patch level, the serial
and IMEIs it reports, its identity certificate's fingerprint). Every fact is compared with the
records (active identity, issued IMEIs, the release flashed) and the model's minimum patch level.
The verdict - pass, or fail with every reason - is recorded in `eol_check` either way (packing
will demand a pass) and audited as ``eol.checked``; a failing device is answered with the first
reason's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, ErrorKind, invalid
from forgeline.security.handsets import handset_unit
from forgeline.security.ledger import issued_imeis
from forgeline.security.releases import latest_flash
from forgeline.security.tables import DeviceIdentity, EolCheck, SecurityPolicy


@dataclass(frozen=True)
class Attestation:
    unit: str
    serial: str
    imeis: list[str]
    boot_state: str  # "verified" is the only passing state (Android's green)
    bootloader_locked: bool
    security_patch: date
    certificate_fingerprint: str

    def facts(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "imeis": list(self.imeis),
            "boot_state": self.boot_state,
            "bootloader_locked": self.bootloader_locked,
            "security_patch": self.security_patch.isoformat(),
            "certificate_fingerprint": self.certificate_fingerprint.lower(),
        }


@dataclass
class Verdict:
    unit: str
    passed: bool
    reasons: list[dict[str, str]] = field(default_factory=list)
    check_id: int | None = None

    def error(self) -> DomainError:
        first = self.reasons[0]
        return DomainError(
            first["code"],
            f"end-of-line check failed: {first['message']}",
            {"unit": self.unit, "reasons": self.reasons, "verdict": "fail"},
            ErrorKind.CONFLICT,
        )


def set_minimum_patch(session: Session, model: str, minimum: date, actor: str) -> None:
    policy = session.get(SecurityPolicy, model)
    before = {"minimum_patch": policy.minimum_patch.isoformat()} if policy else None
    if policy is None:
        session.add(SecurityPolicy(model_code=model, minimum_patch=minimum, updated_at=utcnow()))
    else:
        policy.minimum_patch, policy.updated_at = minimum, utcnow()
    session.flush()
    append(
        session, actor=actor, action="security_policy.set", object_type="model", object_id=model,
        before=before, after={"minimum_patch": minimum.isoformat()},
    )  # fmt: skip


def _reasons(session: Session, facts: Attestation, model: str) -> list[dict[str, str]]:
    reasons: list[dict[str, str]] = []

    def fail(code: str, message: str) -> None:
        reasons.append({"code": code, "message": message})

    if facts.serial != facts.unit:
        fail("eol.serial_mismatch", f"the device reports serial {facts.serial!r}")
    held = set(issued_imeis(session, [facts.unit]).get(facts.unit, ()))
    if not held:
        fail("eol.no_imei", "no IMEI was issued to this unit")
    elif set(facts.imeis) != held or len(facts.imeis) != len(held):
        fail(
            "eol.imei_mismatch", f"the device reports {sorted(facts.imeis)}, issued {sorted(held)}"
        )
    identity = session.scalar(
        select(DeviceIdentity.fingerprint).where(
            DeviceIdentity.unit_uid == facts.unit, DeviceIdentity.status == "active"
        )
    )
    if identity is None:
        fail("eol.no_identity", "the unit has no active identity certificate")
    elif identity != facts.certificate_fingerprint.lower():
        fail("eol.certificate_mismatch", "the device's certificate is not the one issued")
    if facts.boot_state != "verified":
        fail("eol.boot_not_verified", f"verified-boot state is {facts.boot_state!r}")
    if not facts.bootloader_locked:
        fail("eol.bootloader_unlocked", "the bootloader is unlocked")
    flashed = latest_flash(session, facts.unit)
    if flashed is None:
        fail("eol.not_flashed", "no accepted flash report for this unit")
    elif flashed.security_patch != facts.security_patch:
        fail(
            "eol.patch_mismatch",
            f"the device reports patch {facts.security_patch}, flashed {flashed.security_patch}",
        )
    policy = session.get(SecurityPolicy, model)
    if policy is not None and facts.security_patch < policy.minimum_patch:
        fail(
            "eol.patch_too_old",
            f"patch level {facts.security_patch} is below the minimum {policy.minimum_patch}",
        )
    return reasons


def check_end_of_line(
    session: Session, facts: Attestation, actor: str, station: str | None = None
) -> Verdict:
    """Compare, record and audit the verdict. An unknown unit is refused (nothing recorded)."""
    if len(facts.imeis) > 2:
        raise invalid("eol.imei_mismatch", "a handset reports at most two IMEIs")
    handset = handset_unit(session, facts.unit)
    reasons = _reasons(session, facts, handset.model.code)
    verdict = Verdict(facts.unit, not reasons, reasons)
    row = EolCheck(
        unit_uid=facts.unit,
        verdict="pass" if verdict.passed else "fail",
        reasons=reasons,
        facts=facts.facts(),
        station=station,
        checked_at=utcnow(),
    )
    session.add(row)
    session.flush()
    verdict.check_id = row.id
    append(
        session, actor=actor, action="eol.checked", object_type="unit", object_id=facts.unit,
        after={"verdict": row.verdict, "reasons": [r["code"] for r in reasons],
               "station": station},
    )  # fmt: skip
    return verdict
