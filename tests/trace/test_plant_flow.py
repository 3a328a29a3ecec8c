"""The production issue's acceptance test: real events through ingest, then trace both ways.

Glass sheets from one lot are cut into pieces that go through the whole CG-STD route: one piece
is reworked at polishing, the pieces strengthen together in one ion-exchange cycle in a tracked
bath, one is held and released, one is scrapped at AOI; a finished piece is assembled into a
handset with PCBA and battery lots. Then every link is checked from both ends.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.auth.permissions import Role
from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.production.tables import Bath, BathEvent, Unit
from forgeline.trace.service import backward, forward
from tests.production.events_kit import (
    GTIN_SNT_S1,
    QUALITY,
    Events,
    glass,
    outcomes,
    run,
    set_up_line,
)

# A line gateway (as the simulator or an MQTT bridge is) sends for every station of the line.
GATEWAY = Principal(PrincipalKind.USER, "gateway", "Line gateway", frozenset({Role.ADMIN}))
BEFORE_IOX = [("CNC", "CNC-01"), ("POLISH", "POL-01"), ("CLN1", "CLN-01")]
AFTER_IOX = [
    ("CLN2", "CLN-02"), ("PRINT", "PRN-01"), ("CLN3", "CLN-03"), ("COAT", "COAT-01"),
    ("FILM", "FILM-01"), ("AOI", "AOI-01"), ("FQC", "FQC-01"), ("PACK", "PACK-01"),
]  # fmt: skip
PIECES = [glass(f"F{i:04d}", GTIN_SNT_S1) for i in range(4)]
HANDSET = "SNT0000042"


def _all_accepted(db: Session, events: list[dict[str, object]], who: Principal = GATEWAY) -> None:
    report = run(db, events, who)
    refused = [(e.event_id, e.code, e.message) for e in report.events if e.outcome != "accepted"]
    assert not refused, refused


def _build_history(db: Session) -> None:
    set_up_line(db)
    bath = db.scalars(select(Bath).where(Bath.code == "BATH-IOX-01")).one()
    db.add(BathEvent(bath_id=bath.id, kind="analysis", at=datetime(2026, 1, 4, tzinfo=UTC),
                     values={"na_wt_pct": 0.31, "ca_ppm": 12.0}))  # fmt: skip
    ev = Events()
    sheet = "SHEET-F1"
    events = [
        ev("start", uid=sheet, product="CG-SNT-S1", kind="sheet", lot="SHEET-LOT-1"),
        *ev.visit(sheet, "IQC-01"),
        ev("track_in", uid=sheet, station="CUT-01", operator="ravi"),
        ev("split", parent=sheet, children=PIECES),
    ]
    events += [ev("track_out", uid=p, station="CUT-01", result="pass") for p in PIECES]
    for operation, station in BEFORE_IOX:
        for piece in PIECES:
            if operation == "POLISH" and piece == PIECES[1]:
                events += ev.visit(piece, station, result="rework")  # a scratch, polished again
            events += ev.visit(piece, station)
    events += [
        ev("carrier_load", carrier="TRAY-02", uids=PIECES),
        ev("batch_start", batch="IOX-CYCLE-7", station="IOX-01", operation="IOX",
           carriers=["TRAY-02"], bath="BATH-IOX-01", parameters={"temp_c": 450, "hours": 6}),
        ev("track_in", carrier="TRAY-02", station="IOX-01", operator="ravi", batch="IOX-CYCLE-7"),
        ev("track_out", carrier="TRAY-02", station="IOX-01", result="pass"),
        ev("measurement", uid=PIECES[0], station="IOX-01", characteristic="CS", value=815.0),
        ev("batch_end", batch="IOX-CYCLE-7"),
        ev("carrier_unload", carrier="TRAY-02", uids=PIECES),
    ]  # fmt: skip
    _all_accepted(db, events)

    # Quality holds piece 2 on a suspicion, then releases it after checking.
    hold = run(db, [ev("hold", target_type="unit", target=PIECES[2], reason="edge chip?")], QUALITY)
    hold_id = hold.events[0].result["hold_id"]
    blocked = run(db, [ev("track_in", uid=PIECES[2], station="CLN-02", operator="ravi")])
    assert outcomes(blocked) == [("rejected", "unit.on_hold")]
    _all_accepted(db, [ev("release", hold_id=hold_id, note="chip within limit")], QUALITY)

    events = []
    for operation, station in AFTER_IOX:
        for piece in PIECES:
            if operation == "AOI" and piece == PIECES[3]:
                events += ev.visit(piece, station, result="scrap")
            elif not (piece == PIECES[3] and operation in {"FQC", "PACK"}):
                events += ev.visit(piece, station)
    events += [
        ev("start", uid=HANDSET, product="SNT-S1", kind="handset"),
        *ev.visit(HANDSET, "PCB-01"),
        ev("track_in", uid=HANDSET, station="DSA-01", operator="ravi"),
        ev("assemble", handset=HANDSET, glass=PIECES[0],
           lots={"pcba": "PCBA-LOT-1", "battery": "BATT-LOT-1"}),
        ev("track_out", uid=HANDSET, station="DSA-01", result="pass"),
    ]  # fmt: skip
    _all_accepted(db, events)


def test_glass_and_handset_trace_both_ways(db: Session) -> None:
    _build_history(db)
    states = {u.uid: u.status for u in db.scalars(select(Unit))}
    assert states["SHEET-F1"] == "consumed"
    assert [states[p] for p in PIECES] == ["consumed", "finished", "finished", "scrapped"]
    assert states[HANDSET] == "waiting"

    # Backward from the handset: the glass, its sheet and the sheet lot, the IOX cycle and bath
    # chemistry, the rework-free route of piece 0, the PCBA and battery lots.
    history = backward(db, HANDSET).unit
    assert history is not None
    assert [op.operation_code for op in history.operations] == ["PCBA-IN", "DISP-ASM"]
    assert {lu.role: lu.lot.code for lu in history.lots_used} == {
        "pcba": "PCBA-LOT-1", "battery": "BATT-LOT-1"}  # fmt: skip
    (piece,) = history.components
    assert piece.uid == PIECES[0]
    assert piece.assembled_into == HANDSET
    assert [op.operation_code for op in piece.operations] == [
        "CUT", "CNC", "POLISH", "CLN1", "IOX", "CLN2", "PRINT", "CLN3", "COAT", "FILM",
        "AOI", "FQC", "PACK"]  # fmt: skip
    iox = next(op for op in piece.operations if op.operation_code == "IOX")
    assert iox.batch_run is not None and iox.batch_run.code == "IOX-CYCLE-7"
    assert iox.batch_run.bath is not None and iox.batch_run.bath.code == "BATH-IOX-01"
    assert iox.batch_run.chemistry is not None
    assert iox.batch_run.chemistry.values["na_wt_pct"] == 0.31
    assert iox.carrier is not None and iox.carrier.code == "TRAY-02"
    # The bath aged by the one cycle run in it (6 simulated seconds, as the events say).
    assert iox.batch_run.bath.cycles == 1
    assert 0 < iox.batch_run.bath.hours < 0.01
    assert [(m.characteristic_code, m.value) for m in iox.measurements] == [("CS", 815.0)]
    assert piece.split_from is not None and piece.split_from.uid == "SHEET-F1"
    assert piece.split_from.lot is not None and piece.split_from.lot.code == "SHEET-LOT-1"

    # The reworked piece shows both polishing visits; the held one shows its released hold.
    reworked = backward(db, PIECES[1]).unit
    assert reworked is not None
    polish = [op for op in reworked.operations if op.operation_code == "POLISH"]
    assert [(op.result, op.visit) for op in polish] == [("rework", 1), ("pass", 2)]
    held = backward(db, PIECES[2]).unit
    assert held is not None
    assert [(h.reason, h.released_at is not None) for h in held.holds] == [("edge chip?", True)]

    # Forward from the ion-exchange cycle, the bath and the sheet lot: all four pieces, the one
    # handset that contains piece 0, with their current states.
    for subject in ("IOX-CYCLE-7", "BATH-IOX-01", "SHEET-LOT-1"):
        recall = forward(db, subject)
        assert {p.uid for p in recall.pieces} >= set(PIECES), subject
        assert [h.uid for h in recall.handsets] == [HANDSET], subject
        assert next(p for p in recall.pieces if p.uid == PIECES[0]).handset_uid == HANDSET
        assert recall.piece_counts.get("scrapped") == 1, subject

    # Forward from the AOI station in the window of this run: the pieces it saw.
    aoi = forward(db, "station:AOI-01")
    assert {p.uid for p in aoi.pieces} == set(PIECES)
