"""OEE, FPY, RTY, scrap Pareto and WIP on small histories written row by row."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forgeline.errors import DomainError
from forgeline.production.performance import oee_report, shift_instances, state_intervals
from forgeline.production.yields import scrap_pareto, wip, yield_report
from tests.production import rows
from tests.production.rows import at

HOUR = 3600.0
CNC_PIECE_S = 210 / 25  # CNC cell: 210 s per piece per spindle, 25 spindles
CUT_PIECE_S = 90 / 12  # laser cutting cell: 90 s per piece per head, 12 heads


@pytest.fixture
def plant(db: Session) -> None:
    rows.load_plant(db)


@pytest.fixture
def shift_a(db: Session, plant: None) -> None:
    """Shift A (8 h from T0) on CNC-01 and CUT-01, both on line FAB-1.

    CNC-01: productive from before the window until 6 h, broken down 6-7 h, standby 7-7.5 h,
    planned break 7.5-8 h; 10 track-outs, 9 passed. CUT-01: productive from 2 h (unknown before),
    idle from 4 h; 4 track-outs, all passed. A track-out before the window counts nowhere.
    """
    rows.state(db, "CNC-01", "productive", -1)
    rows.state(db, "CNC-01", "unscheduled_down", 6)
    rows.state(db, "CNC-01", "2000", 7)  # a numeric E10 code reads the same as the name
    rows.state(db, "CNC-01", "scheduled_down", 7.5)
    rows.state(db, "CNC-01", "productive", 8)  # after the window
    for n in range(10):
        piece = rows.unit(db, f"CNC-{n}")
        rows.record(db, piece, "CNC", "CNC-01", 0.5, 1 + n * 0.1, "pass" if n else "fail")
    rows.record(db, rows.unit(db, "EARLY"), "CNC", "CNC-01", -2, -1)
    rows.state(db, "CUT-01", "productive", 2)
    rows.state(db, "CUT-01", "standby", 4)
    for n in range(4):
        rows.record(db, rows.unit(db, f"CUT-{n}"), "CUT", "CUT-01", 2, 3)


def test_state_intervals_carry_the_state_in_force_at_the_start(db: Session, shift_a: None) -> None:
    found = state_intervals(db, since=at(0), until=at(8), stations=["CNC-01", "CUT-01"])
    cnc = [(i.state.label, i.start, i.end) for i in found["CNC-01"]]
    assert cnc == [
        ("productive", at(0), at(6)),
        ("unscheduled_down", at(6), at(7)),
        ("standby", at(7), at(7.5)),
        ("scheduled_down", at(7.5), at(8)),
    ]
    assert [(i.state.label, i.start) for i in found["CUT-01"]] == [
        ("productive", at(2)),
        ("standby", at(4)),
    ]


def test_oee_per_station_by_iso_22400(db: Session, shift_a: None) -> None:
    report = {r.key: r.oee for r in oee_report(db, since=at(0), until=at(8), group="station")}
    assert set(report) == {"CNC-01", "CUT-01"}
    cnc = report["CNC-01"]
    assert cnc.inputs.times.planned == pytest.approx(7.5 * HOUR)
    assert cnc.availability == pytest.approx(6 / 7.5)
    assert cnc.performance == pytest.approx(10 * CNC_PIECE_S / (6 * HOUR))
    assert cnc.quality == pytest.approx(0.9)
    assert cnc.oee == pytest.approx(9 * CNC_PIECE_S / (7.5 * HOUR))
    cut = report["CUT-01"]
    assert cut.inputs.times.total == pytest.approx(6 * HOUR)  # 0-2 h is unknown
    assert cut.availability == pytest.approx(2 / 6)
    assert cut.quality == 1.0


def test_oee_per_line_and_station_type_sums_the_stations(db: Session, shift_a: None) -> None:
    [line] = oee_report(db, since=at(0), until=at(8), group="line")
    assert (line.key, line.stations) == ("FAB-1", 2)
    assert line.oee.availability == pytest.approx((6 + 2) / (7.5 + 6))
    assert line.oee.performance == pytest.approx((10 * CNC_PIECE_S + 4 * CUT_PIECE_S) / (8 * HOUR))
    assert line.oee.quality == pytest.approx(13 / 14)
    by_type = {r.key: r.oee for r in oee_report(db, since=at(0), until=at(8), group="station_type")}
    assert set(by_type) == {"cnc", "cutting"}


def test_oee_per_shift_splits_time_and_counts_at_shift_boundaries(
    db: Session, shift_a: None
) -> None:
    report = {r.key: r.oee for r in oee_report(db, since=at(4), until=at(12), group="shift")}
    assert set(report) == {"A", "B"}
    a, b = report["A"], report["B"]
    # Shift A from 4 h to 8 h: CNC 2 h productive + 1 h down + 0.5 h standby + 0.5 h break,
    # CUT 4 h standby. Shift B from 8 h: CNC productive 4 h, CUT standby 4 h.
    assert a.inputs.times.productive == pytest.approx(2 * HOUR)
    assert a.inputs.times.planned == pytest.approx(3.5 * HOUR + 4 * HOUR)
    assert b.inputs.times.productive == pytest.approx(4 * HOUR)
    assert a.inputs.total_count == 0 and b.inputs.total_count == 0


def test_shift_instances_follow_the_site_clock(db: Session, plant: None) -> None:
    found = shift_instances(db, at(-1), at(9))
    assert [(s.code, s.start, s.end) for s in found] == [
        ("C", at(-1), at(0)),
        ("A", at(0), at(8)),
        ("B", at(8), at(9)),
    ]


@pytest.mark.parametrize(
    ("since", "until", "group", "code"),
    [
        (8, 0, "station", "performance.window_invalid"),
        (0, 8, "operator", "performance.group_invalid"),
        (0, 24 * 40, "shift", "performance.window_too_long"),
        (0, 24 * 400, "station", "performance.window_too_long"),
    ],
)
def test_bad_report_requests_are_refused(
    db: Session, plant: None, since: float, until: float, group: str, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        oee_report(db, since=at(since), until=at(until), group=group)
    assert refused.value.code == code


def test_first_pass_and_rolled_throughput_yield(db: Session, plant: None) -> None:
    units = [rows.unit(db, f"U{n}") for n in range(4)]
    for u in units:
        rows.record(db, u, "IQC", "IQC-01", 0, 0.1)
    for u in units[:3]:
        rows.record(db, u, "CUT", "CUT-01", 1, 1.5)
    rows.record(db, units[3], "CUT", "CUT-01", 1, 1.5, "scrap")
    rows.record(db, units[0], "CNC", "CNC-01", 2, 2.5)
    rows.record(db, units[1], "CNC", "CNC-01", 2, 2.5, "rework")
    rows.record(db, units[1], "CNC", "CNC-02", 3, 3.5, visit=2)  # a second visit: not first-pass
    rows.record(db, units[2], "CNC", "CNC-01", 2, 2.5)
    rows.record(db, units[2], "POLISH", "POL-01", 4, None)  # still in process: not completed
    report = yield_report(db, since=at(0), until=at(8))
    fpy = {y.operation_code: (y.completed, y.passed, y.fpy) for y in report.operations}
    assert fpy == {"IQC": (4, 4, 1.0), "CUT": (4, 3, 0.75), "CNC": (3, 2, pytest.approx(2 / 3))}
    assert [y.operation_code for y in report.operations] == ["IQC", "CUT", "CNC"]
    routing = {r.key: r for r in report.routings}
    assert routing["CG-STD"].rty == pytest.approx(0.5)
    assert routing["CG-STD"].missing[:2] == ["POLISH", "CLN1"]
    assert routing["HS-SEC"].rty is None
    [line] = report.lines
    assert (line.key, line.rty) == ("FAB-1", pytest.approx(0.5))


def test_scrap_pareto_by_primary_defect_and_origin(db: Session, plant: None) -> None:
    chip = rows.record(db, rows.unit(db, "S1"), "CUT", "CUT-01", 1, 1.5, "scrap")
    rows.defect(db, chip, "CHIP", origin="CUT")
    dim = rows.record(db, rows.unit(db, "S2"), "CNC", "CNC-01", 2, 2.5, "scrap")
    rows.defect(db, dim, "DIM")  # no origin: the scrapping operation
    rows.record(db, rows.unit(db, "S3"), "CNC", "CNC-01", 2, 2.5, "scrap")  # no defect at all
    two = rows.record(db, rows.unit(db, "S4"), "CNC", "CNC-01", 2, 2.5, "scrap")
    rows.defect(db, two, "CHIP", origin="CUT")  # the first recorded is the primary defect
    rows.defect(db, two, "SCR", origin="POLISH")
    earlier_unit = rows.unit(db, "S5")
    aoi = rows.record(db, earlier_unit, "AOI", "AOI-01", 3, 3.2, "fail")
    rows.defect(db, aoi, "SCR", origin="POLISH")
    rows.record(db, earlier_unit, "FQC", "FQC-01", 4, 4.2, "scrap")  # judged later, no new defect
    rows.record(db, rows.unit(db, "OK"), "CNC", "CNC-01", 2, 2.5)
    pareto = scrap_pareto(db, since=at(0), until=at(8))
    assert pareto.total == 5
    assert [(b.key, b.count) for b in pareto.by_defect] == [
        ("CHIP", 2),
        ("DIM", 1),
        ("SCR", 1),
        ("unspecified", 1),
    ]
    assert [(b.key, b.count) for b in pareto.by_origin] == [("CNC", 2), ("CUT", 2), ("POLISH", 1)]
    assert pareto.by_defect[0].share == pytest.approx(0.4)
    assert pareto.by_defect[-1].cumulative == pytest.approx(1.0)


def test_wip_per_operation(db: Session, plant: None) -> None:
    rows.unit(db, "W1", status="waiting", next_operation="CUT")
    rows.unit(db, "W2", status="waiting", next_operation="CUT", hold_count=1)
    rows.unit(db, "P1", status="in_process", next_operation="CNC")
    rows.unit(db, "H1", status="in_process", next_operation="FT", routing="HS-SEC")
    rows.unit(db, "F1", status="finished", next_operation=None)
    rows.unit(db, "X1", status="scrapped", next_operation="CUT")
    found = [(r.operation_code, r.waiting, r.in_process, r.held) for r in wip(db)]
    assert found == [("CNC", 0, 1, 0), ("CUT", 2, 0, 1), ("FT", 0, 1, 0)]
    assert [r.operation_code for r in wip(db, routing_code="HS-SEC")] == ["FT"]
