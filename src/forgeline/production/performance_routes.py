"""The performance API: OEE, first-pass and rolled yield, the scrap Pareto, WIP.

Windows are half-open [since, until); when left out, the last 24 hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.db.base import utcnow
from forgeline.production import performance, yields
from forgeline.production.schemas import (
    OeeReport,
    OperationYieldOut,
    ParetoBarOut,
    RolledYieldOut,
    ScrapParetoOut,
    WipOut,
    WipRowOut,
    YieldReportOut,
    oee_out,
)

router = APIRouter(tags=["performance"])
Reader = Annotated[Principal, Depends(require("production.read"))]
DEFAULT_WINDOW = timedelta(hours=24)
Since = Annotated[datetime | None, Query(description="window start (default: until - 24 h)")]
Until = Annotated[datetime | None, Query(description="window end, exclusive (default: now)")]


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = until or utcnow()
    return since or end - DEFAULT_WINDOW, end


@router.get("/oee", response_model=OeeReport)
def oee(
    session: SessionDep,
    _p: Reader,
    since: Since = None,
    until: Until = None,
    group: Annotated[str, Query(description="station, line, station_type or shift")] = "station",
) -> OeeReport:
    """OEE (ISO 22400-2) from SEMI E10 equipment states and track-outs."""
    start, end = _window(since, until)
    rows = performance.oee_report(session, since=start, until=end, group=group)
    return OeeReport(
        since=start,
        until=end,
        group=group,
        rows=[oee_out(r.key, r.stations, r.oee) for r in rows],
    )


def _operation(y: yields.OperationYield) -> OperationYieldOut:
    return OperationYieldOut(
        operation_code=y.operation_code, completed=y.completed, passed=y.passed, fpy=y.fpy
    )


def _rolled(r: yields.RolledYield) -> RolledYieldOut:
    return RolledYieldOut(
        key=r.key, rty=r.rty, operations=[_operation(o) for o in r.operations], missing=r.missing
    )


@router.get("/yield", response_model=YieldReportOut)
def yield_report(
    session: SessionDep, _p: Reader, since: Since = None, until: Until = None
) -> YieldReportOut:
    """First-pass yield per operation; rolled throughput yield per routing and per line."""
    start, end = _window(since, until)
    report = yields.yield_report(session, since=start, until=end)
    return YieldReportOut(
        since=start,
        until=end,
        operations=[_operation(o) for o in report.operations],
        routings=[_rolled(r) for r in report.routings],
        lines=[_rolled(r) for r in report.lines],
    )


@router.get("/scrap-pareto", response_model=ScrapParetoOut)
def scrap_pareto(
    session: SessionDep, _p: Reader, since: Since = None, until: Until = None
) -> ScrapParetoOut:
    """Scrapped units by primary defect code and by origin operation, largest first."""
    start, end = _window(since, until)
    pareto = yields.scrap_pareto(session, since=start, until=end)

    def bars(items: list[yields.ParetoBar]) -> list[ParetoBarOut]:
        return [
            ParetoBarOut(key=b.key, count=b.count, share=b.share, cumulative=b.cumulative)
            for b in items
        ]

    return ScrapParetoOut(
        since=start,
        until=end,
        total=pareto.total,
        by_defect=bars(pareto.by_defect),
        by_origin=bars(pareto.by_origin),
    )


@router.get("/wip", response_model=WipOut)
def wip(session: SessionDep, _p: Reader, routing: str | None = None) -> WipOut:
    """Units waiting for or in process at each operation now."""
    rows = yields.wip(session, routing_code=routing)
    return WipOut(
        rows=[
            WipRowOut(
                operation_code=r.operation_code,
                waiting=r.waiting,
                in_process=r.in_process,
                held=r.held,
            )
            for r in rows
        ]
    )
