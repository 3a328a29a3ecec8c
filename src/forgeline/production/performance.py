"""OEE from recorded equipment states and track-outs, per station, line, station type or shift.

Equipment states come from ``equipment_state`` (a state lasts until the station's next change);
counts from the track-outs in the window (total = every result, good = pass), read from the
tallies ingest keeps (`tallies`: whole half-hour slots tallied, partial slots from the records).
The arithmetic is `forgeline.production.oee` (ISO 22400-2 over SEMI E10 states). Time before a
station's first known state is unknown and counts nowhere. Yield, scrap and WIP: `yields.py`.

A trend (several adjacent windows, e.g. site days) reads its track-outs with
`bucketed_track_outs`: each track-out falls in exactly one window, so the counts per window are
the same as one query per window would give, and they add up to the whole span's.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.db.base import utcnow
from forgeline.errors import DomainError, invalid
from forgeline.plant.tables import PlantStation
from forgeline.production import tallies
from forgeline.production.catalog import PlantCatalog, catalogs, current_revision_number
from forgeline.production.oee import (
    E10State,
    Oee,
    OeeInputs,
    StateInterval,
    StateTimes,
    compute_oee,
    ideal_piece_cycle_s,
)
from forgeline.production.tables import EquipmentState
from forgeline.production.tallies import TrackOuts

MAX_WINDOW = timedelta(days=366)
MAX_SHIFT_WINDOW = timedelta(days=31)  # one count query per shift instance


class OeeGroup(StrEnum):
    STATION = "station"
    LINE = "line"
    STATION_TYPE = "station_type"
    SHIFT = "shift"


@dataclass(frozen=True)
class StationInfo:
    """What OEE needs of a station from the plant definition."""

    code: str
    line_code: str
    station_type: str
    ideal_piece_s: float


@dataclass(frozen=True)
class OeeRow:
    key: str  # the station, line, station type or shift code
    stations: int  # stations with data that contributed
    oee: Oee


@dataclass(frozen=True)
class Counts:
    total: int = 0
    good: int = 0


def check_window(since: datetime, until: datetime, limit: timedelta = MAX_WINDOW) -> None:
    """Refuse naive, inverted or over-long report windows."""
    if since.tzinfo is None or until.tzinfo is None:
        raise invalid("performance.window_naive", "since and until need a time zone")
    if until <= since:
        raise invalid("performance.window_invalid", "until must be after since")
    if until - since > limit:
        raise invalid(
            "performance.window_too_long",
            f"the window is over {limit.days} days",
            max_days=limit.days,
        )


# Per plant catalog (one parsed revision, cached by `catalogs`): its stations for OEE. Keyed by
# the catalog object's id and checked by identity (the catalog itself is not hashable).
_STATIONS: dict[int, tuple[PlantCatalog, dict[str, StationInfo]]] = {}
_MAX_CACHED = 16


def plant_stations(session: Session) -> dict[str, StationInfo]:
    """The current revision's stations with the ideal seconds per piece of each.

    Read from the cached plant catalog: reports call this once per day of a trend, and
    re-reading (and re-parsing) the revision each time cost more than the reports' own queries.
    """
    number = current_revision_number(session)
    catalog = catalogs(session, [number])[number]
    cached = _STATIONS.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    if len(_STATIONS) >= _MAX_CACHED:
        _STATIONS.clear()
    found = {
        s.code: StationInfo(
            s.code,
            s.line,
            s.station_type,
            ideal_piece_cycle_s(
                s.ideal_cycle_s,
                capacity=s.capacity,
                batch_size=s.batch_size if s.mode == "batch" else None,
            ),
        )
        for s in catalog.definition.station_specs()
    }
    _STATIONS[id(catalog)] = (catalog, found)
    return found


def _state(value: str) -> E10State | None:
    try:
        return E10State.parse(value)
    except DomainError:
        return None  # a state we cannot read counts as unknown time, not as a failed report


def state_intervals(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    stations: Iterable[str],
    now: datetime | None = None,
) -> dict[str, list[StateInterval]]:
    """Each station's states within [since, min(until, now)), as contiguous intervals.

    The state in force at `since` is the station's last change before it, found with one
    index-backed correlated subquery per station (never a scan of the whole history).
    """
    codes = sorted(set(stations))
    end = min(until, now or utcnow())
    if not codes or end <= since:
        return {}
    es = EquipmentState
    prior = (
        select(es.state)
        .where(es.station_code == PlantStation.code, es.started_at < since)
        .order_by(es.started_at.desc(), es.id.desc())
        .limit(1)
        .correlate(PlantStation)
        .scalar_subquery()
    )
    revision = current_revision_number(session)
    current: dict[str, tuple[E10State | None, datetime]] = {
        code: (None if state is None else _state(state), since)
        for code, state in session.execute(
            select(PlantStation.code, prior).where(
                PlantStation.revision == revision, PlantStation.code.in_(codes)
            )
        )
    }
    changes = session.execute(
        select(es.station_code, es.state, es.started_at)
        .where(es.station_code.in_(codes), es.started_at >= since, es.started_at < end)
        .order_by(es.station_code, es.started_at, es.id)
    )
    intervals: dict[str, list[StateInterval]] = defaultdict(list)
    for code, state, started_at in changes:
        previous, start = current.get(code, (None, since))
        if previous is not None and start < started_at:
            intervals[code].append(StateInterval(previous, start, started_at))
        current[code] = (_state(state), started_at)
    for code, (last, start) in current.items():
        if last is not None and start < end:
            intervals[code].append(StateInterval(last, start, end))
    return dict(intervals)


def track_out_counts(session: Session, *, since: datetime, until: datetime) -> dict[str, Counts]:
    """Track-outs per station in [since, until): every result, and those that passed (from the
    tallies, `production.tallies`)."""
    return station_counts(tallies.track_outs(session, [(since, until)])[0])


def check_adjacent(windows: list[tuple[datetime, datetime]]) -> None:
    """Refuse a trend whose windows are not in order and back to back, or span too long."""
    if not windows:
        raise invalid("performance.window_invalid", "a trend needs at least one window")
    for (_, until), (since, _) in pairwise(windows):
        if until != since:
            raise invalid(
                "performance.windows_not_adjacent", "each window must start where the last ended"
            )
    for since, until in windows:
        check_window(since, until)
    check_window(windows[0][0], windows[-1][1])


def bucketed_track_outs(
    session: Session, windows: list[tuple[datetime, datetime]]
) -> list[list[TrackOuts]]:
    """Track-outs per routing, operation and station in each of several adjacent windows: the
    windows' whole half-hour slots from the tallies, their partial slots from the records
    (`tallies.track_outs`, two statements whatever the number of windows)."""
    check_adjacent(windows)
    return tallies.track_outs(session, windows)


def station_counts(track_outs: Iterable[TrackOuts]) -> dict[str, Counts]:
    """Track-outs per station (every result, and those that passed), as `track_out_counts`."""
    totals: dict[str, tuple[int, int]] = {}
    for row in track_outs:
        total, good = totals.get(row.station_code, (0, 0))
        totals[row.station_code] = (total + row.total, good + row.passed)
    return {code: Counts(total, good) for code, (total, good) in totals.items()}


def _grouped_inputs(
    stations: dict[str, StationInfo],
    intervals: dict[str, list[StateInterval]],
    counts: dict[str, Counts],
    start: datetime,
    end: datetime,
    key_of: dict[str, str],
) -> dict[str, tuple[int, OeeInputs]]:
    """Per group: the stations with any state time or output in [start, end), and their inputs
    added up (state seconds inside the window, ideal time, counts). Summed as plain numbers,
    one group at a time: a 31-day trend does this for ~3,400 station-days per page."""
    sums: dict[str, list[float]] = {}
    for code in sorted(set(intervals) | set(counts)):
        info = stations.get(code)
        if info is None:
            continue  # a station no longer in the plant: its ideal cycle is unknown
        row = sums.get(key_of[code])
        if row is None:
            row = sums[key_of[code]] = [0.0] * (len(_STATE_AT) + 4)
        for interval in intervals.get(code, ()):
            lo, hi = max(interval.start, start), min(interval.end, end)
            if lo < hi:
                row[_STATE_AT[interval.state]] += (hi - lo).total_seconds()
        count = counts.get(code)
        if count is not None:
            row[-4] += info.ideal_piece_s * count.total
            row[-3] += count.total
            row[-2] += min(count.good, count.total)
        row[-1] += 1
    return {
        key: (int(n), OeeInputs(StateTimes(*times), ideal, int(total), int(good)))
        for key, (*times, ideal, total, good, n) in sums.items()
    }


_STATE_AT = {state: i for i, state in enumerate(E10State)}  # StateTimes' field order


def oee_report(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    group: str = "station",
    now: datetime | None = None,
) -> list[OeeRow]:
    """OEE per station, line, station type or shift over [since, until), by key."""
    try:
        by = OeeGroup(group)
    except ValueError:
        raise invalid(
            "performance.group_invalid",
            f"cannot group OEE by {group!r}",
            allowed=[g.value for g in OeeGroup],
        ) from None
    check_window(since, until, MAX_SHIFT_WINDOW if by is OeeGroup.SHIFT else MAX_WINDOW)
    stations = plant_stations(session)
    intervals = state_intervals(session, since=since, until=until, stations=stations, now=now)
    if by is OeeGroup.SHIFT:
        groups = _shift_groups(session, stations, intervals, since, until)
    else:
        counts = track_out_counts(session, since=since, until=until)
        key_of = {
            code: {
                OeeGroup.STATION: info.code,
                OeeGroup.LINE: info.line_code,
                OeeGroup.STATION_TYPE: info.station_type,
            }[by]
            for code, info in stations.items()
        }
        groups = _grouped_inputs(stations, intervals, counts, since, until, key_of)
    return [OeeRow(key, n, compute_oee(total)) for key, (n, total) in sorted(groups.items())]


def _overlapping(
    intervals: dict[str, list[StateInterval]], start: datetime, end: datetime
) -> dict[str, list[StateInterval]]:
    """Each station's intervals that overlap [start, end), every station kept (a trend's day
    then clips a few intervals, not the whole span's). A station's intervals are in time order
    and never overlap, as `state_intervals` makes them, so two bisections find them."""
    found = {}
    for code, spans in intervals.items():
        lo = bisect_right(spans, start, key=lambda i: i.end)  # first ending after start
        hi = bisect_left(spans, end, lo=lo, key=lambda i: i.start)  # first starting at end
        found[code] = spans[lo:hi]
    return found


def daily_oee(
    session: Session,
    windows: list[tuple[datetime, datetime]],
    *,
    group: str = "station_type",
    now: datetime | None = None,
    counts: list[dict[str, Counts]] | None = None,
) -> list[list[OeeRow]]:
    """`oee_report` for each of several adjacent windows (a trend), reading the equipment
    states once for all of them and the track-outs in one scan (or taking `counts`, per window
    and station, from a caller that scanned them already)."""
    by = OeeGroup(group)
    if by is OeeGroup.SHIFT or not windows:
        raise invalid("performance.group_invalid", "a trend groups by station, line or type")
    check_adjacent(windows)
    if counts is None:
        counts = [station_counts(rows) for rows in bucketed_track_outs(session, windows)]
    since, until = windows[0][0], windows[-1][1]
    stations = plant_stations(session)
    intervals = state_intervals(session, since=since, until=until, stations=stations, now=now)
    key_of = {
        code: {
            OeeGroup.STATION: info.code,
            OeeGroup.LINE: info.line_code,
            OeeGroup.STATION_TYPE: info.station_type,
        }[by]
        for code, info in stations.items()
    }
    found = []
    for (start, end), window_counts in zip(windows, counts, strict=True):
        within = _overlapping(intervals, start, end)
        groups = _grouped_inputs(stations, within, window_counts, start, end, key_of)
        found.append(
            [OeeRow(key, n, compute_oee(total)) for key, (n, total) in sorted(groups.items())]
        )
    return found


@dataclass(frozen=True)
class ShiftInstance:
    """One occurrence of a plan shift: shift A on 2026-03-02, in UTC."""

    code: str
    start: datetime
    end: datetime


def shift_instances(session: Session, since: datetime, until: datetime) -> list[ShiftInstance]:
    """The plant calendar's shifts that overlap [since, until), clipped to it.

    Shift start times are local clock times of the site's zone; a shift's length is absolute
    hours, so a daylight-saving night shift still lasts what the definition says.
    """
    number = current_revision_number(session)
    site = catalogs(session, [number])[number].definition.site
    zone = ZoneInfo(site.timezone)
    first = since.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date()
    found: list[ShiftInstance] = []
    day = first
    while day <= last:
        for shift in site.shifts:
            hour, minute = (int(part) for part in shift.start.split(":"))
            start = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
            end = start + timedelta(hours=shift.hours)
            lo, hi = max(start, since), min(end, until)
            if lo < hi:
                found.append(ShiftInstance(shift.code, lo, hi))
        day += timedelta(days=1)
    return found


def _shift_groups(
    session: Session,
    stations: dict[str, StationInfo],
    intervals: dict[str, list[StateInterval]],
    since: datetime,
    until: datetime,
) -> dict[str, tuple[int, OeeInputs]]:
    """Sum over every instance of each shift code: all stations, all days."""
    groups: dict[str, tuple[int, OeeInputs]] = {}
    for instance in shift_instances(session, since, until):
        counts = track_out_counts(session, since=instance.start, until=instance.end)
        shift = dict.fromkeys(stations, instance.code)
        found = _grouped_inputs(stations, intervals, counts, instance.start, instance.end, shift)
        for code, (n, total) in found.items():
            seen, so_far = groups.get(code, (0, OeeInputs()))
            groups[code] = (max(seen, n), so_far + total)
    return groups
