"""What ingest stores on a unit row across batches: the routing state on every change, and the
carrier and assembly links only when they move (the store writes those two columns apart)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.production.tables import Carrier, Unit
from tests.production.events_kit import (
    GTIN_SNT_S1,
    ROUTE,
    Events,
    glass,
    outcomes,
    run,
    set_up_line,
)


def stored(db: Session, uid: str) -> tuple[str, str | None, int | None, int | None]:
    row = db.scalars(select(Unit).where(Unit.uid == uid)).one()
    db.refresh(row)
    return row.status, row.next_operation, row.carrier_id, row.assembled_into_id


def accepted(db: Session, events: list[dict[str, object]]) -> None:
    report = run(db, events)
    assert [o for o, _ in outcomes(report)] == ["accepted"] * len(events), report.to_dict()


def test_carrier_link_survives_state_updates_and_clears_on_unload(db: Session) -> None:
    set_up_line(db)
    tray = db.scalars(select(Carrier).where(Carrier.code == "TRAY-02")).one().id
    ev = Events()
    uids = [glass(f"L{i:04d}") for i in range(3)]
    # Batch 1: new units, loaded in the batch that creates them.
    accepted(db, [ev("start", uid=u, product="CG-AUR-A55", kind="glass") for u in uids]
             + [ev("carrier_load", carrier="TRAY-02", uids=uids)])  # fmt: skip
    assert [stored(db, u) for u in uids] == [("waiting", "IQC", tray, None)] * 3
    # Batch 2: stored units move along their route; only their routing state changes.
    accepted(db, [ev("track_in", carrier="TRAY-02", station="IQC-01", operator="ravi")])
    assert [stored(db, u) for u in uids] == [("in_process", "IQC", tray, None)] * 3
    # Batch 3: the state changes and one unit leaves the tray in the same batch.
    accepted(db, [ev("track_out", carrier="TRAY-02", station="IQC-01", result="pass"),
                  ev("carrier_unload", carrier="TRAY-02", uids=[uids[0]])])  # fmt: skip
    assert stored(db, uids[0]) == ("waiting", "CUT", None, None)
    assert [stored(db, u) for u in uids[1:]] == [("waiting", "CUT", tray, None)] * 2
    # Batch 4: a unit that left is loaded again; one that stayed only moves on.
    accepted(db, [ev("carrier_load", carrier="TRAY-02", uids=[uids[0]]),
                  *ev.visit(uids[1], "CUT-01")])  # fmt: skip
    assert stored(db, uids[0]) == ("waiting", "CUT", tray, None)
    assert stored(db, uids[1]) == ("waiting", "CNC", tray, None)


def test_assembly_link_is_stored_when_the_piece_was_written_in_an_earlier_batch(
    db: Session,
) -> None:
    set_up_line(db)
    ev = Events()
    piece = glass("G0002", GTIN_SNT_S1)
    first = [ev("start", uid=piece, product="CG-SNT-S1", kind="glass")]
    for _, station in ROUTE:
        first += ev.visit(piece, station)
    accepted(db, first)
    assert stored(db, piece) == ("finished", None, None, None)
    accepted(db, [ev("start", uid="SNT0000002", product="SNT-S1", kind="handset"),
                  *ev.visit("SNT0000002", "PCB-01")])  # fmt: skip
    accepted(db, [ev("track_in", uid="SNT0000002", station="DSA-01", operator="ravi"),
                  ev("assemble", handset="SNT0000002", glass=piece)])  # fmt: skip
    handset = db.scalars(select(Unit).where(Unit.uid == "SNT0000002")).one().id
    assert stored(db, piece) == ("consumed", None, None, handset)
    # A later state change of the handset leaves the piece's link alone.
    accepted(db, [ev("track_out", uid="SNT0000002", station="DSA-01", result="pass")])
    assert stored(db, piece) == ("consumed", None, None, handset)
