"""The track-out tallies: what ingest keeps equals a recount from the records, and every window
read from them (whole slots tallied, partial slots from the records) equals counting the
records themselves, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.plant.service import DEFAULT_PLANT, load_definition_file, load_definition_text
from forgeline.production import tallies
from forgeline.production.catalog import catalogs
from forgeline.production.tables import OperationRecord, Unit
from forgeline.production.tallies import DayTally, OutputTally, TrackOutTally
from tests.e2e.plant_history import build_plant_history
from tests.production import rows
from tests.production.events_kit import Events, glass, outcomes, run, set_up_line

NOW = datetime(2026, 3, 2, 12, 7, 30, tzinfo=UTC)


def _snapshot(db: Session) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    db.flush()
    t, o = TrackOutTally, OutputTally
    counted = db.execute(
        select(t.slot, t.routing_code, t.operation_code, t.station_code, t.total, t.passed,
               t.first, t.first_passed).order_by(t.slot, t.routing_code, t.operation_code,
                                                  t.station_code)
    ).all()  # fmt: skip
    output = db.execute(
        select(o.slot, o.work_order_id, o.product_code, o.passed).order_by(
            o.slot, o.work_order_id, o.product_code
        )
    ).all()
    return [tuple(r) for r in counted], [tuple(r) for r in output]


def _records(db: Session) -> list[tuple[datetime, str, str, str, str, int, int | None, str, int]]:
    """Every closed record: (track-out, routing, operation, station, result, visit, work order,
    product, plant revision)."""
    r = OperationRecord
    return [
        tuple(row)  # type: ignore[misc]
        for row in db.execute(
            select(
                r.track_out_at,
                Unit.routing_code,
                r.operation_code,
                r.station_code,
                r.result,
                r.visit,
                Unit.work_order_id,
                Unit.product_code,
                Unit.plant_revision,
            )
            .join(Unit, Unit.id == r.unit_id)
            .where(r.result.is_not(None))
        )
    ]


def _reference(records: list[tuple], since: datetime, until: datetime) -> list[tallies.TrackOuts]:
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for at, routing, operation, station, result, visit, *_ in records:
        if since <= at < until:
            key = (routing, operation, station)
            passed, first = result == "pass", visit == 1
            counts.update({(*key, "t"): 1, (*key, "p"): passed, (*key, "f"): first,
                           (*key, "fp"): first and passed})  # fmt: skip
    keys = sorted({k[:3] for k in counts})
    return [
        tallies.TrackOuts(*k, counts[(*k, "t")], counts[(*k, "p")], counts[(*k, "f")],
                          counts[(*k, "fp")])
        for k in keys
    ]  # fmt: skip


def _reference_output(
    db: Session, records: list[tuple], since: datetime, until: datetime
) -> dict[tuple[int | None, str], int]:
    revisions = {r[8] for r in records}
    finals = {n: tallies.last_steps(c) for n, c in catalogs(db, revisions).items()}
    found: Counter[tuple[int | None, str]] = Counter()
    for at, routing, operation, _, result, _, order, product, revision in records:
        if since <= at < until and result == "pass" and finals[revision].get(routing) == operation:
            found[(order, product)] += 1
    return dict(found)


def test_ingest_keeps_what_a_recount_gives(db: Session) -> None:
    load_definition_file(db, DEFAULT_PLANT, "system")
    # Three hours through ingest: a sheet split into pieces, rework, a carrier through the
    # furnace, scrap at AOI, packed pieces of a work order, a handset assembled.
    build_plant_history(db, now=NOW)
    kept = _snapshot(db)
    assert kept[0] and kept[1]  # some pieces completed their routing: there is output
    assert sum(row[4] for row in kept[0]) == len(_records(db))
    tallies.rebuild(db)
    assert _snapshot(db) == kept


def test_a_replay_or_a_refusal_counts_nothing(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    piece = glass("T0001")
    events = [
        ev("start", uid=piece, product="CG-AUR-A55", kind="glass"),
        *ev.visit(piece, "IQC-01"),
    ]
    assert [o for o, _ in outcomes(run(db, events))] == ["accepted"] * 3
    once = _snapshot(db)
    assert sum(row[4] for row in once[0]) == 1
    run(db, copy.deepcopy(events))  # duplicates: stored already, counted already
    assert _snapshot(db) == once
    # Out of route (CNC before CUT): refused, nothing written, nothing counted.
    refused = run(db, ev.visit(piece, "CNC-01"))
    assert [o for o, _ in outcomes(refused)] == ["rejected", "rejected"]
    assert _snapshot(db) == once


def test_windows_read_what_the_records_hold(db: Session) -> None:
    load_definition_file(db, DEFAULT_PLANT, "system")
    build_plant_history(db, now=NOW)
    records = _records(db)
    start = min(r[0] for r in records)
    rng = random.Random(7)
    slot = timedelta(minutes=30)
    windows = [
        (start - slot, NOW + slot),  # everything, from slot boundaries
        (tallies.slot_of(start), tallies.slot_of(NOW)),  # whole slots only
        (start + timedelta(minutes=7), start + timedelta(minutes=19)),  # inside one slot
    ]
    for _ in range(12):  # anywhere, mostly mid-slot
        a = start + timedelta(seconds=rng.randrange(-600, 4 * 3600))
        windows.append((a, a + timedelta(seconds=rng.randrange(1, 3 * 3600))))
    read = tallies.track_outs(db, windows)
    for (since, until), found in zip(windows, read, strict=True):
        assert found == _reference(records, since, until), (since, until)
        assert tallies.output(db, since, until) == _reference_output(db, records, since, until)
    assert sum(t.total for t in read[0]) == len(records)


def test_a_window_of_whole_slots_reads_no_records(db: Session) -> None:
    """Whole slots come from the tallies alone: a tally the records do not back still shows."""
    load_definition_file(db, DEFAULT_PLANT, "system")
    build_plant_history(db, now=NOW)
    since, until = tallies.slot_of(NOW) - timedelta(hours=6), tallies.slot_of(NOW)
    before = sum(t.total for t in tallies.track_outs(db, [(since, until)])[0])
    _add_unbacked(db, since)
    assert sum(t.total for t in tallies.track_outs(db, [(since, until)])[0]) == before + 1


def test_the_slot_going_on_now_is_read_from_the_tallies(db: Session) -> None:
    """A partial slot whose other part holds no track-out reads the tally (the same counts);
    one with track-outs on the other side reads its records."""
    load_definition_file(db, DEFAULT_PLANT, "system")
    build_plant_history(db, now=NOW)
    records = _records(db)
    last = max(r[0] for r in records)
    slot = tallies.slot_of(last)
    since, now = slot - timedelta(hours=3), last + timedelta(seconds=1)
    assert now < slot + timedelta(minutes=30)  # the window ends inside the last slot
    before = _reference(records, since, now)
    assert tallies.track_outs(db, [(since, now)])[0] == before
    _add_unbacked(db, slot)  # only the tally holds it: it shows if the slot is read there
    assert (
        sum(t.total for t in tallies.track_outs(db, [(since, now)])[0])
        == sum(t.total for t in before) + 1
    )
    earlier = last - timedelta(seconds=1)  # the last track-out is after the window's end
    assert tallies.slot_of(earlier) == slot
    assert tallies.track_outs(db, [(since, earlier)])[0] == _reference(records, since, earlier)


def _add_unbacked(db: Session, at: datetime) -> None:
    """One track-out in the tallies (slot and day) that no record backs."""
    extra = tallies.TallyBuffer()
    extra.add(at, tallies.site_zone(db), "CG-STD", "CUT", "CUT-01", "pass", True, False, None,
              "CG-AUR-A55")  # fmt: skip
    tallies.store(db, extra)


def _days_of_history(db: Session, seed: int) -> list[tuple]:
    """Track-outs over four site days (and a little either side), through the row builders that
    tally as ingest does: passes, failures, scrap and second visits, some in the same half
    hour as a midnight."""
    rng = random.Random(seed)
    ops = [("IQC", "IQC-01"), ("CUT", "CUT-01"), ("CNC", "CNC-01"), ("CNC", "CNC-02")]
    for n in range(40):
        piece = rows.unit(db, f"D{seed}-{n:04d}")
        for visit, (operation, station) in enumerate(rng.sample(ops, 2), start=1):
            end = rng.uniform(-30, 100)  # hours from rows.T0 (06:00 at the site)
            if rng.random() < 0.15:  # just either side of a site midnight
                end = 18 + 24 * rng.randrange(-1, 4) + rng.uniform(-0.4, 0.4)
            result = rng.choice(["pass", "pass", "pass", "fail", "scrap"])
            rows.record(db, piece, operation, station, end - 0.1, end, result, visit=visit)
    return _records(db)


def _day_snapshot(db: Session) -> list[tuple[object, ...]]:
    d = DayTally
    keys = (d.day, d.routing_code, d.operation_code, d.station_code)
    counts = (d.total, d.passed, d.first, d.first_passed)
    return [tuple(r) for r in db.execute(select(*keys, *counts).order_by(*keys))]


def _day_only(db: Session, day: datetime) -> None:
    """Five track-outs that only the day tally holds (no slot, no record)."""
    db.add(DayTally(day=day, routing_code="CG-STD", operation_code="CUT", station_code="CUT-09",
                    total=5, passed=5, first=5, first_passed=5))  # fmt: skip
    db.flush()


def _site_day_windows(records: list[tuple], zone: str) -> list[tuple[datetime, datetime]]:
    start = min(r[0] for r in records) - timedelta(days=1)
    days = tallies.site_days(start, max(r[0] for r in records) + timedelta(days=1), zone)
    return [
        *days,
        (days[1][0], days[-2][1]),  # all but the ends, from midnight to midnight
        (days[1][0] + timedelta(minutes=47), days[-2][1] - timedelta(minutes=5)),  # mid-slot
        (days[2][0], days[2][1] - timedelta(hours=3)),  # a day so far
        (days[0][0] - timedelta(hours=2), days[-1][1] + timedelta(hours=2)),
    ]


def _check_windows(db: Session, records: list[tuple], windows: list) -> None:
    for (since, until), found in zip(windows, tallies.track_outs(db, windows), strict=True):
        assert found == _reference(records, since, until), (since, until)


def test_site_days_read_what_the_records_hold(db: Session) -> None:
    rows.load_plant(db)  # Asia/Kolkata: midnight is 18:30 UTC, a slot boundary
    records = _days_of_history(db, 1)
    held = db.scalars(select(DayTally.day).distinct()).all()
    assert len(held) >= 5
    kept = _day_snapshot(db)
    tallies.rebuild(db)  # the recount from the records gives what was kept
    assert _day_snapshot(db) == kept
    windows = _site_day_windows(records, "Asia/Kolkata")
    _check_windows(db, records, windows)
    # A whole site day is read from the day tally alone: a count only it holds shows.
    day = windows[2]
    _day_only(db, day[0])
    counted = sum(t.total for t in tallies.track_outs(db, [day])[0])
    assert counted == sum(t.total for t in _reference(records, *day)) + 5


def test_a_zone_off_the_half_hour_keeps_exact_days(db: Session) -> None:
    """Nepal's +5:45 puts midnight inside a slot: the day tally splits that slot by the time."""
    text = DEFAULT_PLANT.read_text().replace("timezone: Asia/Kolkata", "timezone: Asia/Kathmandu")
    load_definition_text(db, text, "nepal.yaml", "system")
    records = _days_of_history(db, 2)
    _check_windows(db, records, _site_day_windows(records, "Asia/Kathmandu"))
    tallies.rebuild(db)
    _check_windows(db, records, _site_day_windows(records, "Asia/Kathmandu"))


def test_after_a_zone_change_days_are_read_from_slots_until_recounted(db: Session) -> None:
    """Days counted in the old zone overlap the new zone's: reports read slots, still exact."""
    rows.load_plant(db)
    records = _days_of_history(db, 3)
    text = DEFAULT_PLANT.read_text().replace("timezone: Asia/Kolkata", "timezone: Asia/Dhaka")
    load_definition_text(db, text, "dhaka.yaml", "system")
    assert tallies.site_zone(db) == "Asia/Dhaka"
    windows = _site_day_windows(records, "Asia/Dhaka")
    _check_windows(db, records, windows)
    # Not from the old days: a count only the old zone's day tally holds does not show.
    old_day = tallies.site_days(windows[2][0], windows[2][1], "Asia/Kolkata")[0][0]
    _day_only(db, old_day)
    _check_windows(db, records, windows)
    tallies.rebuild_days(db)  # counted again in the new zone, from the slots
    assert set(db.scalars(select(DayTally.day))) <= {
        start for start, _ in tallies.site_days(windows[0][0], windows[-1][1], "Asia/Dhaka")
    }
    _check_windows(db, records, windows)
