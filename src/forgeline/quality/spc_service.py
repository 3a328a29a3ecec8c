"""What people do with the live charts: look, acknowledge alarms, recalculate limits on purpose.

Acknowledging an alarm records the assignable cause and the action taken; it does not release
the alarm's holds (a quality engineer releases those after disposition, on the holds page).
Limits change only by `recalculate_limits`, with a reason and an author, as a new version; the
old versions stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import conflict, invalid, not_found
from forgeline.plant.service import current_revision
from forgeline.production.tables import HoldUnit, Unit
from forgeline.quality import charting
from forgeline.quality.monitor_tables import SpcAlarm, SpcChart, SpcLimits, SpcPoint
from forgeline.quality.spc import Capability, SpcInputError, capability

MAX_TEXT = 2000
CAPABILITY_POINTS = 125  # the latest points (subgroups) a chart's capability panel uses


@dataclass(frozen=True)
class ChartRow:
    chart: SpcChart
    limits: SpcLimits | None
    open_alarms: int
    last_mean: float | None


def list_charts(
    session: Session, *, characteristic: str | None = None, status: str | None = None
) -> list[ChartRow]:
    """Every chart, out-of-control first, then by characteristic and context."""
    query = select(SpcChart)
    if characteristic:
        query = query.where(SpcChart.characteristic_code == characteristic)
    if status:
        query = query.where(SpcChart.status == status)
    charts = list(session.scalars(query))
    ids = [c.id for c in charts]
    limits = {
        row.id: row
        for row in session.scalars(
            select(SpcLimits).where(SpcLimits.id.in_([c.limits_id for c in charts if c.limits_id]))
        )
    }
    alarms = dict(
        session.execute(
            select(SpcAlarm.chart_id, func.count())
            .where(SpcAlarm.chart_id.in_(ids), SpcAlarm.status == "open")
            .group_by(SpcAlarm.chart_id)
        ).all()
    )
    last = dict(
        session.execute(
            select(SpcPoint.chart_id, SpcPoint.mean).where(
                SpcPoint.chart_id.in_(ids),
                SpcPoint.complete.is_(True),
                SpcPoint.seq
                == select(SpcChart.complete_points)
                .where(SpcChart.id == SpcPoint.chart_id)
                .scalar_subquery(),
            )
        ).all()
    )
    order = {"out_of_control": 0, "in_control": 1, "collecting": 2}
    rows = [
        ChartRow(c, limits.get(c.limits_id or 0), int(alarms.get(c.id, 0)), last.get(c.id))
        for c in charts
    ]
    rows.sort(
        key=lambda r: (
            order.get(r.chart.status, 3),
            r.chart.characteristic_code,
            r.chart.context_key,
        )
    )
    return rows


def charted_characteristics(session: Session) -> list[str]:
    """The characteristics that have at least one live chart, in code order."""
    query = select(SpcChart.characteristic_code).distinct()
    return sorted(session.scalars(query))


def get_chart(session: Session, chart_id: int) -> SpcChart:
    chart = session.get(SpcChart, chart_id)
    if chart is None:
        raise not_found("spc.chart_not_found", f"no SPC chart {chart_id}", chart_id=chart_id)
    return chart


def chart_points(session: Session, chart: SpcChart, *, last: int = 200) -> list[SpcPoint]:
    """The chart's latest complete points, oldest first."""
    rows = session.scalars(
        select(SpcPoint)
        .where(SpcPoint.chart_id == chart.id, SpcPoint.complete.is_(True))
        .order_by(SpcPoint.seq.desc())
        .limit(last)
    )
    return list(reversed(list(rows)))


def limits_history(session: Session, chart: SpcChart) -> list[SpcLimits]:
    return list(
        session.scalars(
            select(SpcLimits)
            .where(SpcLimits.chart_id == chart.id)
            .order_by(SpcLimits.version.desc())
        )
    )


def spec_limits(
    session: Session, chart: SpcChart
) -> tuple[float | None, float | None, float | None]:
    """(lsl, target, usl) of the chart's characteristic, for its product when it has one."""
    plant = current_revision(session).definition
    limits = plant.limits_for(chart.characteristic_code, chart.context.get("product"))
    return limits.lsl, limits.target, limits.usl


def chart_capability(
    session: Session, chart: SpcChart, points: list[SpcPoint], limits: SpcLimits | None
) -> tuple[Capability | None, str | None]:
    """Capability over the latest points against the spec, or why it cannot be computed."""
    if limits is None:
        return None, "no control limits yet: capability needs the within-subgroup sigma"
    lsl, target, usl = spec_limits(session, chart)
    values = [v for p in points[-CAPABILITY_POINTS:] for v in p.readings]
    try:
        return capability(values, sigma_within=limits.sigma, lsl=lsl, usl=usl, target=target), None
    except SpcInputError as exc:
        return None, str(exc)


def alarms(
    session: Session, *, status: str | None = "open", chart_id: int | None = None, limit: int = 200
) -> list[SpcAlarm]:
    query = select(SpcAlarm)
    if status:
        query = query.where(SpcAlarm.status == status)
    if chart_id is not None:
        query = query.where(SpcAlarm.chart_id == chart_id)
    return list(session.scalars(query.order_by(SpcAlarm.id.desc()).limit(limit)))


def open_alarm_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(SpcAlarm.status == "open")) or 0)


def _text(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise invalid(f"spc.{name}_required", f"give the {name}")
    if len(value) > MAX_TEXT:
        raise invalid(f"spc.{name}_too_long", f"the {name} is over {MAX_TEXT} characters")
    return value


def acknowledge(
    session: Session, alarm_id: int, *, cause: str, action: str, actor: str
) -> SpcAlarm:
    """Record the assignable cause and the action taken; the chart is in control again when no
    other alarm of it is open."""
    cause, action = _text("cause", cause), _text("action", action)
    alarm = session.scalars(
        select(SpcAlarm).where(SpcAlarm.id == alarm_id).with_for_update()
    ).first()
    if alarm is None:
        raise not_found("spc.alarm_not_found", f"no SPC alarm {alarm_id}", alarm_id=alarm_id)
    if alarm.status != "open":
        raise conflict(
            "spc.alarm_already_acknowledged",
            f"alarm {alarm_id} was acknowledged by {alarm.acknowledged_by}",
            alarm_id=alarm_id,
        )
    alarm.status, alarm.cause, alarm.action = "acknowledged", cause, action
    alarm.acknowledged_by, alarm.acknowledged_at = actor, utcnow()
    session.flush()
    chart = get_chart(session, alarm.chart_id)
    if chart.status == "out_of_control" and not alarms(session, chart_id=chart.id):
        chart.status = "in_control"
    append(
        session,
        actor=actor,
        action="spc.alarm_acknowledged",
        object_type="spc_alarm",
        object_id=str(alarm.id),
        after={"cause": cause, "action": action, "rules": alarm.rules, "holds": alarm.hold_ids},
    )
    return alarm


def recalculate_limits(
    session: Session,
    chart_id: int,
    *,
    from_seq: int,
    to_seq: int,
    excluded: list[int],
    reason: str,
    actor: str,
) -> SpcLimits:
    """Phase I again over points from_seq..to_seq (less `excluded`): a new limits version."""
    reason = _text("reason", reason)
    chart = get_chart(session, chart_id)
    if not 1 <= from_seq < to_seq <= chart.complete_points:
        raise invalid(
            "spc.points_out_of_range",
            f"choose points within 1..{chart.complete_points}, first before last",
            from_point=from_seq,
            to_point=to_seq,
            complete_points=chart.complete_points,
        )
    outside = sorted(set(excluded) - set(range(from_seq, to_seq + 1)))
    if outside:
        raise invalid(
            "spc.excluded_out_of_range", f"points {outside} are not in the range", excluded=outside
        )
    points = list(
        session.scalars(
            select(SpcPoint)
            .where(SpcPoint.chart_id == chart.id, SpcPoint.seq.between(from_seq, to_seq))
            .order_by(SpcPoint.seq)
        )
    )
    before = session.get(SpcLimits, chart.limits_id) if chart.limits_id else None
    try:
        computed = charting.estimate(chart.subgroup_size, points, excluded)
    except SpcInputError as exc:
        raise invalid("spc.limits_not_estimable", str(exc)) from exc
    row = charting.store_limits(
        session, chart, computed, points, excluded=excluded, reason=reason, actor=actor
    )
    if chart.status == "collecting":
        chart.status = "in_control"
    chart.note = None
    append(
        session,
        actor=actor,
        action="spc.limits_set",
        object_type="spc_chart",
        object_id=str(chart.id),
        before=charting.limits_summary(before) if before else None,
        after=charting.limits_summary(row),
    )
    return row


def alarm_summary(alarm: SpcAlarm) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "chart_id": alarm.chart_id,
        "characteristic": alarm.characteristic_code,
        "context": alarm.context,
        "rules": alarm.rules,
        "points": alarm.seqs,
        "last_good_point": alarm.last_good_seq,
        "status": alarm.status,
        "raised_at": alarm.raised_at,
        "hold_ids": alarm.hold_ids,
        "held_units": alarm.held_units,
        "cause": alarm.cause,
        "action": alarm.action,
        "acknowledged_by": alarm.acknowledged_by,
        "acknowledged_at": alarm.acknowledged_at,
    }


def unit_uids(session: Session, unit_ids: set[int]) -> dict[int, str]:
    """uid by unit id, for linking points to the pieces measured in them."""
    if not unit_ids:
        return {}
    rows = session.execute(select(Unit.id, Unit.uid).where(Unit.id.in_(sorted(unit_ids))))
    return {int(i): str(u) for i, u in rows}


def alarm_unit_uids(session: Session, alarm_id: int) -> list[str]:
    """The uids of the units the alarm's holds caught (none when it held nothing)."""
    alarm = session.get(SpcAlarm, alarm_id)
    if alarm is None:
        raise not_found("spc.alarm_not_found", f"no SPC alarm {alarm_id}", alarm_id=alarm_id)
    if not alarm.hold_ids:
        return []
    caught = select(HoldUnit.unit_id).where(HoldUnit.hold_id.in_(alarm.hold_ids))
    return list(session.scalars(select(Unit.uid).where(Unit.id.in_(caught)).order_by(Unit.uid)))
