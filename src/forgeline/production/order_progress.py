"""A work order's progress per operation, and the units behind a figure (the click-through list).

Progress per operation: for each step of the order's routing, how many of its units passed it
(first visit or later), failed or were scrapped there, and how many wait for it or are in it now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session

from forgeline.plant import queries as plant_queries
from forgeline.production.routing import Result, Status
from forgeline.production.tables import Defect, OperationRecord, Unit, WorkOrder

UNIT_LIST_LIMIT = 500


@dataclass(frozen=True)
class OperationProgress:
    operation_code: str
    name: str
    rework_only: bool
    results: dict[str, int] = field(default_factory=dict)  # result -> track-outs
    waiting: int = 0
    in_process: int = 0

    @property
    def passed(self) -> int:
        return self.results.get(Result.PASS.value, 0)


def operation_progress(session: Session, order: WorkOrder) -> list[OperationProgress]:
    """Each step of the order's routing with its track-outs by result and the units at it now."""
    product = plant_queries.product(session, order.plant_revision, order.product_code)
    routing = plant_queries.routing(session, order.plant_revision, product.routing_code)
    record = OperationRecord
    results: dict[str, dict[str, int]] = defaultdict(dict)
    for op, result, n in session.execute(
        select(record.operation_code, record.result, func.count())
        .join(Unit, Unit.id == record.unit_id)
        .where(Unit.work_order_id == order.id, record.result.is_not(None))
        .group_by(record.operation_code, record.result)
    ):
        results[str(op)][str(result)] = int(n)
    now: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for next_op, status, n in session.execute(
        select(Unit.next_operation, Unit.status, func.count())
        .where(
            Unit.work_order_id == order.id,
            Unit.status.in_([Status.WAITING.value, Status.IN_PROCESS.value]),
        )
        .group_by(Unit.next_operation, Unit.status)
    ):
        now[str(next_op)][0 if status == Status.WAITING.value else 1] += int(n)
    return [
        OperationProgress(
            op.code, op.name, op.rework_only, results.get(op.code, {}), *now.get(op.code, [0, 0])
        )
        for op in routing.operations
    ]


def delivered_counts(session: Session, order_ids: list[int]) -> dict[int, int]:
    """Pieces and handsets of each order that completed their routing (sheets cut into pieces
    are consumed too, but are not what an order delivers)."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Unit.work_order_id, func.count())
        .where(
            Unit.work_order_id.in_(order_ids),
            Unit.status.in_([Status.FINISHED.value, Status.CONSUMED.value]),
            Unit.kind != "sheet",
        )
        .group_by(Unit.work_order_id)
    )
    return {int(order_id): int(n) for order_id, n in rows if order_id is not None}


@dataclass(frozen=True)
class UnitFilter:
    """What the units list is narrowed to; every field optional. Visit fields (operation,
    station, station type, result, first visit, window) select units with a matching track-out."""

    status: str | None = None
    next_operation: str | None = None
    product: str | None = None
    routing: str | None = None
    work_order: str | None = None
    operation: str | None = None
    station: str | None = None
    station_types: tuple[str, ...] = ()  # stations of these codes (resolved by the caller)
    result: str | None = None
    not_passed: bool = False
    first_visit: bool = False
    defect: str | None = None
    origin: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def on_visits(self) -> bool:
        return any(
            (self.operation, self.station, self.station_types, self.result, self.not_passed,
             self.first_visit, self.since, self.until)
        )  # fmt: skip


def _visit_query(where: UnitFilter, *, correlated: bool = True) -> Select[Any]:
    """Track-outs matching the filter's visit fields: of the unit (correlated), or their units."""
    record = OperationRecord
    if correlated:
        visit = select(record.id).where(record.unit_id == Unit.id, record.result.is_not(None))
    else:
        visit = select(record.unit_id).where(record.result.is_not(None))
    if where.operation is not None:
        visit = visit.where(record.operation_code == where.operation)
    if where.station is not None:
        visit = visit.where(record.station_code == where.station)
    if where.station_types:
        visit = visit.where(record.station_code.in_(where.station_types))
    if where.result == Result.SCRAP.value:
        # A literal, so the planner can use the partial index of scraps (ix_operation_record_scrap).
        visit = visit.where(record.result == literal_column(f"'{Result.SCRAP.value}'"))
    elif where.result is not None:
        visit = visit.where(record.result == where.result)
    if where.not_passed:
        visit = visit.where(record.result != Result.PASS.value)
    if where.first_visit:
        visit = visit.where(record.visit == 1)
    if where.since is not None:
        visit = visit.where(record.track_out_at >= where.since)
    if where.until is not None:
        visit = visit.where(record.track_out_at < where.until)
    return visit


def _unit_query(where: UnitFilter) -> Select[Any]:
    query = select(Unit)
    for column, value in (
        (Unit.status, where.status),
        (Unit.next_operation, where.next_operation),
        (Unit.product_code, where.product),
        (Unit.routing_code, where.routing),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.work_order is not None:
        query = query.where(
            Unit.work_order_id == select(WorkOrder.id).where(WorkOrder.code == where.work_order)
        ).order_by(None)
    if where.on_visits and (where.since is not None or where.result == Result.SCRAP.value):
        # A window (what every chart link carries) or scraps (a few in a hundred track-outs):
        # read those track-outs through ix_operation_record_track_out or the partial
        # ix_operation_record_scrap, then their units, rather than test every unit.
        visits = _visit_query(where, correlated=False)
        query = query.where(Unit.id.in_(visits))
    elif where.on_visits:
        query = query.where(exists(_visit_query(where).correlate(Unit)))
    if where.defect:
        found = select(Defect.id).where(
            Defect.unit_id == Unit.id, Defect.defect_code == where.defect
        )
        query = query.where(exists(found.correlate(Unit)))
    if where.origin:
        # As the scrap Pareto counts it: a defect that started there, or scrapped there.
        started = select(Defect.id).where(
            Defect.unit_id == Unit.id, Defect.origin_operation == where.origin
        )
        scrapped = select(OperationRecord.id).where(
            OperationRecord.unit_id == Unit.id,
            OperationRecord.operation_code == where.origin,
            OperationRecord.result == Result.SCRAP.value,
        )
        query = query.where(or_(exists(started.correlate(Unit)), exists(scrapped.correlate(Unit))))
    return query


def list_units(
    session: Session, where: UnitFilter, limit: int = UNIT_LIST_LIMIT
) -> tuple[list[Unit], bool]:
    """Matching units, newest first, at most `limit`; and whether there were more."""
    rows: list[Unit] = list(
        session.scalars(_unit_query(where).order_by(Unit.id.desc()).limit(limit + 1))
    )
    return rows[:limit], len(rows) > limit
