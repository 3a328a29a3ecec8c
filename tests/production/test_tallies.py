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

from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production import tallies
from forgeline.production.catalog import catalogs
from forgeline.production.tables import OperationRecord, Unit
from forgeline.production.tallies import OutputTally, TrackOutTally
from tests.e2e.plant_history import build_plant_history
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
    extra = tallies.TallyBuffer()
    extra.add(since, "CG-STD", "CUT", "CUT-01", "pass", True, False, None, "CG-AUR-A55")
    tallies.store(db, extra)
    assert sum(t.total for t in tallies.track_outs(db, [(since, until)])[0]) == before + 1
