"""Holds catch exactly the right units, count them, release only by quality, and are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from forgeline.auth.permissions import Role
from forgeline.errors import DomainError, ErrorKind
from forgeline.production.holds import (
    active_holds,
    place_hold,
    release_hold,
    station_on_hold,
    units_on_hold,
)
from forgeline.production.tables import BatchRun, Bath, Carrier, MaterialLot
from tests.production import rows
from tests.production.rows import at

QUALITY = frozenset({Role.QUALITY})


@pytest.fixture
def plant(db: Session) -> None:
    rows.load_plant(db)


def held(db: Session) -> set[str]:
    return {uid for uid, count in rows.hold_counts(db).items() if count > 0}


def hold(db: Session, target_type: str, target: str, **window: object) -> int:
    placed = place_hold(
        db, target_type=target_type, target=target, reason="suspect", actor="user:q", **window
    )  # type: ignore[arg-type]
    return placed.id


def test_unit_hold_catches_the_unit_only_and_is_audited(db: Session) -> None:
    rows.unit(db, "U1")
    rows.unit(db, "U2")
    hold_id = hold(db, "unit", "U1")
    assert held(db) == {"U1"}
    [entry] = rows.audit_entries(db, "hold.placed")
    assert entry.object_id == str(hold_id) and entry.actor == "user:q"
    assert entry.after is not None and entry.after["units"] == 1


def test_carrier_hold_catches_units_in_it_and_counts_on_the_carrier(db: Session) -> None:
    tray = rows.carrier(db, "TRAY-1")
    other = rows.carrier(db, "TRAY-2")
    rows.unit(db, "A", carrier=tray)
    rows.unit(db, "B", carrier=tray)
    rows.unit(db, "C", carrier=other)
    rows.unit(db, "D")
    hold(db, "carrier", "TRAY-1")
    assert held(db) == {"A", "B"}
    db.expire_all()
    assert db.get(Carrier, tray.id).hold_count == 1  # type: ignore[union-attr]
    assert db.get(Carrier, other.id).hold_count == 0  # type: ignore[union-attr]


def test_lot_hold_catches_lot_units_their_splits_and_consumers(db: Session) -> None:
    from forgeline.production.tables import LotUse

    sheets = rows.lot(db, "SHEET-LOT-1")
    other = rows.lot(db, "SHEET-LOT-2")
    sheet = rows.unit(db, "SHEET-1", lot=sheets)
    piece = rows.unit(db, "PIECE-1", parent=sheet)
    rows.unit(db, "PIECE-1-A", parent=piece)  # a split of a split
    rows.unit(db, "SHEET-9", lot=other)
    handset = rows.unit(db, "HS-1")
    db.add(LotUse(unit_id=handset.id, lot_id=sheets.id, role="pcba", at=at(1)))
    db.flush()
    hold(db, "lot", "SHEET-LOT-1")
    assert held(db) == {"SHEET-1", "PIECE-1", "PIECE-1-A", "HS-1"}
    db.expire_all()
    assert db.get(MaterialLot, sheets.id).hold_count == 1  # type: ignore[union-attr]


def test_bath_hold_catches_units_of_its_batch_runs_or_only_those_in_the_window(
    db: Session,
) -> None:
    bath = rows.bath(db, "BATH-1")
    early = rows.batch(db, "RUN-1", 0, 8, bath_row=bath)
    late = rows.batch(db, "RUN-2", 10, 18, bath_row=bath)
    foreign = rows.batch(db, "RUN-3", 0, 8, station="IOX-02")
    for uid, run in (("E1", early), ("E2", early), ("L1", late), ("F1", foreign)):
        rows.record(db, rows.unit(db, uid), "IOX", run.station_code, 0, 8, batch_row=run)
    window_id = hold(db, "bath", "BATH-1", window_start=at(9), window_end=at(11))
    assert held(db) == {"L1"}
    release_hold(db, window_id, actor="user:q", note="CS fine", roles=QUALITY)
    hold(db, "bath", "BATH-1")
    assert held(db) == {"E1", "E2", "L1"}
    db.expire_all()
    assert db.get(Bath, bath.id).hold_count == 1  # type: ignore[union-attr]


def test_batch_hold_catches_the_units_of_that_run(db: Session) -> None:
    run = rows.batch(db, "RUN-7", 0, 8)
    rows.record(db, rows.unit(db, "IN"), "IOX", "IOX-01", 0, 8, batch_row=run)
    rows.record(db, rows.unit(db, "OUT"), "IOX", "IOX-01", 0, 8)
    hold(db, "batch", "RUN-7")
    assert held(db) == {"IN"}
    db.expire_all()
    assert db.get(BatchRun, run.id).hold_count == 1  # type: ignore[union-attr]


def test_station_window_hold_catches_units_processed_there_in_the_window(
    db: Session, plant: None
) -> None:
    rows.record(db, rows.unit(db, "BEFORE"), "CNC", "CNC-01", 0, 1)
    rows.record(db, rows.unit(db, "ACROSS"), "CNC", "CNC-01", 1.5, 2.5)
    rows.record(db, rows.unit(db, "INSIDE"), "CNC", "CNC-01", 2.2, 2.4)
    rows.record(db, rows.unit(db, "STILL-IN"), "CNC", "CNC-01", 2.9, None)
    rows.record(db, rows.unit(db, "AFTER"), "CNC", "CNC-01", 3, 4)
    rows.record(db, rows.unit(db, "ELSEWHERE"), "CNC", "CNC-02", 2.2, 2.4)
    hold_id = hold(db, "station", "CNC-01", window_start=at(2), window_end=at(3))
    assert held(db) == {"ACROSS", "INSIDE", "STILL-IN"}
    assert units_on_hold(db, hold_id) == ["ACROSS", "INSIDE", "STILL-IN"]
    assert not station_on_hold(db, "CNC-01")  # a window hold quarantines units, not the station


def test_station_hold_stops_the_station_until_released(db: Session, plant: None) -> None:
    rows.record(db, rows.unit(db, "DONE"), "CNC", "CNC-01", 0, 1)
    hold_id = hold(db, "station", "CNC-01")
    assert held(db) == set()
    assert station_on_hold(db, "CNC-01") and not station_on_hold(db, "CNC-02")
    release_hold(db, hold_id, actor="user:q", note="spindle replaced", roles=QUALITY)
    assert not station_on_hold(db, "CNC-01")


def test_release_by_quality_restores_counts_and_is_audited(db: Session) -> None:
    tray = rows.carrier(db, "TRAY-1")
    rows.unit(db, "A", carrier=tray)
    first = hold(db, "carrier", "TRAY-1")
    hold(db, "unit", "A")
    assert rows.hold_counts(db) == {"A": 2}
    released = release_hold(db, first, actor="user:q", note="rinsed", roles=QUALITY)
    assert released.released_by == "user:q" and released.released_at is not None
    assert rows.hold_counts(db) == {"A": 1}  # still under the unit hold
    db.expire_all()
    assert db.get(Carrier, tray.id).hold_count == 0  # type: ignore[union-attr]
    [entry] = rows.audit_entries(db, "hold.released")
    assert entry.object_id == str(first) and entry.after is not None
    assert entry.after["units"] == 1 and entry.after["release_note"] == "rinsed"
    assert [h.id for h, _ in active_holds(db)[0]] != [first]


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.QUALITY])
def test_release_by_any_other_role_is_refused(db: Session, role: Role) -> None:
    rows.unit(db, "A")
    hold_id = hold(db, "unit", "A")
    with pytest.raises(DomainError) as refused:
        release_hold(db, hold_id, actor="user:x", note="fine", roles={role})
    assert refused.value.code == "hold.release_forbidden"
    assert refused.value.kind is ErrorKind.FORBIDDEN
    assert rows.hold_counts(db) == {"A": 1}
    assert rows.audit_entries(db, "hold.released") == []


def test_double_release_is_refused(db: Session) -> None:
    rows.unit(db, "A")
    hold_id = hold(db, "unit", "A")
    release_hold(db, hold_id, actor="user:q", note="ok", roles=QUALITY)
    with pytest.raises(DomainError) as refused:
        release_hold(db, hold_id, actor="user:q", note="ok", roles=QUALITY)
    assert refused.value.code == "hold.already_released"
    assert rows.hold_counts(db) == {"A": 0}


@pytest.mark.parametrize(
    ("target_type", "target", "reason", "window", "code"),
    [
        ("unit", "NOPE", "bad", {}, "hold.target_not_found"),
        ("station", "NOPE-01", "bad", {}, "hold.target_not_found"),
        ("pallet", "X", "bad", {}, "hold.unknown_target_type"),
        ("unit", "A", "   ", {}, "hold.reason_required"),
        (
            "station",
            "CNC-01",
            "bad",
            {"window_start": at(3), "window_end": at(2)},
            "hold.window_invalid",
        ),
        ("station", "CNC-01", "bad", {"window_start": at(3)}, "hold.window_incomplete"),
        (
            "unit",
            "A",
            "bad",
            {"window_start": at(1), "window_end": at(2)},
            "hold.window_not_supported",
        ),
        (
            "station",
            "CNC-01",
            "bad",
            {"window_start": at(1).replace(tzinfo=None), "window_end": at(2).replace(tzinfo=None)},
            "hold.window_naive",
        ),
    ],
)
def test_bad_holds_are_refused_and_write_nothing(
    db: Session,
    plant: None,
    target_type: str,
    target: str,
    reason: str,
    window: dict[str, object],
    code: str,
) -> None:
    rows.unit(db, "A")
    with pytest.raises(DomainError) as refused:
        place_hold(
            db, target_type=target_type, target=target, reason=reason, actor="user:q", **window
        )  # type: ignore[arg-type]
    assert refused.value.code == code
    assert active_holds(db)[1] == 0


def test_window_is_half_open(db: Session, plant: None) -> None:
    rows.record(db, rows.unit(db, "ENDS-AT-START"), "CNC", "CNC-01", 1, 2)
    rows.record(db, rows.unit(db, "STARTS-AT-END"), "CNC", "CNC-01", 3, 4)
    hold(db, "station", "CNC-01", window_start=at(2), window_end=at(2) + timedelta(hours=1))
    assert held(db) == set()
