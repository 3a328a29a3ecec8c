"""The live SPC API: charts with their state and points, limits recalculation, alarms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from forgeline.api.deps import SessionDep
from forgeline.api.schemas import StrictModel
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.quality import spc_service
from forgeline.quality.monitor_tables import SpcChart, SpcLimits, SpcPoint

router = APIRouter(prefix="/spc", tags=["spc"])
Reader = Annotated[Principal, Depends(require("quality.read"))]
Acknowledger = Annotated[Principal, Depends(require("spc.acknowledge"))]
LimitSetter = Annotated[Principal, Depends(require("spc.limits"))]


class LimitsOut(StrictModel):
    version: int
    center: float
    lcl: float
    ucl: float
    spread_center: float
    spread_lcl: float
    spread_ucl: float
    sigma: float
    from_point: int
    to_point: int
    excluded: list[int]
    reason: str
    set_by: str
    set_at: datetime


class ChartOut(StrictModel):
    id: int
    characteristic: str
    context: dict[str, str]
    chart_type: str
    subgroup_size: int
    hold_on_violation: bool
    status: str = Field(description="collecting (no limits yet), in_control or out_of_control")
    points: int
    last_good_point: int | None
    last_point_at: datetime | None
    last_mean: float | None = None
    note: str | None = Field(None, description="why there are no limits yet, if known")
    open_alarms: int = 0
    limits: LimitsOut | None = None


class PointOut(StrictModel):
    seq: int
    mean: float | None
    spread: float | None
    values: list[float]
    rules: list[str]
    first_at: datetime
    last_at: datetime


class ChartDetail(StrictModel):
    chart: ChartOut
    points: list[PointOut]
    limits_history: list[LimitsOut]
    capability: dict[str, Any] | None
    capability_note: str | None


class AlarmOut(StrictModel):
    id: int
    chart_id: int
    characteristic: str
    context: dict[str, str]
    rules: list[str]
    points: list[int]
    last_good_point: int | None
    status: str
    raised_at: datetime
    hold_ids: list[int]
    held_units: int
    cause: str | None
    action: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class Acknowledge(StrictModel):
    cause: str = Field(description="the assignable cause found")
    action: str = Field(description="what was done about it")


class Recalculate(StrictModel):
    from_point: int = Field(ge=1)
    to_point: int = Field(ge=1)
    excluded: list[int] = Field(default_factory=list)
    reason: str


def limits_out(row: SpcLimits) -> LimitsOut:
    return LimitsOut(
        version=row.version, center=row.center, lcl=row.lcl, ucl=row.ucl,
        spread_center=row.spread_center, spread_lcl=row.spread_lcl, spread_ucl=row.spread_ucl,
        sigma=row.sigma, from_point=row.from_seq, to_point=row.to_seq, excluded=row.excluded,
        reason=row.reason, set_by=row.set_by, set_at=row.set_at,
    )  # fmt: skip


def chart_out(
    chart: SpcChart, limits: SpcLimits | None, open_alarms: int = 0, last_mean: float | None = None
) -> ChartOut:
    return ChartOut(
        id=chart.id, characteristic=chart.characteristic_code, context=chart.context,
        chart_type=chart.chart_type, subgroup_size=chart.subgroup_size,
        hold_on_violation=chart.hold_on_violation, status=chart.status,
        points=chart.complete_points, last_good_point=chart.last_good_seq,
        last_point_at=chart.last_point_at, last_mean=last_mean, note=chart.note,
        open_alarms=open_alarms,
        limits=limits_out(limits) if limits else None,
    )  # fmt: skip


def point_out(point: SpcPoint) -> PointOut:
    return PointOut(
        seq=point.seq, mean=point.mean, spread=point.spread, values=point.readings,
        rules=point.rules, first_at=point.first_at, last_at=point.last_at,
    )  # fmt: skip


@router.get("/charts", response_model=list[ChartOut])
def list_charts(
    session: SessionDep,
    _: Reader,
    characteristic: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(collecting|in_control|out_of_control)$")] = None,
) -> list[ChartOut]:
    """Every live chart with its state, out-of-control first."""
    rows = spc_service.list_charts(session, characteristic=characteristic, status=status)
    return [chart_out(r.chart, r.limits, r.open_alarms, r.last_mean) for r in rows]


@router.get("/charts/{chart_id}", response_model=ChartDetail)
def get_chart(
    chart_id: int,
    session: SessionDep,
    _: Reader,
    last: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> ChartDetail:
    """A chart's latest points, its limits history and its capability."""
    chart = spc_service.get_chart(session, chart_id)
    history = spc_service.limits_history(session, chart)
    current = next((row for row in history if row.id == chart.limits_id), None)
    points = spc_service.chart_points(session, chart, last=last)
    study, note = spc_service.chart_capability(session, chart, points, current)
    return ChartDetail(
        chart=chart_out(chart, current),
        points=[point_out(p) for p in points],
        limits_history=[limits_out(row) for row in history],
        capability=study.to_dict() if study is not None else None,
        capability_note=note,
    )


@router.post("/charts/{chart_id}/limits", response_model=LimitsOut, status_code=201)
def recalculate_limits(
    chart_id: int, body: Recalculate, session: SessionDep, principal: LimitSetter
) -> LimitsOut:
    """Recalculate the control limits from a range of points, with a reason (new version)."""
    row = spc_service.recalculate_limits(
        session, chart_id, from_seq=body.from_point, to_seq=body.to_point,
        excluded=body.excluded, reason=body.reason, actor=principal.actor,
    )  # fmt: skip
    return limits_out(row)


@router.get("/alarms", response_model=list[AlarmOut])
def list_alarms(
    session: SessionDep,
    _: Reader,
    status: Annotated[str, Query(pattern="^(open|acknowledged|all)$")] = "open",
) -> list[AlarmOut]:
    """Alarms, newest first: open (default), acknowledged or all."""
    found = spc_service.alarms(session, status=None if status == "all" else status)
    return [AlarmOut(**spc_service.alarm_summary(a)) for a in found]


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmOut)
def acknowledge_alarm(
    alarm_id: int, body: Acknowledge, session: SessionDep, principal: Acknowledger
) -> AlarmOut:
    """Acknowledge an alarm with its assignable cause and the action taken (quality role)."""
    alarm = spc_service.acknowledge(
        session, alarm_id, cause=body.cause, action=body.action, actor=principal.actor
    )
    return AlarmOut(**spc_service.alarm_summary(alarm))
