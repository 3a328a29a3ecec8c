"""Live SPC: measurements that arrive through ingest update their charts, raise alarms, hold.

`install()` registers `observe` with production's measurement observers (the app and the CLI
call it when they assemble). For each accepted measurement of a characteristic with an ``spc``
section, `observe`:

1. finds (or starts) the chart of its context (`contexts.resolve`);
2. adds the value to the chart's open subgroup; a subgroup is complete at the characteristic's
   ``subgroup_size`` (1: an individuals chart);
3. on complete points, with no limits yet, waits for `PHASE1_POINTS` points and then estimates
   the first limits (phase I, by the system, recorded as limits version 1);
4. with limits, checks the run rules (`charting.RULES`) with the latest `WINDOW` points before
   them; a point that breaks one raises an alarm (or joins the chart's open alarm), audited;
5. for characteristics marked ``hold_on_violation``, holds every piece processed in the chart's
   context since the last in-control point (`scope.units_in_context`), one selection hold per
   violating point, each catching only pieces not already held for that alarm.

Everything happens in the ingest transaction: the chart, the alarm and the hold commit with the
measurements that caused them, or not at all. Points are plain records written in one statement
per batch (a 10,000-event batch completes hundreds of them); each chart touched is judged with
one look-back query and one engine call per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.production.bulk import driver_values, insert_rows, update_rows
from forgeline.production.catalog import PlantCatalog, catalogs
from forgeline.production.holds import held_unit_count, place_selection_hold
from forgeline.production.observers import Observed, observe_measurements
from forgeline.quality import charting
from forgeline.quality.contexts import context_key, resolve
from forgeline.quality.monitor_tables import SpcAlarm, SpcChart, SpcLimits, SpcPoint
from forgeline.quality.scope import last_good_cutoff, units_in_context
from forgeline.quality.spc import SpcInputError

SYSTEM_ACTOR = "system:spc"
# Complete subgroups before the first limits are estimated: 25 subgroups, as the AIAG SPC manual
# recommends; fewer give limits so uncertain that the run rules raise false alarms.
PHASE1_POINTS = 25
WINDOW = 20  # points the run rules look back over (the longest rule needs 15)
# Points are read as plain rows, never as ORM objects: they are written with core statements,
# which would leave an ORM copy in the session stale.
_COLUMNS = tuple(SpcPoint.__table__.c)
_GROWN = ("readings", "unit_ids", "complete", "mean", "spread", "rules", "last_at")


@dataclass
class Point:
    """A subgroup being built or judged in this batch (a row of `spc_point`)."""

    chart_id: int
    seq: int
    operation_code: str
    first_at: datetime
    last_at: datetime
    readings: list[float] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)
    complete: bool = False
    mean: float | None = None
    spread: float | None = None
    rules: list[str] = field(default_factory=list)
    id: int | None = None  # set when the row exists already (an open subgroup)


def install() -> None:
    """Make ingest hand monitored measurements to SPC (idempotent)."""
    observe_measurements(observe)


def observe(session: Session, observed: Sequence[Observed]) -> None:
    """Add a batch's monitored measurements to their charts, in arrival order."""
    cats = catalogs(session, {o.plant_revision for o in observed})
    contexts = resolve(session, observed, cats)
    keys = [
        (o.characteristic_code, context_key(c)) for o, c in zip(observed, contexts, strict=True)
    ]
    charts = _load_charts(session, set(keys))
    open_points = _open_points(session, [c.id for c in charts.values()])
    touched: list[Point] = list(open_points.values())
    completed: dict[int, tuple[SpcChart, PlantCatalog, list[Point]]] = {}
    for obs, context, key in zip(observed, contexts, keys, strict=True):
        chart = charts.get(key)
        if chart is None:
            chart = charts[key] = _new_chart(session, cats[obs.plant_revision], obs, context)
        done = completed.setdefault(chart.id, (chart, cats[obs.plant_revision], []))[2]
        point = open_points.get(chart.id)
        if point is None:
            seq = chart.complete_points + len(done) + 1
            point = Point(chart.id, seq, obs.operation_code, obs.measured_at, obs.measured_at)
            open_points[chart.id] = point
            touched.append(point)
        point.readings.append(obs.value)
        point.unit_ids.append(obs.unit_id)
        point.last_at = obs.measured_at
        if len(point.readings) >= chart.subgroup_size:
            del open_points[chart.id]
            point.complete = True
            done.append(point)
    for chart, catalog, points in completed.values():
        if points:
            _advance(session, catalog, chart, points)
    _write(session, touched)


def _write(session: Session, points: list[Point]) -> None:
    """New points in one INSERT, subgroups that grew in one UPDATE, through the driver as the
    rest of the ingest path writes (`production.bulk`)."""
    values = driver_values(session)

    def row(p: Point) -> list[Any]:
        return [
            values.json(p.readings), values.json(p.unit_ids), p.complete, p.mean, p.spread,
            values.json(p.rules), values.time(p.last_at),
        ]  # fmt: skip

    new = [
        [p.chart_id, p.seq, p.operation_code, values.time(p.first_at), *row(p)]
        for p in points
        if p.id is None
    ]
    insert_rows(
        session, "spc_point", ("chart_id", "seq", "operation_code", "first_at", *_GROWN), new
    )
    update_rows(session, "spc_point", _GROWN, [[*row(p), p.id] for p in points if p.id])


def _load_charts(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], SpcChart]:
    codes = sorted({code for code, _ in keys})
    found = session.scalars(
        select(SpcChart).where(
            SpcChart.characteristic_code.in_(codes),
            SpcChart.context_key.in_(sorted({key for _, key in keys})),
        )
    )
    return {(c.characteristic_code, c.context_key): c for c in found}


def _as_point(row: Any) -> Point:
    return Point(
        row.chart_id, row.seq, row.operation_code, row.first_at, row.last_at, list(row.readings),
        list(row.unit_ids), row.complete, row.mean, row.spread, list(row.rules), row.id,
    )  # fmt: skip


def _open_points(session: Session, chart_ids: list[int]) -> dict[int, Point]:
    if not chart_ids:
        return {}
    rows = session.execute(
        select(*_COLUMNS).where(SpcPoint.chart_id.in_(chart_ids), SpcPoint.complete.is_(False))
    )
    return {p.chart_id: _as_point(p) for p in rows}


def _new_chart(
    session: Session, catalog: PlantCatalog, obs: Observed, context: dict[str, str]
) -> SpcChart:
    spc = catalog.monitored[obs.characteristic_code]  # only monitored ones are observed
    chart = SpcChart(
        characteristic_code=obs.characteristic_code,
        context_key=context_key(context),
        context=context,
        chart_type=charting.chart_kind(spc.subgroup_size),
        subgroup_size=spc.subgroup_size,
        hold_on_violation=spc.hold_on_violation,
        status="collecting",
        complete_points=0,
        created_at=utcnow(),
    )
    session.add(chart)
    session.flush()
    return chart


def _stored(session: Session, chart: SpcChart, *, before: int, first: int = 0) -> list[Point]:
    """Stored complete points with first <= seq < before (at most WINDOW when `first` is 0)."""
    query = select(*_COLUMNS).where(
        SpcPoint.chart_id == chart.id,
        SpcPoint.complete.is_(True),
        SpcPoint.seq < before,
        SpcPoint.seq >= first,
    )
    if first:
        rows = list(session.execute(query.order_by(SpcPoint.seq)))
    else:
        latest = session.execute(query.order_by(SpcPoint.seq.desc()).limit(WINDOW))
        rows = list(reversed(list(latest)))
    return [_as_point(r) for r in rows]


def _advance(session: Session, catalog: PlantCatalog, chart: SpcChart, points: list[Point]) -> None:
    """Take the chart past the points just completed: statistics, first limits, rules, alarms."""
    previous = _stored(session, chart, before=points[0].seq)
    prior_mean = previous[-1].mean if previous else None
    for point in points:
        point.mean, point.spread = charting.point_statistics(point.readings, prior_mean)
        prior_mean = point.mean
    chart.complete_points = points[-1].seq
    chart.last_point_at = points[-1].last_at
    known = {p.seq: p for p in [*previous, *points]}
    if chart.limits_id is None:
        # Phase I: the first PHASE1_POINTS points are judged by nothing; they make the limits.
        waiting = [p for p in points if p.seq <= PHASE1_POINTS]
        if waiting:
            chart.last_good_seq = waiting[-1].seq
        if chart.complete_points < PHASE1_POINTS or not _initial_limits(session, chart, points):
            if not waiting:  # no limits after phase I: nothing judges these points
                chart.last_good_seq = points[-1].seq
            return
        previous = [*previous, *waiting][-WINDOW:]
        points = [p for p in points if p.seq > PHASE1_POINTS]
        if not points:
            return
    limits = session.get(SpcLimits, chart.limits_id)
    assert limits is not None
    flags = charting.rules_by_point(chart.subgroup_size, [*previous, *points], limits)
    offset = len(previous)
    alarm: SpcAlarm | None = None
    for index, point in enumerate(points):
        point.rules = flags.get(offset + index, [])
        if point.rules:
            alarm = _raise_alarm(session, catalog, chart, point, known, alarm)
        else:
            chart.last_good_seq = point.seq


def _initial_limits(session: Session, chart: SpcChart, batch: list[Point]) -> bool:
    """Estimate the first limits from the first PHASE1_POINTS points, leaving out points beyond
    their limits as phase I does (`charting.phase_one`); False when the data do not allow it (no
    variation: a gauge reading one value; or most points out of control), noted on the chart.
    Until a person sets limits on purpose, such a chart keeps collecting and judges nothing."""
    if chart.note is not None:
        return False
    points = _stored(session, chart, before=batch[0].seq, first=1)
    points += [p for p in batch if p.seq <= PHASE1_POINTS]
    try:
        computed, excluded = charting.phase_one(chart.subgroup_size, points)
    except SpcInputError as exc:
        chart.note = f"no limits from points 1-{len(points)}: {exc}"
        return False
    left_out = f", leaving out {len(excluded)} beyond their limits" if excluded else ""
    limits = charting.store_limits(
        session,
        chart,
        computed,
        points,
        excluded=excluded,
        reason=f"initial limits (phase I) from the first {len(points)} subgroups{left_out}",
        actor=SYSTEM_ACTOR,
    )
    chart.status = "in_control"
    append(
        session,
        actor=SYSTEM_ACTOR,
        action="spc.limits_set",
        object_type="spc_chart",
        object_id=str(chart.id),
        after=charting.limits_summary(limits),
    )
    return True


def _raise_alarm(
    session: Session,
    catalog: PlantCatalog,
    chart: SpcChart,
    point: Point,
    known: dict[int, Point],
    alarm: SpcAlarm | None,
) -> SpcAlarm:
    """Raise an alarm for the point, or add it to the chart's open alarm; hold if marked so.

    Raising is audited; a point joining an open alarm is recorded on the alarm (and its hold,
    if any, is audited as a hold)."""
    if alarm is None or alarm.status != "open":
        alarm = session.scalars(
            select(SpcAlarm).where(SpcAlarm.chart_id == chart.id, SpcAlarm.status == "open")
        ).first()
    new = alarm is None
    if alarm is None:
        alarm = SpcAlarm(
            chart_id=chart.id,
            characteristic_code=chart.characteristic_code,
            context=chart.context,
            rules=list(point.rules),
            seqs=[point.seq],
            last_good_seq=chart.last_good_seq,
            status="open",
            raised_at=utcnow(),
            hold_ids=[],
            held_units=0,
        )
        session.add(alarm)
        session.flush()
    else:
        alarm.rules = sorted({*alarm.rules, *point.rules})
        alarm.seqs = [*alarm.seqs, point.seq]
    chart.status = "out_of_control"
    if chart.hold_on_violation:
        good = known.get(alarm.last_good_seq) if alarm.last_good_seq is not None else None
        if good is None and alarm.last_good_seq is not None:
            stored = _stored(
                session, chart, before=alarm.last_good_seq + 1, first=alarm.last_good_seq
            )
            good = stored[0] if stored else None
        _hold(session, catalog, chart, alarm, point, good)
    if not new:
        return alarm
    append(
        session,
        actor=SYSTEM_ACTOR,
        action="spc.alarm_raised",
        object_type="spc_alarm",
        object_id=str(alarm.id),
        after={
            "chart": chart.id,
            "characteristic": chart.characteristic_code,
            "context": chart.context,
            "point": point.seq,
            "mean": point.mean,
            "rules": point.rules,
            "last_good_point": alarm.last_good_seq,
            "held_units": alarm.held_units,
        },
    )
    return alarm


def _hold(
    session: Session,
    catalog: PlantCatalog,
    chart: SpcChart,
    alarm: SpcAlarm,
    point: Point,
    good: Point | None,
) -> None:
    """Hold the pieces processed in the chart's context since its last in-control point."""
    cutoff: datetime | None = None
    if good is not None:
        cutoff = last_good_cutoff(session, good.unit_ids, point.operation_code)
    units = units_in_context(
        catalog, chart.context, point.operation_code, cutoff, exclude_holds=alarm.hold_ids
    )
    since = cutoff.isoformat() if cutoff is not None else "the chart's first point"
    rules = ", ".join(point.rules)
    context = ", ".join(f"{k} {v}" for k, v in sorted(chart.context.items()))
    hold = place_selection_hold(
        session,
        label=f"SPC alarm {alarm.id}",
        units=units,
        reason=(
            f"SPC alarm {alarm.id}: {chart.characteristic_code} ({context}) broke {rules} at "
            f"point {point.seq} (mean {point.mean:.6g}); holding what was processed at "
            f"{point.operation_code} in this context after {since} (last in-control point "
            f"{alarm.last_good_seq})"
        ),
        actor=SYSTEM_ACTOR,
    )
    alarm.hold_ids = [*alarm.hold_ids, hold.id]
    alarm.held_units += held_unit_count(session, hold.id)
