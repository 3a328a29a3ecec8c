"""Yield, scrap and OEE over time for the yield page: one point per site day.

Every figure keeps what is needed to list the units behind it (operation, routing, defect,
origin, station type and the day's window), so a chart's point can link to them.

The window's track-outs are read once, counted per day in the same scan
(`performance.bucketed_track_outs`); RTY and OEE per day, and FPY over the window (the days'
sums: each first visit is tracked out on exactly one day), are worked out from those counts.
The scrap Pareto and the equipment states are one query each over the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.dashboard import site_day
from forgeline.production.oee import OeeInputs, compute_oee
from forgeline.production.performance import (
    OeeRow,
    bucketed_track_outs,
    daily_oee,
    station_counts,
)
from forgeline.production.yields import (
    OperationYield,
    ScrapPareto,
    daily_rolled_yields,
    first_visits,
    scrap_pareto,
    yield_report_of,
)

MAX_DAYS = 31


@dataclass(frozen=True)
class Day:
    day: date
    since: datetime
    until: datetime


@dataclass(frozen=True)
class DayFigures:
    day: Day
    rty: dict[str, float | None]  # routing -> rolled yield that day
    oee: dict[str, OeeRow]  # station type -> OEE that day
    plant_oee: float | None


@dataclass(frozen=True)
class Trends:
    days: list[DayFigures]
    since: datetime
    until: datetime
    operations: list[OperationYield]  # first-pass yield over the whole window
    pareto: ScrapPareto

    @property
    def routings(self) -> list[str]:
        return sorted({r for d in self.days for r, v in d.rty.items() if v is not None})

    def busiest_station_types(self, limit: int = 6) -> list[str]:
        """Station types by output in the window, most first (a chart has room for a few)."""
        output: dict[str, int] = {}
        for d in self.days:
            for key, row in d.oee.items():
                output[key] = output.get(key, 0) + row.oee.inputs.total_count
        ranked = sorted((t for t, n in output.items() if n), key=lambda t: (-output[t], t))
        return ranked[:limit]


def site_days(session: Session, count: int, now: datetime) -> list[Day]:
    """The last `count` site days, today last (today's window ends now)."""
    number = current_revision_number(session)
    plant = catalogs(session, [number])[number].definition
    zone = ZoneInfo(plant.site.timezone)
    today, _ = site_day(plant, now)
    found = []
    for back in range(count - 1, -1, -1):
        day = today - timedelta(days=back)
        since = datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)
        following = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
        until = now + timedelta(seconds=1) if back == 0 else following.astimezone(UTC)
        found.append(Day(day, since, until))
    return found


def trends(session: Session, days: int, now: datetime) -> Trends:
    """RTY per routing and OEE per station type for each of the last `days` days, FPY per
    operation and the scrap Pareto over all of them."""
    windows = site_days(session, max(1, min(days, MAX_DAYS)), now)
    spans = [(w.since, w.until) for w in windows]
    track_outs = bucketed_track_outs(session, spans)
    visits = [first_visits(rows) for rows in track_outs]
    rolled = daily_rolled_yields(session, visits)
    counts = [station_counts(rows) for rows in track_outs]
    oee_rows = daily_oee(session, spans, group="station_type", now=now, counts=counts)
    figures = []
    for window, rty, rows in zip(windows, rolled, oee_rows, strict=True):
        total = sum((row.oee.inputs for row in rows), OeeInputs())
        figures.append(
            DayFigures(
                window,
                rty,
                {row.key: row for row in rows},
                compute_oee(total).oee if rows else None,
            )
        )
    since, until = windows[0].since, windows[-1].until
    return Trends(
        figures,
        since,
        until,
        yield_report_of(session, [v for day in visits for v in day]).operations,
        scrap_pareto(session, since=since, until=until),
    )
