"""One glass piece through CG-STD by events alone; sheets, carriers, batches, holds, assembly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.production.tables import (
    BatchRun,
    Defect,
    EquipmentState,
    LotUse,
    Measurement,
    OperationRecord,
    Unit,
)
from tests.production.events_kit import (
    GTIN_SNT_S1,
    QUALITY,
    ROUTE,
    Events,
    glass,
    outcomes,
    run,
    set_up_line,
)


def unit(db: Session, uid: str) -> Unit:
    row = db.scalars(select(Unit).where(Unit.uid == uid)).one()
    db.refresh(row)
    return row


def test_full_route_with_rework_out_of_spec_and_defect(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    uid = glass("P0001")
    events = [ev("start", uid=uid, product="CG-AUR-A55", kind="glass", lot="SHEET-LOT-1")]
    for operation, station in ROUTE:
        events.append(ev("track_in", uid=uid, station=station, operator="ravi"))
        if operation == "POLISH":
            # A scratch found at polishing: rework once, then pass on the second visit.
            events.append(ev("defect", uid=uid, station=station, code="SCR", zone="A", x_mm=1.5))
            events.append(ev("track_out", uid=uid, station=station, result="rework"))
            events.append(ev("track_in", uid=uid, station=station, operator="ravi"))
        if operation == "IOX":
            events.append(
                ev("measurement", uid=uid, station=station, characteristic="CS", value=650.0)
            )
        events.append(ev("track_out", uid=uid, station=station, result="pass"))
        if operation == "IOX":  # measured after the cycle: still the IOX operation's plan
            events.append(
                ev("measurement", uid=uid, station=station, characteristic="DOL", value=40)
            )
    report = run(db, events)
    assert [o for o, _ in outcomes(report)] == ["accepted"] * len(events), report.to_dict()

    piece = unit(db, uid)
    assert (piece.status, piece.next_operation, piece.hold_count) == ("finished", None, 0)
    assert piece.rework_counts == {"POLISH>POLISH": 1}
    records = db.scalars(
        select(OperationRecord)
        .where(OperationRecord.unit_id == piece.id)
        .order_by(OperationRecord.id)
    ).all()
    assert [r.operation_code for r in records] == [op for op, _ in ROUTE[:4]] + [
        op for op, _ in ROUTE[3:]
    ]
    polish = [r for r in records if r.operation_code == "POLISH"]
    assert [(r.result, r.visit, r.rework_to) for r in polish] == [
        ("rework", 1, "POLISH"),
        ("pass", 2, None),
    ]
    assert all(r.track_out_at is not None and r.operator == "ravi" for r in records)
    cs, dol = db.scalars(select(Measurement).order_by(Measurement.id)).all()
    assert (cs.characteristic_code, cs.lsl, cs.usl, cs.in_spec) == ("CS", 700, 950, False)
    assert cs.operation_code == dol.operation_code == "IOX"
    assert dol.record_id == cs.record_id is not None
    defect = db.scalars(select(Defect)).one()
    assert (defect.defect_code, defect.zone, defect.record_id) == ("SCR", "A", polish[0].id)
    assert report.events[-1].result == {"unit": uid, "status": "finished"}


def test_rework_limit_then_scrap(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    uid = glass("P0002")
    events = [ev("start", uid=uid, product="CG-AUR-A55", kind="glass")]
    for _, station in ROUTE[:3]:
        events += ev.visit(uid, station)
    for _ in range(3):  # POLISH allows two reworks; the third is refused
        events += ev.visit(uid, "POL-01", result="rework")
    report = run(db, events)
    assert outcomes(report)[-1] == ("rejected", "routing.rework_limit")
    scrap = run(db, [ev("track_out", uid=uid, station="POL-01", result="scrap")])
    assert outcomes(scrap) == [("accepted", None)]
    assert unit(db, uid).status == "scrapped"


def test_sheet_split_into_pieces_that_go_on_alone(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    pieces = [glass(f"S{i:04d}") for i in range(3)]
    events = [
        ev("start", uid="SHEET-0001", product="CG-AUR-A55", kind="sheet", lot="SHEET-LOT-1"),
        *ev.visit("SHEET-0001", "IQC-01"),
        ev("track_in", uid="SHEET-0001", station="CUT-01", operator="ravi"),
        ev("split", parent="SHEET-0001", children=pieces),
        ev("track_out", uid=pieces[0], station="CUT-01", result="pass"),
        ev("track_out", uid=pieces[1], station="CUT-01", result="scrap"),
        ev("track_in", uid=pieces[0], station="CNC-01", operator="ravi"),
    ]
    report = run(db, events)
    assert [o for o, _ in outcomes(report)] == ["accepted"] * len(events), report.to_dict()
    sheet = unit(db, "SHEET-0001")
    assert sheet.status == "consumed"
    first, second, third = (unit(db, uid) for uid in pieces)
    assert (first.status, first.next_operation, first.parent_id) == ("in_process", "CNC", sheet.id)
    assert first.lot_id == sheet.lot_id is not None
    assert (second.status, third.status, third.next_operation) == ("scrapped", "in_process", "CUT")
    again = run(db, [ev("split", parent="SHEET-0001", children=[glass("S9999")])])
    assert outcomes(again) == [("rejected", "unit.consumed")]


def test_carrier_batch_and_equipment_state(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    uids = [glass(f"C{i:04d}") for i in range(3)]
    events = [ev("start", uid=u, product="CG-AUR-A55", kind="glass") for u in uids]
    for _, station in ROUTE[:4]:
        events += [e for u in uids for e in ev.visit(u, station)]
    events += [
        ev("carrier_load", carrier="TRAY-01", uids=uids),
        ev("batch_start", batch="CLN-B1", station="CLN-01", operation="CLN1", carriers=["TRAY-01"]),
        ev("track_in", carrier="TRAY-01", station="CLN-01", operator="ravi", batch="CLN-B1"),
        ev("track_out", carrier="TRAY-01", station="CLN-01", result="pass"),
        ev("batch_end", batch="CLN-B1"),
        ev("equipment_state", station="CLN-01", state="standby", reason="no WIP"),
        ev("carrier_load", carrier="TRAY-01", uids=[glass("C0009")]),
    ]
    report = run(db, events)
    assert [o for o, _ in outcomes(report)][:-1] == ["accepted"] * (len(events) - 1)
    assert outcomes(report)[-1] == ("rejected", "unit.unknown")
    assert report.events[-4].result == {
        "carrier": "TRAY-01",
        "units": 3,
        "statuses": {"waiting": 3},
    }
    batch = db.scalars(select(BatchRun)).one()
    assert batch.ended_at is not None and batch.carriers == ["TRAY-01"]
    cleaned = db.scalars(select(OperationRecord).where(OperationRecord.operation_code == "CLN1"))
    assert {r.batch_run_id for r in cleaned} == {batch.id}
    assert db.scalars(select(EquipmentState)).one().state == "standby"
    assert all(unit(db, u).next_operation == "IOX" for u in uids)


def test_hold_stops_a_unit_until_quality_releases_it(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    uid = glass("H0001")
    report = run(
        db,
        [
            ev("start", uid=uid, product="CG-AUR-A55", kind="glass"),
            ev("hold", target_type="unit", target=uid, reason="suspect sheet"),
            ev("track_in", uid=uid, station="IQC-01", operator="ravi"),
        ],
    )
    assert outcomes(report) == [
        ("accepted", None),
        ("accepted", None),
        ("rejected", "unit.on_hold"),
    ]
    hold_id = report.events[1].result["hold_id"]
    refused = run(db, [ev("release", hold_id=hold_id, note="cleared")])
    assert outcomes(refused) == [("rejected", "hold.release_forbidden")]
    released = run(
        db,
        [
            ev("release", hold_id=hold_id, note="cleared by lab"),
            ev("track_in", uid=uid, station="IQC-01", operator="ravi"),
        ],
        QUALITY,
    )
    assert outcomes(released) == [("accepted", None), ("accepted", None)]
    actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions.count("hold.placed") == actions.count("hold.released") == 1
    # One audit entry per batch, never one per event.
    assert actions.count("events.ingested") == 2


def test_assemble_finished_glass_into_a_handset(db: Session) -> None:
    set_up_line(db)
    ev = Events()
    piece = glass("G0001", GTIN_SNT_S1)
    events = [ev("start", uid=piece, product="CG-SNT-S1", kind="glass")]
    for _, station in ROUTE:
        events += ev.visit(piece, station)
    events += [
        ev("start", uid="SNT0000001", product="SNT-S1", kind="handset"),
        *ev.visit("SNT0000001", "PCB-01"),
        ev("track_in", uid="SNT0000001", station="DSA-01", operator="ravi"),
        ev("assemble", handset="SNT0000001", glass=piece,
           lots={"pcba": "PCBA-LOT-1", "battery": "BATT-LOT-1"}),
        ev("assemble", handset="SNT0000001", glass=piece),
        ev("start", uid="bad serial", product="SNT-S1", kind="handset"),
    ]  # fmt: skip
    report = run(db, events)
    assert outcomes(report)[-3:] == [
        ("accepted", None),
        ("rejected", "unit.consumed"),
        ("rejected", "unit.invalid_serial"),
    ]
    handset, used = unit(db, "SNT0000001"), unit(db, piece)
    assert (used.status, used.assembled_into_id) == ("consumed", handset.id)
    assert sorted(u.role for u in db.scalars(select(LotUse))) == ["battery", "pcba"]


def test_ink_lot_consumed_at_print_is_recorded_per_piece(db: Session) -> None:
    from forgeline.production.tables import MaterialLot

    set_up_line(db)
    db.add_all([MaterialLot(code="INK-LOT-7", kind="ink", quantity=5),
                MaterialLot(code="INK-LOT-8", kind="coating", quantity=5)])  # fmt: skip
    db.flush()
    ev = Events()
    uid = glass("K0001")
    events = [ev("start", uid=uid, product="CG-AUR-A55", kind="glass")]
    for _operation, station in ROUTE[:7]:
        events += ev.visit(uid, station)
    events += [
        ev("track_in", uid=uid, station="PRN-01", operator="ravi", lots={"ink": "INK-LOT-8"}),
        ev("track_in", uid=uid, station="PRN-01", operator="ravi", lots={"ink": "INK-LOT-7"}),
    ]
    report = run(db, events)
    assert outcomes(report)[-2:] == [("rejected", "lot.wrong_kind"), ("accepted", None)]
    (use,) = db.scalars(select(LotUse)).all()
    assert use.role == "ink"
    assert use.record_id == unit(db, uid).current_record_id


def test_held_station_carrier_and_lot_stop_processing(db: Session) -> None:
    from forgeline.production.holds import place_hold, release_hold
    from tests.production.events_kit import QUALITY

    set_up_line(db)
    ev = Events()
    uids = [glass(f"Q{i:04d}") for i in range(2)]
    events = [ev("start", uid=u, product="CG-AUR-A55", kind="glass") for u in uids]
    assert [o for o, _ in outcomes(run(db, events))] == ["accepted"] * len(events)
    stop = place_hold(db, target_type="station", target="IQC-01", reason="lamp", actor="user:q")
    place_hold(db, target_type="carrier", target="TRAY-02", reason="cracked", actor="user:q")
    place_hold(db, target_type="lot", target="SHEET-LOT-1", reason="supplier", actor="user:q")
    refused = run(db, [
        ev("carrier_load", carrier="TRAY-02", uids=[uids[0]]),
        ev("track_in", uid=uids[1], station="IQC-01", operator="ravi"),
        ev("start", uid=glass("Q0009"), product="CG-AUR-A55", kind="glass", lot="SHEET-LOT-1"),
        ev("track_in", uid=uids[0], station="IQC-02", operator="ravi"),
    ])  # fmt: skip
    assert outcomes(refused) == [
        ("rejected", "carrier.on_hold"),
        ("rejected", "station.on_hold"),
        ("rejected", "lot.on_hold"),
        ("accepted", None),  # the same piece at a station that is not held
    ]
    release_hold(db, stop.id, actor="user:asha", note="lamp replaced", roles=QUALITY.roles)
    again = run(db, [ev("track_in", uid=uids[1], station="IQC-01", operator="ravi")])
    assert outcomes(again) == [("accepted", None)]
