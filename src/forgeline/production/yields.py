"""First-pass and rolled throughput yield, the scrap Pareto, and work in process.

- First-pass yield (FPY) of an operation: units that passed it on their first visit / units that
  completed their first visit (``operation_record.visit = 1`` with a result), in the window.
- Rolled throughput yield (RTY) of a routing or a line: the product of the FPYs of its operations
  (rework-only steps are off the normal path and left out). Operations without data in the
  window are listed as `missing` rather than counted as 100 %.
- Scrap Pareto: each scrap track-out in the window counts once, under its primary defect (the
  first defect recorded at the scrapping visit, else the unit's latest defect, else
  "unspecified") and under that defect's origin operation (else the scrapping operation), as
  ingest keeps it on the scrap record (`scrap`).
- WIP: units waiting for, or in process at, each operation (``unit.next_operation``).

Track-outs are counted from the tallies ingest keeps (`tallies`), so a window of days reads a few
thousand tally rows, not its millions of records. A trend's figures per day come from one read
(`performance.bucketed_track_outs`). A first visit has one track-out, so it falls in exactly one
day: the first visits of the whole span, and so its FPY per operation, are the days' sums.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from forgeline.production import tallies
from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.performance import check_window, plant_stations
from forgeline.production.routing import Status
from forgeline.production.scrap import IS_SCRAP
from forgeline.production.tables import OperationRecord, Unit
from forgeline.production.tallies import TrackOuts

UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class OperationYield:
    operation_code: str
    completed: int  # units that completed their first visit
    passed: int  # of which passed

    @property
    def fpy(self) -> float | None:
        return self.passed / self.completed if self.completed else None


@dataclass(frozen=True)
class RolledYield:
    key: str  # routing or line code
    operations: list[OperationYield]  # in routing order, only those with data
    missing: list[str]  # operations of the routing (or line) with no first visits in the window

    @property
    def rty(self) -> float | None:
        fpys = [op.fpy for op in self.operations if op.fpy is not None]
        return math.prod(fpys) if fpys else None


@dataclass(frozen=True)
class YieldReport:
    operations: list[OperationYield]
    routings: list[RolledYield]
    lines: list[RolledYield]


FirstVisits = tuple[str, str, str, int, int]  # routing, operation, station, completed, passed


def first_visits(track_outs: Iterable[TrackOuts]) -> list[FirstVisits]:
    """The first visits among track-outs, as `_first_visits` reads them from the database."""
    return [
        (t.routing_code, t.operation_code, t.station_code, t.first, t.first_passed)
        for t in track_outs
        if t.first
    ]


def _first_visits(session: Session, since: datetime, until: datetime) -> list[FirstVisits]:
    """(routing, operation, station, completed, passed) for first visits tracked out in window."""
    return first_visits(tallies.track_outs(session, [(since, until)])[0])


def _sum(rows: list[tuple[str, int, int]]) -> dict[str, OperationYield]:
    totals: dict[str, tuple[int, int]] = {}
    for op, completed, passed in rows:
        c, p = totals.get(op, (0, 0))
        totals[op] = (c + completed, p + passed)
    return {op: OperationYield(op, c, p) for op, (c, p) in totals.items()}


def _rolled(key: str, order: list[str], by_op: dict[str, OperationYield]) -> RolledYield:
    return RolledYield(
        key, [by_op[op] for op in order if op in by_op], [op for op in order if op not in by_op]
    )


def yield_report(session: Session, *, since: datetime, until: datetime) -> YieldReport:
    """FPY per operation, RTY per routing and per line, over [since, until)."""
    check_window(since, until)
    return yield_report_of(session, _first_visits(session, since, until))


def yield_report_of(session: Session, visits: list[FirstVisits]) -> YieldReport:
    """FPY per operation, RTY per routing and per line, of first visits already counted."""
    number = current_revision_number(session)
    routes = catalogs(session, [number])[number].routes
    # Normal-path operations of each routing, in order; positions order a line's operations.
    paths = {code: [s.code for s in r.steps if not s.rework_only] for code, r in routes.items()}
    position: dict[str, int] = {}
    for path in paths.values():
        for index, op in enumerate(path):
            position[op] = min(position.get(op, index), index)
    operations = _sum([(op, c, p) for _, op, _, c, p in visits])
    per_routing: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    per_line: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    line_of = {code: info.line_code for code, info in plant_stations(session).items()}
    for routing, op, station, c, p in visits:
        per_routing[routing].append((op, c, p))
        if station in line_of:
            per_line[line_of[station]].append((op, c, p))
    routing_yields = [
        _rolled(code, path, _sum(per_routing.get(code, []))) for code, path in sorted(paths.items())
    ]
    line_yields = []
    for line, rows in sorted(per_line.items()):
        by_op = _sum(rows)
        order = sorted(by_op, key=lambda op: (position.get(op, len(position)), op))
        line_yields.append(_rolled(line, order, by_op))
    ordered = sorted(
        operations.values(), key=lambda y: (position.get(y.operation_code, 99), y.operation_code)
    )
    return YieldReport(ordered, routing_yields, line_yields)


def daily_rolled_yields(
    session: Session, daily: list[list[FirstVisits]]
) -> list[dict[str, float | None]]:
    """RTY per routing for each window of a trend, from each window's first visits."""
    number = current_revision_number(session)
    routes = catalogs(session, [number])[number].routes
    paths = {code: [s.code for s in r.steps if not s.rework_only] for code, r in routes.items()}
    found = []
    for visits in daily:
        per_routing: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for routing, op, _, c, p in visits:
            per_routing[routing].append((op, c, p))
        found.append(
            {
                code: _rolled(code, path, _sum(per_routing.get(code, []))).rty
                for code, path in paths.items()
            }
        )
    return found


@dataclass(frozen=True)
class ParetoBar:
    key: str
    count: int
    share: float  # of all scrap in the window
    cumulative: float


@dataclass(frozen=True)
class ScrapPareto:
    total: int
    by_defect: list[ParetoBar]
    by_origin: list[ParetoBar]


def _bars(counts: list[tuple[str, int]], total: int) -> list[ParetoBar]:
    bars, running = [], 0
    for key, count in sorted(counts, key=lambda kc: (-kc[1], kc[0])):
        running += count
        bars.append(ParetoBar(key, count, count / total, running / total))
    return bars


def scrap_pareto(session: Session, *, since: datetime, until: datetime) -> ScrapPareto:
    """Scrap track-outs in [since, until) by primary defect code and by origin operation (kept on
    each scrap record by ingest, `production.scrap`: one range of the partial index of scraps)."""
    check_window(since, until)
    record = OperationRecord
    keys = (record.scrap_defect, record.scrap_origin, record.operation_code)
    # One pass over the scraps, by both keys; each Pareto adds up its own.
    by_defect: dict[str, int] = defaultdict(int)
    by_origin: dict[str, int] = defaultdict(int)
    for code, origin, operation, n in session.execute(
        select(*keys, func.count())
        .where(IS_SCRAP, record.track_out_at >= since, record.track_out_at < until)
        .group_by(*keys)
    ):
        by_defect[code or UNSPECIFIED] += int(n)
        by_origin[origin or operation] += int(n)
    total = sum(by_defect.values())
    return ScrapPareto(
        total, _bars(list(by_defect.items()), total), _bars(list(by_origin.items()), total)
    )


@dataclass(frozen=True)
class WipRow:
    operation_code: str
    waiting: int
    in_process: int
    held: int  # of those, units with at least one active hold


def wip(session: Session, *, routing_code: str | None = None) -> list[WipRow]:
    """Units waiting for or in process at each operation now (ix_unit_status_operation)."""
    statuses = [Status.WAITING.value, Status.IN_PROCESS.value]
    held = func.sum(case((Unit.hold_count > 0, 1), else_=0))
    query = (
        select(Unit.next_operation, Unit.status, func.count(), held)
        .where(Unit.status.in_(statuses), Unit.next_operation.is_not(None))
        .group_by(Unit.next_operation, Unit.status)
    )
    if routing_code is not None:
        query = query.where(Unit.routing_code == routing_code)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for op, status, count, on_hold in session.execute(query):
        row = totals[str(op)]
        row[0 if status == Status.WAITING.value else 1] += int(count)
        row[2] += int(on_hold or 0)
    return [WipRow(op, w, p, h) for op, (w, p, h) in sorted(totals.items())]
