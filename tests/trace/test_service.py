"""Backward and forward trace over the small genealogy of conftest, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from forgeline.errors import DomainError, ErrorKind
from forgeline.trace import service
from forgeline.trace.schemas import ForwardTrace, SubjectKind, UnitTrace
from tests.trace.conftest import G1, G2, G3, G4, H1, H2, S1, S2, Genealogy, hours


def uids(trace: ForwardTrace) -> tuple[set[str], set[str]]:
    return {u.uid for u in trace.pieces}, {u.uid for u in trace.handsets}


def op(unit: UnitTrace, code: str) -> object:
    (found,) = [o for o in unit.operations if o.operation_code == code]
    return found


# --- resolve -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        (G1, SubjectKind.UNIT),
        (H1, SubjectKind.UNIT),
        ("SHEET-LOT-1", SubjectKind.LOT),
        ("BSK-01", SubjectKind.CARRIER),
        ("IOX-RUN-1", SubjectKind.BATCH_RUN),
        ("BATH-A", SubjectKind.BATH),
        ("CNC-01", SubjectKind.STATION),
        ("alice", SubjectKind.OPERATOR),
        ("  BATH-A ", SubjectKind.BATH),
        ("station:IOX-01", SubjectKind.STATION),
        ("operator:bob", SubjectKind.OPERATOR),
    ],
)
def test_resolve_names_every_kind(
    db: Session, genealogy: Genealogy, identifier: str, kind: SubjectKind
) -> None:
    subject = service.resolve(db, identifier)
    assert subject.kind is kind
    assert subject.code == identifier.strip().partition(":")[2 if ":" in identifier else 0]
    assert (subject.id is None) == (kind in {SubjectKind.STATION, SubjectKind.OPERATOR})


def test_resolve_a_unit_says_which_kind(db: Session, genealogy: Genealogy) -> None:
    assert service.resolve(db, H1).unit_kind == "handset"
    assert service.resolve(db, G1).unit_kind == "glass"


@pytest.mark.parametrize("identifier", ["NOPE-1", "lot:BSK-01", "station:nobody"])
def test_unknown_identifier_is_not_found(
    db: Session, genealogy: Genealogy, identifier: str
) -> None:
    with pytest.raises(DomainError) as caught:
        service.resolve(db, identifier)
    assert (caught.value.code, caught.value.kind) == ("trace.not_found", ErrorKind.NOT_FOUND)


@pytest.mark.parametrize(
    "scanned",
    ["010950600013435221G0001", "]d2010950600013435221G0001", " (01)09506000134352(21)G0001 "],
)
def test_resolve_accepts_a_scanners_bare_gs1_data(
    db: Session, genealogy: Genealogy, scanned: str
) -> None:
    subject = service.resolve(db, scanned)
    assert (subject.code, subject.id) == (G1, genealogy.units[G1])


def test_empty_identifier_is_invalid(db: Session) -> None:
    with pytest.raises(DomainError) as caught:
        service.resolve(db, "  ")
    assert caught.value.code == "trace.empty_identifier"


# --- backward ----------------------------------------------------------------------------------


def test_backward_from_handset_reaches_glass_sheet_lot_bath_and_component_lots(
    db: Session, genealogy: Genealogy
) -> None:
    trace = service.backward(db, H1)
    handset = trace.unit
    assert handset is not None
    assert (handset.uid, handset.kind, handset.status) == (H1, "handset", "finished")
    assert [o.operation_code for o in handset.operations] == ["ASSY", "TEST"]
    assert {(u.role, u.lot.code) for u in handset.lots_used} == {
        ("pcba", "PCBA-LOT-1"),
        ("battery", "BATT-LOT-1"),
    }
    (glass,) = handset.components
    assert (glass.uid, glass.assembled_into) == (G1, H1)
    assert [o.operation_code for o in glass.operations] == ["CNC", "IOX", "AOI"]
    iox = op(glass, "IOX")
    assert iox.carrier is not None and iox.carrier.code == "BSK-01"  # type: ignore[attr-defined]
    run = iox.batch_run  # type: ignore[attr-defined]
    assert run.code == "IOX-RUN-1" and run.bath.code == "BATH-A"
    # The analysis in force at the run's start (03:00) is the 02:00 one, not the 10:00 one.
    assert run.chemistry.at == hours(2)
    assert run.chemistry.values == {"na_wt_pct": 0.25}
    assert glass.split_from is not None and glass.split_from.uid == S1
    assert glass.split_from.lot is not None and glass.split_from.lot.code == "SHEET-LOT-1"
    assert glass.lot is not None and glass.lot.code == "SHEET-LOT-1"
    assert [o.operation_code for o in glass.split_from.operations] == ["SCRIBE"]
    assert [h.target_code for h in glass.holds] == ["IOX-RUN-1"]


def test_backward_attaches_measurements_and_defects_to_their_operation(
    db: Session, genealogy: Genealogy
) -> None:
    g1 = service.backward(db, G1).unit
    assert g1 is not None
    aoi = op(g1, "AOI")
    assert [m.value for m in aoi.measurements] == [812.0]  # type: ignore[attr-defined]
    assert [m.value for m in g1.other_measurements] == [805.0]
    assert g1.assembled_into == H1
    g2 = service.backward(db, G2).unit
    assert g2 is not None
    assert [d.defect_code for d in op(g2, "AOI").defects] == ["SCRATCH"]  # type: ignore[attr-defined]
    assert g2.assembled_into is None and g2.components == []


def test_backward_timeline_covers_the_genealogy_in_time_order(
    db: Session, genealogy: Genealogy
) -> None:
    timeline = service.backward(db, H1).timeline
    assert [(e.unit_uid, e.operation_code) for e in timeline] == [
        (S1, "SCRIBE"),
        (G1, "CNC"),
        (G1, "IOX"),
        (G1, "AOI"),
        (H1, "ASSY"),
        (H1, "TEST"),
    ]


def test_backward_of_other_subjects_shows_the_record_and_its_holds(
    db: Session, genealogy: Genealogy
) -> None:
    run = service.backward(db, "IOX-RUN-1")
    assert run.unit is None and run.batch_run is not None
    assert run.batch_run.chemistry is not None and run.batch_run.chemistry.at == hours(2)
    assert [h.reason for h in run.holds] == ["bath drift"]
    bath = service.backward(db, "BATH-A")
    assert bath.bath is not None and bath.bath.station_code == "IOX-01"
    assert [a.at for a in bath.bath_analyses] == [hours(0), hours(2), hours(10)]
    lot = service.backward(db, "SHEET-LOT-1")
    assert lot.lot is not None and lot.lot.kind == "glass_sheet"
    carrier = service.backward(db, "BSK-02")
    assert carrier.carrier is not None and carrier.carrier.capacity == 300
    assert service.backward(db, "alice").subject.kind is SubjectKind.OPERATOR


# --- forward -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "pieces", "handsets"),
    [
        ("SHEET-LOT-1", {S1, G1, G2, G3}, {H1, H2}),
        ("SHEET-LOT-2", {S2, G4}, set()),
        ("PCBA-LOT-1", {H1, H2}, set()),
        ("BATT-LOT-2", {H2}, set()),
        ("BATH-A", {G1, G2, G3}, {H1, H2}),
        ("BATH-B", {G4}, set()),
        ("IOX-RUN-1", {G1, G2}, {H1}),
        ("IOX-RUN-2", {G3}, {H2}),
        ("BSK-01", {G1, G2, G4}, {H1}),
        ("BSK-02", {G3}, {H2}),
        ("AOI-01", {G1, G2}, {H1}),
        ("bob", {G1, G2}, {H1}),
        ("carol", {H1, H2}, set()),
        (S1, {S1, G1, G2, G3}, {H1, H2}),
        (G3, {G3}, {H2}),
    ],
)
def test_forward_finds_exactly_the_affected_pieces_and_handsets(
    db: Session, genealogy: Genealogy, identifier: str, pieces: set[str], handsets: set[str]
) -> None:
    assert uids(service.forward(db, identifier)) == (pieces, handsets)


def test_forward_reports_current_state_and_counts(db: Session, genealogy: Genealogy) -> None:
    trace = service.forward(db, "IOX-RUN-1")
    by_uid = {u.uid: u for u in [*trace.pieces, *trace.handsets]}
    assert by_uid[G1].handset_uid == H1 and by_uid[G2].handset_uid is None
    assert (by_uid[G2].status, by_uid[H1].status) == ("on_hold", "finished")
    assert trace.piece_counts == {"finished": 1, "on_hold": 1}
    assert trace.handset_counts == {"finished": 1}
    lot = service.forward(db, "SHEET-LOT-1")
    assert lot.piece_counts == {"finished": 3, "on_hold": 1}
    assert lot.handset_counts == {"finished": 1, "in_process": 1}


def test_forward_station_window_is_half_open(db: Session, genealogy: Genealogy) -> None:
    # CNC-01: G1 at 01:00, G2 at 01:30 (day 1); G3 at 25:00, G4 at 26:00 (day 2).
    day_1 = service.forward(db, "CNC-01", since=hours(0), until=hours(24))
    assert uids(day_1) == ({G1, G2}, {H1})
    day_2 = service.forward(db, "CNC-01", since=hours(24))
    assert uids(day_2) == ({G3, G4}, {H2})
    edge = service.forward(db, "CNC-01", since=hours(1), until=hours(1.5))
    assert uids(edge) == ({G1}, {H1})


def test_forward_operator_and_bath_windows(db: Session, genealogy: Genealogy) -> None:
    assert uids(service.forward(db, "alice", until=hours(2))) == ({G1, G2}, {H1})
    # A bath window selects the cycles that started inside it.
    assert uids(service.forward(db, "BATH-A", since=hours(24))) == ({G3}, {H2})
    assert uids(service.forward(db, "BSK-01", since=hours(24))) == ({G4}, set())


def test_forward_refuses_a_backwards_or_naive_window(db: Session, genealogy: Genealogy) -> None:
    with pytest.raises(DomainError) as caught:
        service.forward(db, "CNC-01", since=hours(2), until=hours(1))
    assert caught.value.code == "trace.bad_window"
    with pytest.raises(DomainError) as naive:
        service.forward(db, "CNC-01", since=hours(2).replace(tzinfo=None))
    assert naive.value.code == "trace.naive_time"


def test_forward_of_an_empty_window_is_empty(db: Session, genealogy: Genealogy) -> None:
    trace = service.forward(db, "CNC-01", since=hours(100), until=hours(100) + timedelta(days=1))
    assert (trace.pieces, trace.handsets, trace.piece_counts) == ([], [], {})
