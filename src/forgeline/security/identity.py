"""Identity issuance at the provisioning station: CSR in, certificate bound to the unit out.

`issue_identities` takes a batch (a provisioning line sends many; a single station sends one)
and for each device: checks the CSR (signature, P-256, CN = the unit serial), refuses a second
identity, takes one licence unit for the model and intended territory, allocates the IMEI or
consecutive IMEI pair, signs the certificate naming serial and IMEIs, and stores it. RefusalError
devices write nothing and get one ``identity.issue.refused`` audit entry each; the accepted ones
share one ``identity.issued`` entry listing every device (unit, certificate serial and
fingerprint, IMEIs, licence pool) - never the CSR or any key.

Re-issue is its own action: it revokes the active certificate (superseded) and issues a new one
for the same IMEIs, without taking another licence unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, conflict, invalid, not_found
from forgeline.production.bulk import driver_values, insert_rows
from forgeline.security import ledger, licences
from forgeline.security.authority import Issuer, issuer, publish_crl
from forgeline.security.devicecert import DeviceCertificate
from forgeline.security.handsets import HandsetUnit, check_territory, handset_units
from forgeline.security.pki import REVOCATION_REASONS, check_csr, new_serial
from forgeline.security.refusals import RefusalError, attempt, record_refusal
from forgeline.security.tables import DeviceIdentity, LicenceConsumption, LicencePool

_IDENTITY_COLUMNS = (
    "unit_uid", "model_code", "serial_hex", "fingerprint", "issuer_id", "imeis",
    "certificate_pem", "station", "issued_at", "not_after", "status",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class IdentityRequest:
    unit: str
    csr: str
    territory: str


@dataclass(frozen=True, slots=True)
class Issued:
    unit: str
    model: str
    territory: str
    imeis: tuple[str, ...]
    pool: str
    serial_hex: str
    fingerprint: str
    certificate_pem: str


@dataclass(frozen=True, slots=True)
class Outcome:
    unit: str
    issued: Issued | None = None
    error: DomainError | None = None


def active_identities(session: Session, uids: Sequence[str]) -> set[str]:
    return set(
        session.scalars(
            select(DeviceIdentity.unit_uid).where(
                DeviceIdentity.unit_uid.in_(list(uids)), DeviceIdentity.status == "active"
            )
        )
    )


def _screen(
    session: Session, requests: Sequence[IdentityRequest]
) -> tuple[list[tuple[IdentityRequest, HandsetUnit, Any]], dict[str, DomainError]]:
    """Checks that need no lock: unit, duplicate, existing identity, territory, CSR."""
    uids = [r.unit for r in requests]
    units = handset_units(session, uids)
    active = active_identities(session, uids)
    passed: list[tuple[IdentityRequest, HandsetUnit, Any]] = []
    refused: dict[str, DomainError] = {}
    for request in requests:
        try:
            unit = units.get(request.unit)
            if unit is None:
                raise not_found("unit.not_a_handset", f"no handset with serial {request.unit!r}")
            if unit.status == "scrapped":
                raise conflict("unit.scrapped", f"handset {unit.uid} is scrapped")
            if request.unit in active:
                raise conflict(
                    "identity.exists",
                    f"handset {unit.uid} has an identity; re-issue is a separate, audited action",
                    unit=unit.uid,
                )
            check_territory(unit.model, request.territory)
            checked = check_csr(request.csr, unit.uid)
        except DomainError as error:
            refused[request.unit] = error
            continue
        passed.append((request, unit, checked.public_key))
    return passed, refused


def _sign(
    ca: Issuer, unit: str, imeis: Sequence[str], public_key: Any, now: datetime
) -> DeviceCertificate:
    return ca.encoder.issue(public_key, unit, imeis, new_serial(), now)


def issue_identities(
    session: Session,
    settings: Settings,
    requests: Sequence[IdentityRequest],
    *,
    actor: str,
    station: str | None = None,
) -> tuple[list[Outcome], list[dict[str, Any]]]:
    """Provision a batch of devices; returns one outcome per request and any range warnings."""
    units = [r.unit for r in requests]
    if len(set(units)) != len(units):
        twice = sorted({u for u in units if units.count(u) > 1})
        raise invalid(
            "identity.duplicate_in_batch", "a unit appears twice in the batch", units=twice[:20]
        )
    ca = issuer(session, settings)
    now = utcnow()
    today = now.date()
    passed, refused = _screen(session, requests)
    # Resources, in one lock order everywhere: licence pools, then IMEI ranges.
    demands = [licences.Demand(r.unit, u.model.code, r.territory) for r, u, _ in passed]
    already = licences.consumed_by(session, [d.unit for d in demands])
    fresh = [d for d in demands if d.unit not in already]
    pools = licences.lock_pools(session, {d.key for d in fresh}, today)
    granted, no_licence = licences.assign(session, fresh, pools, today)
    refused.update(no_licence)
    licensed = [(r, u, k) for r, u, k in passed if r.unit not in no_licence]
    allocation = ledger.allocate(session, [u for _, u, _ in licensed], now, partial=True)
    refused.update(allocation.refused)
    ready = [(r, u, k) for r, u, k in licensed if r.unit not in allocation.refused]
    ready_units = {r.unit for r, _, _ in ready}
    licences.record(session, [d for d in fresh if d.unit in ready_units], granted, now)
    pool_of = {**already, **{uid: slot.code for uid, slot in granted.items()}}
    issued: dict[str, Issued] = {}
    values = driver_values(session)
    issued_at = values.time(now)
    rows: list[tuple[Any, ...]] = []
    for request, unit, key in ready:
        imeis = allocation.imeis[unit.uid]
        certificate = _sign(ca, unit.uid, imeis, key, now)
        serial_hex, thumb, pem = (
            format(certificate.serial, "x"),
            certificate.fingerprint,
            certificate.pem,
        )
        issued[unit.uid] = Issued(
            unit.uid, unit.model.code, request.territory, imeis, pool_of[unit.uid], serial_hex,
            thumb, pem,
        )  # fmt: skip
        rows.append(
            (
                unit.uid, unit.model.code, serial_hex, thumb, ca.id, values.json(list(imeis)),
                pem, station, issued_at, values.time(certificate.not_after), "active",
            )
        )  # fmt: skip
    if rows:
        insert_rows(session, "device_identity", _IDENTITY_COLUMNS, rows)
        append(
            session,
            actor=actor,
            action="identity.issued",
            object_type="identity_batch",
            object_id=f"{rows[0][0]}+{len(rows) - 1}",
            after={
                "station": station,
                "issuer": ca.name,
                "devices": [
                    [i.unit, i.serial_hex, i.fingerprint, list(i.imeis), i.pool, i.territory]
                    for i in issued.values()
                ],
                "fields": ["unit", "cert_serial", "fingerprint", "imeis", "pool", "territory"],
                "warnings": allocation.warnings,
            },
        )
    for request in requests:
        error = refused.get(request.unit)
        if error is not None:
            record_refusal(
                session,
                error,
                actor=actor,
                action="identity.issue",
                object_type="unit",
                object_id=request.unit,
                attempt={"station": station, "territory": request.territory},
            )
    outcomes = [
        Outcome(r.unit, issued=issued.get(r.unit), error=refused.get(r.unit)) for r in requests
    ]
    return outcomes, allocation.warnings


def issue_one(
    session: Session,
    settings: Settings,
    request: IdentityRequest,
    *,
    actor: str,
    station: str | None = None,
) -> Issued:
    """One device; a refusal is already audited and raised as `RefusalError`."""
    with attempt(
        session, actor=actor, action="identity.issue", object_type="unit",
        object_id=request.unit, asked={"station": station, "territory": request.territory},
    ):  # fmt: skip
        outcome = issue_identities(session, settings, [request], actor=actor, station=station)[0][0]
        if outcome.issued is None:
            assert outcome.error is not None
            raise RefusalError(outcome.error)
    return outcome.issued


def find_identity(session: Session, key: str) -> DeviceIdentity:
    """The newest identity of a unit serial, IMEI, certificate serial (hex) or fingerprint."""
    text = key.strip().lower()
    candidates = select(DeviceIdentity).order_by(DeviceIdentity.id.desc()).limit(1)
    for condition in (
        DeviceIdentity.unit_uid == key.strip(),
        DeviceIdentity.serial_hex == text,
        DeviceIdentity.fingerprint == text,
    ):
        found = session.scalar(candidates.where(condition))
        if found is not None:
            return found
    imei_unit = (
        ledger.check_imei(session, text)["unit"] if text.isdigit() and len(text) == 15 else None
    )
    if imei_unit is not None:
        found = session.scalar(candidates.where(DeviceIdentity.unit_uid == imei_unit))
        if found is not None:
            return found
    raise not_found("identity.unknown", f"no device certificate for {key!r}", key=key)


def _revoke(session: Session, identity: DeviceIdentity, reason: str) -> None:
    if reason not in REVOCATION_REASONS:
        raise conflict("identity.bad_reason", f"reason must be one of {sorted(REVOCATION_REASONS)}")
    session.execute(
        update(DeviceIdentity)
        .where(DeviceIdentity.id == identity.id)
        .values(status="revoked", revoked_at=utcnow(), revocation_reason=reason)
    )
    session.refresh(identity)


def revoke(
    session: Session, settings: Settings, unit: str, reason: str, actor: str
) -> DeviceIdentity:
    """Revoke a unit's active certificate and publish a new CRL."""
    with attempt(
        session, actor=actor, action="identity.revoke", object_type="unit", object_id=unit,
        asked={"reason": reason},
    ):  # fmt: skip
        identity = _active(session, unit)
        _revoke(session, identity, reason)
        append(
            session, actor=actor, action="identity.revoked", object_type="unit", object_id=unit,
            after={"cert_serial": identity.serial_hex, "reason": reason},
        )  # fmt: skip
        publish_crl(session, settings, actor)
    return identity


def _active(session: Session, unit: str) -> DeviceIdentity:
    identity = session.scalar(
        select(DeviceIdentity).where(
            DeviceIdentity.unit_uid == unit, DeviceIdentity.status == "active"
        )
    )
    if identity is None:
        raise not_found("identity.none_active", f"handset {unit} has no active identity", unit=unit)
    return identity


def reissue(
    session: Session,
    settings: Settings,
    unit: str,
    csr: str,
    reason: str,
    actor: str,
    station: str | None = None,
) -> Issued:
    """Replace a unit's identity: revoke the old certificate (superseded), issue a new one for
    the same IMEIs and licence unit. Explicit and audited; refusals are audited too."""
    with attempt(
        session, actor=actor, action="identity.reissue", object_type="unit", object_id=unit,
        asked={"reason": reason, "station": station},
    ):  # fmt: skip
        old = _active(session, unit)
        checked = check_csr(csr, unit)
        _revoke(session, old, "superseded")
        ca = issuer(session, settings)
        now = utcnow()
        certificate = _sign(ca, unit, old.imeis, checked.public_key, now)
        serial_hex, thumb, pem = (
            format(certificate.serial, "x"),
            certificate.fingerprint,
            certificate.pem,
        )
        session.add(
            DeviceIdentity(
                unit_uid=unit, model_code=old.model_code, serial_hex=serial_hex,
                fingerprint=thumb, issuer_id=ca.id, imeis=list(old.imeis),
                certificate_pem=pem, station=station, issued_at=now,
                not_after=certificate.not_after, status="active",
            )
        )  # fmt: skip
        session.flush()
        append(
            session, actor=actor, action="identity.reissued", object_type="unit", object_id=unit,
            before={"cert_serial": old.serial_hex, "fingerprint": old.fingerprint},
            after={"cert_serial": serial_hex, "fingerprint": thumb, "reason": reason},
        )  # fmt: skip
        publish_crl(session, settings, actor)
        licence = session.execute(
            select(LicenceConsumption.territory, LicencePool.code)
            .join(LicencePool, LicencePool.id == LicenceConsumption.pool_id)
            .where(LicenceConsumption.unit_uid == unit)
        ).first()
    territory, pool = licence if licence is not None else ("", "")
    return Issued(unit, old.model_code, territory, tuple(old.imeis), pool, serial_hex, thumb, pem)
