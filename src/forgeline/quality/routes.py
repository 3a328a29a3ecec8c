"""The nonconformance API under /api/v1/quality: NCRs, 8D reports, sampling plans and results.

Certificates and the Q-DAS export live in `certificate_routes` and are included here, so the
app includes one quality router.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep
from forgeline.api.pagination import Page, PageDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.production.tables import MaterialLot
from forgeline.quality import eightd, ncr, sampling, sampling_results
from forgeline.quality.certificate_routes import router as certificate_router
from forgeline.quality.schemas import (
    EightDCreate,
    EightDFields,
    EightDOut,
    EightDUpdate,
    NcrClose,
    NcrCreate,
    NcrDisposition,
    NcrOut,
    NcrUnitOut,
    NcrUpdate,
    SamplingPlanOut,
    SamplingResultCreate,
    SamplingResultOut,
)
from forgeline.quality.tables import EightD, Ncr, SamplingResult

router = APIRouter(prefix="/quality", tags=["quality"])
Reader = Annotated[Principal, Depends(require("quality.read"))]
Opener = Annotated[Principal, Depends(require("ncr.open"))]
Manager = Annotated[Principal, Depends(require("ncr.manage"))]
EightDManager = Annotated[Principal, Depends(require("eightd.manage"))]
Recorder = Annotated[Principal, Depends(require("sampling.record"))]


def ncr_out(session: Session, row: Ncr, *, with_units: bool = True) -> NcrOut:
    units = ncr.ncr_units(session, row.id)
    lot = session.get(MaterialLot, row.lot_id) if row.lot_id else None
    return NcrOut(
        code=row.code,
        source=row.source,
        title=row.title,
        description=row.description,
        status=row.status,
        alarm_id=row.alarm_id,
        measurement_id=row.measurement_id,
        lot=lot.code if lot else None,
        disposition=row.disposition,
        disposition_note=row.disposition_note,
        production_effect=row.production_effect,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        dispositioned_by=row.dispositioned_by,
        dispositioned_at=row.dispositioned_at,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
        closure_note=row.closure_note,
        unit_count=len(units),
        units=[NcrUnitOut(**u) for u in units] if with_units else None,
    )


@router.post("/ncrs", response_model=NcrOut, status_code=201)
def open_ncr(body: NcrCreate, session: SessionDep, principal: Opener) -> NcrOut:
    """Open an NCR; `contain` holds its units at once. Support opens field returns only."""
    row = ncr.open_ncr(session, **body.model_dump(), actor=principal.actor, roles=principal.roles)
    return ncr_out(session, row)


@router.get("/ncrs", response_model=Page[NcrOut])
def list_ncrs(
    session: SessionDep, page: PageDep, _p: Reader, status: str | None = None
) -> Page[NcrOut]:
    """NCRs newest first (without their unit lists)."""
    rows, total = ncr.list_ncrs(session, status=status, limit=page.limit, offset=page.offset)
    items = [ncr_out(session, row, with_units=False).model_copy(update={"unit_count": n})
             for row, n in rows]  # fmt: skip
    return Page[NcrOut](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/ncrs/{code}", response_model=NcrOut)
def get_ncr(code: str, session: SessionDep, _p: Reader) -> NcrOut:
    return ncr_out(session, ncr.get_ncr(session, code))


@router.patch("/ncrs/{code}", response_model=NcrOut)
def update_ncr(code: str, body: NcrUpdate, session: SessionDep, principal: Manager) -> NcrOut:
    """Edit an open NCR: title, description, more units (contained when asked)."""
    row = ncr.update_ncr(session, code, actor=principal.actor, **body.model_dump())
    return ncr_out(session, row)


@router.post("/ncrs/{code}/disposition", response_model=NcrOut)
def disposition_ncr(
    code: str, body: NcrDisposition, session: SessionDep, principal: Manager
) -> NcrOut:
    """Material review: use_as_is or rework releases the containment; scrap and
    return_to_supplier keep the units held (see `production_effect`)."""
    row = ncr.disposition_ncr(
        session, code, **body.model_dump(), actor=principal.actor, roles=principal.roles
    )
    return ncr_out(session, row)


@router.post("/ncrs/{code}/close", response_model=NcrOut)
def close_ncr(code: str, body: NcrClose, session: SessionDep, principal: Manager) -> NcrOut:
    return ncr_out(session, ncr.close_ncr(session, code, note=body.note, actor=principal.actor))


def eight_d_out(session: Session, row: EightD) -> EightDOut:
    ncrs, units = eightd.linked(session, row.id)
    return EightDOut(
        code=row.code,
        title=row.title,
        customer=row.customer_code,
        complaint_ref=row.complaint_ref,
        status=row.status,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        closed_by=row.closed_by,
        closed_at=row.closed_at,
        ncrs=ncrs,
        units=units,
        **{field: getattr(row, field) for field in eightd.DISCIPLINES},
    )


def _disciplines(body: EightDFields) -> dict[str, str | None]:
    return {field: getattr(body, field) for field in eightd.DISCIPLINES}


@router.post("/8d", response_model=EightDOut, status_code=201)
def open_eight_d(body: EightDCreate, session: SessionDep, principal: EightDManager) -> EightDOut:
    """Open an 8D report for a brand customer's complaint."""
    row = eightd.open_eight_d(
        session,
        title=body.title,
        customer=body.customer,
        complaint_ref=body.complaint_ref,
        disciplines=_disciplines(body),
        ncrs=body.ncrs,
        units=body.units,
        actor=principal.actor,
    )
    return eight_d_out(session, row)


@router.get("/8d", response_model=Page[EightDOut])
def list_eight_ds(
    session: SessionDep, page: PageDep, _p: Reader, status: str | None = None
) -> Page[EightDOut]:
    rows, total = eightd.list_eight_ds(session, status=status, limit=page.limit, offset=page.offset)
    items = [eight_d_out(session, row) for row in rows]
    return Page[EightDOut](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/8d/{code}", response_model=EightDOut)
def get_eight_d(code: str, session: SessionDep, _p: Reader) -> EightDOut:
    return eight_d_out(session, eightd.get_eight_d(session, code))


@router.patch("/8d/{code}", response_model=EightDOut)
def update_eight_d(
    code: str, body: EightDUpdate, session: SessionDep, principal: EightDManager
) -> EightDOut:
    """Write disciplines, link NCRs and units; `close` when D1 to D8 are written."""
    row = eightd.update_eight_d(
        session,
        code,
        actor=principal.actor,
        disciplines=_disciplines(body),
        add_ncrs=body.add_ncrs,
        add_units=body.add_units,
        close=body.close,
    )
    return eight_d_out(session, row)


@router.get("/sampling/plan", response_model=SamplingPlanOut)
def sampling_plan(
    _p: Reader,
    lot_size: Annotated[int, Query(description="items in the lot")],
    aql: Annotated[str, Query(description="e.g. 0.65, 1.0, 2.5")],
    level: Annotated[str, Query(description="I, II, III or S-1 .. S-4")] = "II",
    nonconforming: Annotated[int | None, Query(description="found in the sample")] = None,
) -> SamplingPlanOut:
    """ISO 2859-1 single sampling, normal inspection; with `nonconforming`, the decision."""
    plan = sampling.plan(lot_size, aql, level)
    return plan_out(plan, None if nonconforming is None else plan.decide(nonconforming).value)


def plan_out(plan: sampling.Plan, decision: str | None = None) -> SamplingPlanOut:
    return SamplingPlanOut(
        lot_size=plan.lot_size,
        level=plan.level.value,
        aql=str(plan.aql),
        code_letter=plan.code_letter,
        plan_letter=plan.plan_letter,
        sample_size=plan.sample_size,
        accept=plan.accept,
        reject=plan.reject,
        hundred_percent=plan.hundred_percent,
        decision=decision,
    )


def result_out(row: SamplingResult) -> SamplingResultOut:
    return SamplingResultOut(
        id=row.id,
        subject_type=row.subject_type,
        subject=row.subject_code,
        test=row.test,
        characteristic=row.characteristic_code,
        lot_size=row.lot_size,
        level=row.inspection_level,
        aql=row.aql,
        code_letter=row.code_letter,
        plan_letter=row.plan_letter,
        sample_size=row.sample_size,
        accept=row.accept_number,
        reject=row.reject_number,
        nonconforming=row.nonconforming,
        decision=row.decision,
        note=row.note,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


@router.post("/sampling/results", response_model=SamplingResultOut, status_code=201)
def record_sampling_result(
    body: SamplingResultCreate, session: SessionDep, principal: Recorder
) -> SamplingResultOut:
    """Record a sampling inspection of a lot, batch run or work order; the plan and decision
    are computed from the standard, never taken from the request."""
    row = sampling_results.record_result(session, **body.model_dump(), actor=principal.actor)
    return result_out(row)


@router.get("/sampling/results", response_model=Page[SamplingResultOut])
def list_sampling_results(
    session: SessionDep,
    page: PageDep,
    _p: Reader,
    subject_type: str | None = None,
    subject: str | None = None,
) -> Page[SamplingResultOut]:
    rows, total = sampling_results.list_results(
        session, subject_type=subject_type, subject=subject, limit=page.limit, offset=page.offset
    )
    return Page[SamplingResultOut](
        items=[result_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


router.include_router(certificate_router)
