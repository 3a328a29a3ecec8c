"""The yield page's trend against straightforward references, on generated histories.

`trends` counts a span's track-outs per site day in one scan (`bucketed_track_outs`) and works
out RTY and OEE per day and FPY over the span from those counts. Each figure must be what the
per-window reports (`yield_report`, `oee_report`, `scrap_pareto`, the API's) give for that day or
span, and the counts what a plain loop over the generated records gives: with rework loops
(second and third visits), scrap with and without defects, units still in process, records
before the span and after now, stations the plant does not know, and units tracked in before a
site midnight and out after it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from forgeline.errors import DomainError
from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.oee import Oee, OeeInputs, compute_oee
from forgeline.production.pages.yields import count_step, pareto_figure
from forgeline.production.performance import (
    OeeRow,
    bucketed_track_outs,
    daily_oee,
    oee_report,
)
from forgeline.production.trends import site_days, trends
from forgeline.production.yields import scrap_pareto, yield_report
from tests.production import rows
from tests.production.rows import at

# The default plant keeps Asia/Kolkata time: site midnight is 18:30 UTC, at(18) + k x 24 h.
MIDNIGHT = 18.0
NOW = MIDNIGHT + 24 + 10.25  # 10:15 on the third site day
UNKNOWN_STATION = "GHOST-01"  # not in the plant: counts for yield, not for OEE


@dataclass(frozen=True)
class Visit:
    routing: str
    operation: str
    station: str
    visit: int
    result: str | None
    track_out: datetime | None


def _history(db: Session, seed: int, units: int = 70) -> list[Visit]:
    """Random units walking their routing's normal path from before the span to after now."""
    rng = random.Random(seed)
    number = current_revision_number(db)
    catalog = catalogs(db, [number])[number]
    by_type: dict[str, list[str]] = {}
    for info in catalog.stations.values():
        by_type.setdefault(info.station_type, []).append(info.code)
    for code in sorted(by_type):
        for hours in sorted(rng.uniform(-40, NOW + 2) for _ in range(6)):
            state = rng.choice(["productive", "productive", "standby", "unscheduled_down"])
            for station_code in by_type[code]:
                rows.state(db, station_code, state, hours)
    routings = sorted(code for code in catalog.routes if code.startswith("CG"))
    made: list[Visit] = []
    for n in range(units):
        routing = rng.choice(routings)
        unit = rows.unit(db, f"G{seed}-{n}", routing=routing)
        clock = rng.uniform(-36, NOW + 1)
        for step in [s for s in catalog.routes[routing].steps if not s.rework_only]:
            visit = 1
            while True:
                station = rng.choice([*by_type.get(step.station_type, []), UNKNOWN_STATION])
                start = clock + rng.uniform(0.05, 2)
                # Long cycles now and then: tracked in before a site midnight, out after it.
                end = start + rng.choice([0.1, 0.3, 0.5, 3.0, 9.0])
                if rng.random() < 0.04:
                    end = MIDNIGHT + 24 * rng.randint(-1, 1) + rng.choice([0.0, 0.01])
                    start = min(start, end - 0.5)
                if rng.random() < 0.03:  # still in process
                    rows.record(db, unit, step.code, station, start, None, visit=visit)
                    made.append(Visit(routing, step.code, station, visit, None, None))
                    break
                roll = rng.random()
                result = "pass" if roll < 0.8 else "rework" if roll < 0.9 else "fail"
                result = "scrap" if roll > 0.96 else result
                record = rows.record(db, unit, step.code, station, start, end, result, visit=visit)
                made.append(Visit(routing, step.code, station, visit, result, at(end)))
                if result in ("scrap", "fail") and rng.random() < 0.7:
                    rows.defect(db, record, rng.choice(["CHIP", "SCR", "DIM"]), origin="CUT")
                clock = end
                if result == "rework" and visit < 3:
                    visit += 1  # a rework loop back to this operation
                    continue
                break
            if made[-1].result not in ("pass", "rework"):
                break
    return made


def _reference_counts(
    visits: list[Visit], windows: list[tuple[datetime, datetime]]
) -> list[dict[tuple[str, str, str], tuple[int, int, int, int]]]:
    """Per window: (routing, operation, station) -> (total, passed, first, first passed)."""
    found: list[Counter[tuple[str, str, str, str]]] = [Counter() for _ in windows]
    for v in visits:
        if v.result is None or v.track_out is None:
            continue
        for index, (since, until) in enumerate(windows):
            if since <= v.track_out < until:
                key = (v.routing, v.operation, v.station)
                passed = v.result == "pass"
                first = v.visit == 1
                found[index].update(
                    {
                        (*key, "total"): 1,
                        (*key, "passed"): int(passed),
                        (*key, "first"): int(first),
                        (*key, "first_passed"): int(first and passed),
                    }
                )
    result = []
    for counts in found:
        keys = {k[:3] for k in counts}
        result.append(
            {
                k: (
                    counts[(*k, "total")],
                    counts[(*k, "passed")],
                    counts[(*k, "first")],
                    counts[(*k, "first_passed")],
                )
                for k in keys
            }
        )
    return result


def _measured(rows: list[OeeRow]) -> list[tuple[str, Oee]]:
    return [(row.key, row.oee) for row in rows if row.oee.inputs != OeeInputs()]


@pytest.fixture
def plant(db: Session) -> None:
    rows.load_plant(db)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_scan_counts_each_track_out_in_its_day(db: Session, plant: None, seed: int) -> None:
    visits = _history(db, seed)
    windows = [(d.since, d.until) for d in site_days(db, 4, at(NOW))]
    assert windows[1][0] == at(MIDNIGHT - 24)  # the site's midnight, in UTC
    found = [
        {(t.routing_code, t.operation_code, t.station_code): t for t in day}
        for day in bucketed_track_outs(db, windows)
    ]
    expected = _reference_counts(visits, windows)
    assert sum(len(day) for day in expected) > 20  # the history does fill the span
    assert any(v.visit > 1 for v in visits) and any(v.result == "scrap" for v in visits)
    for day, reference in zip(found, expected, strict=True):
        assert {k: (t.total, t.passed, t.first, t.first_passed) for k, t in day.items()} == (
            reference
        )


@pytest.mark.parametrize(("seed", "days"), [(4, 3), (5, 1), (6, 7)])
def test_trend_matches_the_per_window_reports(
    db: Session, plant: None, seed: int, days: int
) -> None:
    visits = _history(db, seed)
    now = at(NOW)
    data = trends(db, days, now)
    assert len(data.days) == days
    for figures in data.days:
        since, until = figures.day.since, figures.day.until
        report = yield_report(db, since=since, until=until)
        assert figures.rty == {r.key: r.rty for r in report.routings}
        oee = oee_report(db, since=since, until=until, group="station_type", now=now)
        # A trend also lists, empty, station types with states elsewhere in its span, and
        # counts such stations in `stations` (as it did before it read its counts in one scan);
        # the page shows neither: an empty type's OEE is None, as a missing one's.
        assert _measured(list(figures.oee.values())) == _measured(oee)
        total = sum((row.oee.inputs for row in oee), OeeInputs())
        assert figures.plant_oee == (compute_oee(total).oee if oee else None)
    # FPY over the span: the days' first visits added up are the span's first visits.
    assert data.operations == yield_report(db, since=data.since, until=data.until).operations
    assert data.pareto == scrap_pareto(db, since=data.since, until=data.until)
    first_visits = [
        v
        for v in visits
        if v.visit == 1 and v.track_out and data.since <= v.track_out < data.until and v.result
    ]
    assert sum(op.completed for op in data.operations) == len(first_visits)
    assert sum(op.passed for op in data.operations) == sum(v.result == "pass" for v in first_visits)


def test_a_track_out_on_a_boundary_belongs_to_the_day_it_starts(db: Session, plant: None) -> None:
    unit = rows.unit(db, "EDGE")
    rows.record(db, unit, "IQC", "IQC-01", MIDNIGHT - 1, MIDNIGHT)  # at midnight: the new day
    rows.record(db, unit, "CUT", "CUT-01", MIDNIGHT - 0.5, MIDNIGHT - 1 / 3600)  # a second before
    rows.record(db, unit, "CNC", "CNC-01", MIDNIGHT + 1, MIDNIGHT + 2)  # at `until`: outside
    windows = [(at(MIDNIGHT - 24), at(MIDNIGHT)), (at(MIDNIGHT), at(MIDNIGHT + 2))]
    before, after = bucketed_track_outs(db, windows)
    assert [t.operation_code for t in before] == ["CUT"]
    assert [t.operation_code for t in after] == ["IQC"]


def test_a_trend_needs_back_to_back_windows(db: Session, plant: None) -> None:
    gap = [(at(0), at(1)), (at(2), at(3))]
    overlap = [(at(0), at(2)), (at(1), at(3))]
    for windows in (gap, overlap):
        with pytest.raises(DomainError) as refused:
            bucketed_track_outs(db, windows)
        assert refused.value.code == "performance.windows_not_adjacent"
    with pytest.raises(DomainError) as refused:
        daily_oee(db, [(at(0), at(0) - timedelta(hours=1))])
    assert refused.value.code == "performance.window_invalid"


def test_the_pareto_reads_its_cumulative_share_in_quarters(db: Session, plant: None) -> None:
    """The cumulative axis is 0-100 % in quarters whatever the counts: ticks that followed the
    count axis's read "0%" and "97%" with one scrap, the 100 % point above the top tick."""
    _history(db, 4)
    data = trends(db, 7, at(NOW))
    assert data.pareto.total
    for by in ("defect", "origin"):
        figure = pareto_figure(data, by)
        cumulative = figure["data"][1]
        assert cumulative["yaxis"] == "y2" and cumulative["y"][-1] == pytest.approx(1.0)
        assert figure["layout"]["yaxis2"]["tickvals"] == [0, 0.25, 0.5, 0.75, 1]


@pytest.mark.parametrize(
    ("raw", "step"),
    [(0.2, 1), (1, 1), (1.4, 2), (3, 5), (7, 10), (99, 100), (141, 200), (400, 500)],
)
def test_count_axes_step_by_1_2_or_5_times_a_power_of_ten(raw: float, step: int) -> None:
    assert count_step(raw) == step
