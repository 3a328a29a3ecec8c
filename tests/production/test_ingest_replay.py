"""Replays store nothing twice; a reused event_id with another body is a conflict."""

from __future__ import annotations

import copy

from sqlalchemy.orm import Session

from forgeline.production.tables import (
    IngestedEvent,
    Measurement,
    OperationRecord,
    Unit,
)
from tests.production.events_kit import Events, count, glass, outcomes, run, set_up_line

TABLES = (IngestedEvent, Unit, OperationRecord, Measurement)


def batch(ev: Events) -> list[dict[str, object]]:
    uid = glass("D0001")
    return [
        ev("start", uid=uid, product="CG-AUR-A55", kind="glass"),
        ev("track_in", uid=uid, station="IQC-01", operator="ravi"),
        ev("measurement", uid=uid, station="IQC-01", characteristic="SHEET-THK", value=0.6),
        ev("track_out", uid=uid, station="IQC-01", result="pass"),
        ev("track_in", uid=uid, station="CNC-01", operator="ravi"),  # CUT is next, not CNC
    ]


def test_replaying_a_batch_answers_duplicates_and_stores_nothing(db: Session) -> None:
    set_up_line(db)
    events = batch(Events())
    first = run(db, events)
    assert [o for o, _ in outcomes(first)] == ["accepted"] * 4 + ["rejected"]
    counts = [count(db, t) for t in TABLES]
    again = run(db, copy.deepcopy(events))
    # A refused event was never stored: resent, it is judged again (and refused again).
    assert outcomes(again) == [("duplicate", None)] * 4 + [
        ("rejected", "routing.wrong_station_type")
    ]
    assert [e.result for e in again.events[:4]] == [e.result for e in first.events[:4]]
    assert [count(db, t) for t in TABLES] == counts


def test_same_event_id_with_another_body_is_a_conflict(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    events = batch(ev)[:3]
    run(db, events)
    changed = {**events[2], "value": 0.7}
    report = run(db, [changed])
    assert outcomes(report) == [("rejected", "event.conflict")]
    assert count(db, Measurement) == 1


def test_repeated_event_id_within_one_batch(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    start = ev("start", uid=glass("D0002"), product="CG-AUR-A55", kind="glass")
    other = {**start, "uid": glass("D0003")}
    report = run(db, [start, dict(start), other])
    assert outcomes(report) == [
        ("accepted", None),
        ("duplicate", None),
        ("rejected", "event.conflict"),
    ]
    assert report.events[1].result == report.events[0].result
    assert count(db, Unit) == 1 and count(db, IngestedEvent) == 1
