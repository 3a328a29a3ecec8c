"""The provisioning station API: CSR in / certificate out, IMEIs, flash reports, end of line.

A refusal is answered with the error envelope *after* its audit entry commits (see
`refusals.py`): these handlers return the error instead of raising it, so the request's
transaction keeps the record of the attempt and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.api.errors import error_response
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.errors import DomainError
from forgeline.security import identity, ledger
from forgeline.security.eol import Attestation, check_end_of_line
from forgeline.security.handsets import handset_unit
from forgeline.security.refusals import RefusalError, attempt
from forgeline.security.releases import accept_flash
from forgeline.security.schemas import (
    AllocationOut,
    AttestationIn,
    ErrorOut,
    FlashIn,
    IdentityBatchIn,
    IdentityBatchOut,
    IdentityIn,
    IdentityOut,
    IdentityOutcome,
    IdentityView,
    ImeiCheckIn,
    ImeiStatusOut,
    ReissueIn,
    RevokeIn,
    UnitIn,
    VerdictOut,
    VoidIn,
)

router = APIRouter(prefix="/security", tags=["security"])
Provisioner = Annotated[Principal, Depends(require("security.provision"))]
Manager = Annotated[Principal, Depends(require("security.manage"))]
Reader = Annotated[Principal, Depends(require("security.read"))]
T = TypeVar("T")
REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {"description": "refused (conflict); the attempt is audited"},
    422: {"description": "refused (invalid); the attempt is audited"},
}


def station_of(principal: Principal) -> str | None:
    return principal.name if principal.kind is PrincipalKind.STATION else None


def refusal(error: DomainError) -> JSONResponse:
    return error_response(error.kind.http_status, error.code, error.message, error.details)


def audited(
    session: SessionDep,
    principal: Principal,
    action: str,
    object_id: str,
    asked: dict[str, Any],
    work: Callable[[], T],
) -> T | JSONResponse:
    """Run `work`; a refusal is audited, committed and answered as the error envelope."""
    try:
        with attempt(
            session, actor=principal.actor, action=action, object_type="unit",
            object_id=object_id, asked={**asked, "station": station_of(principal)},
        ):  # fmt: skip
            return work()
    except RefusalError as error:
        return refusal(error)


def identity_out(issued: identity.Issued) -> IdentityOut:
    return IdentityOut(
        unit=issued.unit, model=issued.model, territory=issued.territory,
        imeis=list(issued.imeis), pool=issued.pool, serial_hex=issued.serial_hex,
        fingerprint=issued.fingerprint, certificate_pem=issued.certificate_pem,
    )  # fmt: skip


@router.post("/identities", response_model=IdentityOut, status_code=201, responses=REFUSALS)
def issue_identity(
    body: IdentityIn, session: SessionDep, settings: SettingsDep, principal: Provisioner
) -> IdentityOut | JSONResponse:
    """Check the device's CSR, take its licence unit and IMEI(s), issue its certificate."""
    request = identity.IdentityRequest(body.unit, body.csr, body.territory)
    try:
        issued = identity.issue_one(
            session, settings, request, actor=principal.actor, station=station_of(principal)
        )
    except RefusalError as error:
        return refusal(error)
    return identity_out(issued)


@router.post("/identities/batch", response_model=IdentityBatchOut, responses=REFUSALS)
def issue_identity_batch(
    body: IdentityBatchIn, session: SessionDep, settings: SettingsDep, principal: Provisioner
) -> IdentityBatchOut | JSONResponse:
    """A provisioning line's batch (up to 2,000 devices, one transaction): each device is
    issued or refused on its own; refused devices write nothing but their audit entry."""
    requests = [identity.IdentityRequest(d.unit, d.csr, d.territory) for d in body.devices]
    station = station_of(principal)
    try:  # a refusal of the whole batch (a unit twice, no CA yet) is audited like any other
        with attempt(
            session, actor=principal.actor, action="identity.batch", object_type="identity_batch",
            object_id=requests[0].unit, asked={"devices": len(requests), "station": station},
        ):  # fmt: skip
            outcomes, warnings = identity.issue_identities(
                session, settings, requests, actor=principal.actor, station=station
            )
    except RefusalError as error:
        return refusal(error)
    devices = [
        IdentityOutcome(unit=o.unit, outcome="issued", identity=identity_out(o.issued))
        if o.issued
        else IdentityOutcome(
            unit=o.unit, outcome="refused", error=ErrorOut(**o.error.to_dict()) if o.error else None
        )
        for o in outcomes
    ]
    issued = sum(1 for o in outcomes if o.issued)
    return IdentityBatchOut(
        issued=issued, refused=len(outcomes) - issued, devices=devices, warnings=warnings
    )


@router.post("/identities/{unit}/reissue", response_model=IdentityOut, responses=REFUSALS)
def reissue_identity(
    unit: str, body: ReissueIn, session: SessionDep, settings: SettingsDep, principal: Manager
) -> IdentityOut | JSONResponse:
    """Explicit re-issue: revokes the active certificate (superseded), issues a new one."""
    try:
        issued = identity.reissue(
            session, settings, unit, body.csr, body.reason, principal.actor, station_of(principal)
        )
    except RefusalError as error:
        return refusal(error)
    return identity_out(issued)


@router.post("/identities/{unit}/revoke", response_model=IdentityView, responses=REFUSALS)
def revoke_identity(
    unit: str, body: RevokeIn, session: SessionDep, settings: SettingsDep, principal: Manager
) -> IdentityView | JSONResponse:
    """Revoke a unit's certificate and publish a new CRL."""
    try:
        row = identity.revoke(session, settings, unit, body.reason, principal.actor)
    except RefusalError as error:
        return refusal(error)
    return IdentityView.model_validate(row)


@router.get("/identities/{key}", response_model=IdentityView)
def find_identity(key: str, session: SessionDep, _principal: Reader) -> IdentityView:
    """The newest certificate of a unit serial, IMEI, certificate serial or fingerprint."""
    return IdentityView.model_validate(identity.find_identity(session, key))


@router.post("/imeis/allocate", response_model=AllocationOut, responses=REFUSALS)
def allocate_imeis(
    body: UnitIn, session: SessionDep, principal: Provisioner
) -> AllocationOut | JSONResponse:
    """The unit's IMEI (or consecutive pair): allocated once, answered again on a retry."""

    def work() -> AllocationOut:
        unit = handset_unit(session, body.unit)
        result = ledger.allocate_for_units(session, [unit], principal.actor, station_of(principal))
        return AllocationOut(
            unit=body.unit, imeis=list(result.imeis[body.unit]),
            newly_issued=body.unit in result.fresh, warnings=result.warnings,
        )  # fmt: skip

    return audited(session, principal, "imei.allocate", body.unit, {}, work)


@router.post("/imeis/check", response_model=ImeiStatusOut, responses=REFUSALS)
def check_imei(
    body: ImeiCheckIn, session: SessionDep, principal: Provisioner
) -> ImeiStatusOut | JSONResponse:
    """Check digit, TAC and ledger status of an IMEI (POST: a refused check is audited)."""
    return audited(
        session, principal, "imei.check", body.imei, {"imei": body.imei},
        lambda: ImeiStatusOut(**ledger.check_imei(session, body.imei)),
    )  # fmt: skip


@router.post("/imeis/void", response_model=list[str], responses=REFUSALS)
def void_imeis(body: VoidIn, session: SessionDep, principal: Manager) -> list[str] | JSONResponse:
    """Void a scrapped handset's IMEIs (kept in the ledger, never reissued)."""

    def work() -> list[str]:
        unit = handset_unit(session, body.unit)
        return ledger.void_unit(session, unit, body.reason, principal.actor)

    return audited(session, principal, "imei.void", body.unit, {"reason": body.reason}, work)


@router.post("/flash", responses=REFUSALS)
def report_flash(body: FlashIn, session: SessionDep, principal: Provisioner) -> Any:
    """Accept what the station flashed: valid signed manifest, matching hashes, no rollback."""
    try:
        return accept_flash(
            session, unit=body.unit, document=body.manifest, signature_hex=body.signature,
            flashed=body.flashed, actor=principal.actor, station=station_of(principal),
        )  # fmt: skip
    except RefusalError as error:
        return refusal(error)


@router.post("/eol", response_model=VerdictOut, responses=REFUSALS)
def end_of_line(
    body: AttestationIn, session: SessionDep, principal: Provisioner, response: Response
) -> VerdictOut | JSONResponse:
    """Check the attestation against the records; the verdict is recorded pass or fail, and a
    failing device is answered 409 with its first reason's code and every reason."""
    facts = Attestation(**body.model_dump())
    result = audited(
        session, principal, "eol.check", body.unit, {},
        lambda: check_end_of_line(session, facts, principal.actor, station_of(principal)),
    )  # fmt: skip
    if isinstance(result, JSONResponse):
        return result
    if not result.passed:
        return refusal(result.error())
    return VerdictOut(unit=result.unit, verdict="pass", reasons=[], check_id=result.check_id)
