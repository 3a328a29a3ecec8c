"""Recording sampling inspections (ring-on-ring strength, CS/DOL per basket) with their decision.

The subject is what was sampled: a material lot, a batch run (an ion-exchange basket's cycle) or
a work order. The plan is computed here from the lot size, AQL and level (`quality.sampling`),
never taken from the client, so a recorded decision always follows the standard. Audited as
`sampling.recorded`. Never commits.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import invalid, not_found
from forgeline.production.tables import BatchRun, MaterialLot, WorkOrder
from forgeline.quality import sampling
from forgeline.quality.tables import SamplingResult


class Subject(StrEnum):
    LOT = "lot"
    BATCH = "batch"
    WORK_ORDER = "work_order"


_MODELS: dict[Subject, type[MaterialLot] | type[BatchRun] | type[WorkOrder]] = {
    Subject.LOT: MaterialLot,
    Subject.BATCH: BatchRun,
    Subject.WORK_ORDER: WorkOrder,
}


def _subject(session: Session, subject_type: str, code: str) -> Subject:
    try:
        kind = Subject(subject_type)
    except ValueError:
        raise invalid(
            "sampling.unknown_subject",
            f"cannot sample a {subject_type!r}",
            allowed=[s.value for s in Subject],
        ) from None
    model = _MODELS[kind]
    if session.scalar(select(model.id).where(model.code == code)) is None:
        raise not_found("sampling.subject_not_found", f"no {kind.value} {code!r}", subject=code)
    return kind


def record_result(
    session: Session,
    *,
    subject_type: str,
    subject: str,
    test: str,
    lot_size: int,
    aql: str,
    nonconforming: int,
    actor: str,
    level: str = "II",
    characteristic: str | None = None,
    note: str = "",
) -> SamplingResult:
    """Compute the plan, decide, and record the result."""
    test = test.strip()
    if not test or len(test) > 64:
        raise invalid("sampling.test_required", "name the test (1 to 64 characters)")
    kind = _subject(session, subject_type, subject.strip())
    plan = sampling.plan(lot_size, aql, level)
    decision = plan.decide(nonconforming)
    row = SamplingResult(
        subject_type=kind.value,
        subject_code=subject.strip(),
        test=test,
        characteristic_code=(characteristic or "").strip() or None,
        lot_size=lot_size,
        inspection_level=plan.level.value,
        aql=str(plan.aql),
        code_letter=plan.code_letter,
        plan_letter=plan.plan_letter,
        sample_size=plan.sample_size,
        accept_number=plan.accept,
        reject_number=plan.reject,
        nonconforming=nonconforming,
        decision=decision.value,
        note=note.strip()[:2000],
        recorded_by=actor,
        recorded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    append(
        session,
        actor=actor,
        action="sampling.recorded",
        object_type="sampling_result",
        object_id=str(row.id),
        after=result_summary(row),
    )
    return row


def result_summary(row: SamplingResult) -> dict[str, object]:
    return {
        "subject_type": row.subject_type,
        "subject": row.subject_code,
        "test": row.test,
        "characteristic": row.characteristic_code,
        "lot_size": row.lot_size,
        "level": row.inspection_level,
        "aql": row.aql,
        "code_letter": row.code_letter,
        "plan_letter": row.plan_letter,
        "sample_size": row.sample_size,
        "accept": row.accept_number,
        "reject": row.reject_number,
        "nonconforming": row.nonconforming,
        "decision": row.decision,
    }


def list_results(
    session: Session,
    *,
    subject_type: str | None = None,
    subject: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SamplingResult], int]:
    query = select(SamplingResult)
    if subject_type is not None:
        query = query.where(SamplingResult.subject_type == subject_type)
    if subject is not None:
        query = query.where(SamplingResult.subject_code == subject)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(SamplingResult.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total)


def results_for(session: Session, subjects: dict[Subject, set[str]]) -> list[SamplingResult]:
    """Every result recorded against any of these subjects, oldest first."""
    found: list[SamplingResult] = []
    for kind, codes in subjects.items():
        if codes:
            found.extend(
                session.scalars(
                    select(SamplingResult).where(
                        SamplingResult.subject_type == kind.value,
                        SamplingResult.subject_code.in_(sorted(codes)),
                    )
                )
            )
    return sorted(found, key=lambda r: r.id)
