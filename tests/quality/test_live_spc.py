"""Live SPC through ingest: a drifting bath raises an alarm and holds exactly the right pieces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.production.holds import units_on_hold
from forgeline.production.tables import Bath, Carrier, Hold
from forgeline.quality import monitoring
from forgeline.quality.monitor_tables import SpcAlarm, SpcChart, SpcLimits, SpcPoint
from forgeline.quality.spc import DESCRIPTIONS
from tests.production.events_kit import GTIN_SNT_S1, Events, glass, outcomes, run, set_up_line

PER_CYCLE = 5  # CS is charted in subgroups of 5 (plants/default.yaml)
PHASE1 = monitoring.PHASE1_POINTS
LAST_GOOD = PHASE1 + 2  # loads 1..LAST_GOOD are in control; the first PHASE1 make the limits
BAD, NEXT, OTHER = LAST_GOOD + 1, LAST_GOOD + 2, LAST_GOOD + 3
GOOD = [845.0, 850.0, 855.0, 848.0, 852.0]  # mean 850, range 10


@pytest.fixture(autouse=True)
def _monitoring() -> None:
    monitoring.install()


def _pieces(cycle: int) -> list[str]:
    return [glass(f"C{cycle:03d}{i}", GTIN_SNT_S1) for i in range(PER_CYCLE)]


def _prepare(ev: Events, cycle: int) -> list[dict[str, Any]]:
    """A sheet split into the cycle's pieces, each taken through CNC, polish and clean."""
    sheet, pieces = f"SHEET-{cycle:03d}", _pieces(cycle)
    events = [
        ev("start", uid=sheet, product="CG-SNT-S1", kind="sheet", lot="SHEET-LOT-1"),
        *ev.visit(sheet, "IQC-01"),
        ev("track_in", uid=sheet, station="CUT-01", operator="ravi"),
        ev("split", parent=sheet, children=pieces),
    ]
    events += [ev("track_out", uid=p, station="CUT-01", result="pass") for p in pieces]
    for station in ("CNC-01", "POL-01", "CLN-01"):
        for piece in pieces:
            events += ev.visit(piece, station)
    return events


def _strengthen(
    ev: Events, cycle: int, bath: str = "BATH-IOX-01", furnace: str = "IOX-01"
) -> list[dict[str, Any]]:
    carrier, batch = f"BASKET-{cycle:03d}", f"IOX-{cycle:03d}"
    pieces = _pieces(cycle)
    return [
        ev("carrier_load", carrier=carrier, uids=pieces),
        ev("batch_start", batch=batch, station=furnace, operation="IOX", carriers=[carrier],
           bath=bath),
        ev("track_in", carrier=carrier, station=furnace, operator="ravi", batch=batch),
        ev("track_out", carrier=carrier, station=furnace, result="pass"),
        ev("batch_end", batch=batch),
    ]  # fmt: skip


def _measure(
    ev: Events, cycle: int, values: list[float], furnace: str = "IOX-01"
) -> list[dict[str, Any]]:
    return [
        ev("measurement", uid=p, station=furnace, characteristic="CS", value=v)
        for p, v in zip(_pieces(cycle), values, strict=True)
    ]


def _good(cycle: int) -> list[float]:
    shift = 1.0 if cycle % 2 else -1.0  # alternate sides: no run rule fires by accident
    return [v + shift for v in GOOD]


def _accept(db: Session, events: list[dict[str, Any]]) -> None:
    report = run(db, events)
    refused = [(o, c) for o, c in outcomes(report) if o != "accepted"]
    assert not refused, refused


def _line(db: Session, cycles: int) -> None:
    set_up_line(db)
    db.add_all(
        [Carrier(code=f"BASKET-{c:03d}", kind="iox_basket", capacity=50, hold_count=0)
         for c in range(1, cycles + 1)]
        + [Bath(code="BATH-IOX-02", station_code="IOX-02",
                started_at=datetime(2026, 1, 1, tzinfo=UTC))]
    )  # fmt: skip
    db.flush()


def test_a_drifting_bath_raises_an_alarm_and_holds_what_was_made_since_the_last_good_point(
    db: Session,
) -> None:
    _line(db, OTHER)
    ev = Events()
    # Good loads in bath 1: the first PHASE1 give the chart its limits (phase I).
    for cycle in range(1, LAST_GOOD + 1):
        _accept(
            db, _prepare(ev, cycle) + _strengthen(ev, cycle) + _measure(ev, cycle, _good(cycle))
        )
    chart = db.scalars(select(SpcChart).where(SpcChart.characteristic_code == "CS")).one()
    assert chart.context == {
        "bath": "BATH-IOX-01",
        "ion_exchange": "IOX-01",
        "product": "CG-SNT-S1",
    }
    assert (chart.status, chart.complete_points, chart.last_good_seq) == (
        "in_control",
        LAST_GOOD,
        LAST_GOOD,
    )
    limits = db.get(SpcLimits, chart.limits_id)
    assert limits is not None and limits.version == 1 and limits.set_by == "system:spc"
    assert limits.center == pytest.approx(850.0, abs=0.1)
    assert limits.lcl < 845.0 < 855.0 < limits.ucl

    # Loads BAD and NEXT run in bath 1, OTHER in the other furnace's bath; then the lab
    # measures load BAD: compressive stress has dropped.
    _accept(
        db, _prepare(ev, BAD) + _strengthen(ev, BAD) + _prepare(ev, NEXT) + _strengthen(ev, NEXT)
    )
    _accept(db, _prepare(ev, OTHER) + _strengthen(ev, OTHER, "BATH-IOX-02", "IOX-02"))
    assert not db.scalars(select(SpcAlarm)).all()
    _accept(db, _measure(ev, BAD, [v - 25.0 for v in GOOD]))

    alarm = db.scalars(select(SpcAlarm)).one()
    assert (alarm.status, alarm.seqs, alarm.last_good_seq) == ("open", [BAD], LAST_GOOD)
    assert "we1" in alarm.rules
    hold = db.get(Hold, alarm.hold_ids[0])
    assert hold is not None and hold.target_type == "selection"
    assert "CS" in hold.reason and "we1" in hold.reason and "BATH-IOX-01" in hold.reason
    held = units_on_hold(db, hold.id, limit=100)
    assert sorted(held) == sorted(_pieces(BAD) + _pieces(NEXT))  # not the good loads or bath 2
    assert alarm.held_units == 10
    assert db.scalars(select(SpcChart.status)).one() == "out_of_control"

    # A held piece cannot go on.
    refused = run(db, [ev("track_in", uid=_pieces(NEXT)[0], station="CLN-02", operator="ravi")])
    assert outcomes(refused) == [("rejected", "unit.on_hold")]

    # Load NEXT is measured low too: the open alarm takes the point; nothing new to hold.
    _accept(db, _measure(ev, NEXT, [v - 30.0 for v in GOOD]))
    alarm = db.scalars(select(SpcAlarm)).one()
    assert alarm.seqs == [BAD, NEXT] and alarm.held_units == 10


def test_points_before_the_first_limits_raise_nothing(db: Session) -> None:
    _line(db, 3)
    ev = Events()
    for cycle in range(1, 4):
        _accept(
            db,
            _prepare(ev, cycle) + _strengthen(ev, cycle) + _measure(ev, cycle, [100.0 * cycle] * 5),
        )
    chart = db.scalars(select(SpcChart)).one()
    assert (chart.status, chart.limits_id, chart.complete_points) == ("collecting", None, 3)
    points = db.scalars(select(SpcPoint).order_by(SpcPoint.seq)).all()
    assert [p.mean for p in points] == [100.0, 200.0, 300.0]
    assert not db.scalars(select(SpcAlarm)).all()


def test_a_partial_subgroup_waits_for_its_last_measurement(db: Session) -> None:
    _line(db, 1)
    ev = Events()
    first_three = _measure(ev, 1, GOOD)[:3]
    _accept(db, _prepare(ev, 1) + _strengthen(ev, 1) + first_three)
    point = db.scalars(select(SpcPoint)).one()
    assert (point.complete, point.readings) == (False, GOOD[:3])
    last_two = [
        ev("measurement", uid=p, station="IOX-01", characteristic="CS", value=v)
        for p, v in zip(_pieces(1)[3:], GOOD[3:], strict=True)
    ]
    _accept(db, last_two)  # in a later batch
    db.expire_all()  # points are written with core statements, behind the ORM's back
    point = db.scalars(select(SpcPoint)).one()
    assert (point.complete, point.mean, point.spread) == (True, 850.0, 10.0)


def _drifted(db: Session) -> SpcAlarm:
    """Good loads, then load BAD strengthened and measured low: one open alarm."""
    _line(db, BAD)
    ev = Events()
    for cycle in range(1, LAST_GOOD + 1):
        _accept(
            db, _prepare(ev, cycle) + _strengthen(ev, cycle) + _measure(ev, cycle, _good(cycle))
        )
    low = [v - 25.0 for v in GOOD]
    _accept(db, _prepare(ev, BAD) + _strengthen(ev, BAD) + _measure(ev, BAD, low))
    return db.scalars(select(SpcAlarm)).one()


def test_quality_acknowledges_an_alarm_with_cause_and_action(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    alarm = _drifted(db)
    operator = as_role("operator")
    body = {"cause": "Na build-up in bath 1", "action": "bath topped up, CS re-tested"}
    refused = client.post(f"/api/v1/spc/alarms/{alarm.id}/acknowledge", json=body, headers=operator)
    assert refused.status_code == 403

    quality = as_role("quality")
    listed = client.get("/api/v1/spc/alarms", headers=operator).json()
    assert [a["id"] for a in listed] == [alarm.id] and listed[0]["held_units"] == 5
    empty = client.post(
        f"/api/v1/spc/alarms/{alarm.id}/acknowledge",
        json={"cause": " ", "action": "x"},
        headers=quality,
    )
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "spc.cause_required"
    done = client.post(f"/api/v1/spc/alarms/{alarm.id}/acknowledge", json=body, headers=quality)
    assert done.status_code == 200, done.text
    assert (
        done.json()["status"] == "acknowledged"
        and done.json()["acknowledged_by"] == "user:quality-user"
    )
    again = client.post(f"/api/v1/spc/alarms/{alarm.id}/acknowledge", json=body, headers=quality)
    assert again.status_code == 409
    chart = client.get(f"/api/v1/spc/charts/{alarm.chart_id}", headers=operator).json()
    assert chart["chart"]["status"] == "in_control"
    assert [p["seq"] for p in chart["points"]][-1] == BAD and chart["points"][-1]["rules"] == [
        "we1"
    ]
    assert chart["capability"]["cpk"]["estimate"] > 0
    # The holds stay: releasing product is a separate, deliberate decision.
    assert db.get(Hold, alarm.hold_ids[0]).released_at is None  # type: ignore[union-attr]
    audit = db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("spc.%"))).all()
    assert {"spc.limits_set", "spc.alarm_raised", "spc.alarm_acknowledged"} <= set(audit)


def test_limits_are_recalculated_only_on_purpose_and_kept_as_history(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    alarm = _drifted(db)
    quality = as_role("quality")
    url = f"/api/v1/spc/charts/{alarm.chart_id}/limits"
    no_reason = client.post(
        url, json={"from_point": 1, "to_point": LAST_GOOD, "reason": ""}, headers=quality
    )
    assert no_reason.status_code == 422
    beyond = client.post(
        url, json={"from_point": 1, "to_point": 99, "reason": "r"}, headers=quality
    )
    assert beyond.status_code == 422 and beyond.json()["error"]["code"] == "spc.points_out_of_range"
    made = client.post(
        url,
        json={"from_point": 3, "to_point": BAD, "excluded": [BAD], "reason": "after top-up"},
        headers=quality,
    )
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 2 and made.json()["excluded"] == [BAD]
    history = client.get(f"/api/v1/spc/charts/{alarm.chart_id}", headers=quality).json()
    assert [v["version"] for v in history["limits_history"]] == [2, 1]
    assert history["chart"]["limits"]["version"] == 2


def test_spc_pages_show_the_chart_and_the_alarm(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    alarm = _drifted(db)
    operator = as_role("operator")
    dashboard = client.get("/quality", headers=operator)
    assert dashboard.status_code == 200 and "out of control" in dashboard.text
    page = client.get(f"/quality/charts/{alarm.chart_id}", headers=operator)
    assert page.status_code == 200
    assert "Cpk" in page.text and "figure-main" in page.text and "BATH-IOX-01" in page.text
    alarms = client.get("/quality/alarms", headers=operator)
    assert f"Alarm #{alarm.id}" in alarms.text and "Only the quality role" in alarms.text
    missing = client.get("/quality/charts/999999", headers=operator)
    assert missing.status_code == 404


def test_phase_one_and_monitoring_in_one_batch_use_only_the_first_points(db: Session) -> None:
    _line(db, BAD)
    ev = Events()
    events: list[dict[str, Any]] = []
    for cycle in range(1, BAD + 1):
        low = cycle == BAD
        values = [v - 25.0 for v in GOOD] if low else _good(cycle)
        events += _prepare(ev, cycle) + _strengthen(ev, cycle) + _measure(ev, cycle, values)
    _accept(db, events)
    chart = db.scalars(select(SpcChart)).one()
    limits = db.get(SpcLimits, chart.limits_id)
    assert limits is not None and (limits.from_seq, limits.to_seq) == (1, PHASE1)
    alarm = db.scalars(select(SpcAlarm)).one()
    assert (alarm.seqs, alarm.last_good_seq, alarm.held_units) == ([BAD], LAST_GOOD, 5)


def test_data_that_do_not_vary_leave_the_chart_collecting_with_a_note(db: Session) -> None:
    _line(db, PHASE1 + 1)
    ev = Events()
    events: list[dict[str, Any]] = []
    for cycle in range(1, PHASE1 + 2):  # a gauge that reads one value: no sigma, no limits
        events += _prepare(ev, cycle) + _strengthen(ev, cycle) + _measure(ev, cycle, [850.0] * 5)
    _accept(db, events)
    chart = db.scalars(select(SpcChart)).one()
    assert (chart.status, chart.limits_id, chart.complete_points) == (
        "collecting",
        None,
        PHASE1 + 1,
    )
    assert chart.note is not None and "do not vary" in chart.note
    assert not db.scalars(select(SpcAlarm)).all()


def test_the_overview_shows_open_alarms(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    operator = as_role("operator")
    assert "Open SPC alarms" not in client.get("/", headers=operator).text
    alarm = _drifted(db)
    page = client.get("/overview/live", headers=operator)
    assert page.status_code == 200
    assert "Open SPC alarms" in page.text and f"/quality/charts/{alarm.chart_id}" in page.text
    # Each rule by its code, explained on hover as on the alarms page and the SPC dashboard.
    rule = alarm.rules[0]
    explained = f'<abbr title="{DESCRIPTIONS[rule.split(":")[-1]]}">{rule}</abbr>'
    assert explained in page.text
    assert explained in client.get("/quality", headers=as_role("quality")).text


def test_an_ncr_from_an_alarm_links_the_units_it_held(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    alarm = _drifted(db)
    quality = as_role("quality")
    body = {"source": "alarm", "alarm_id": alarm.id, "title": "CS low", "description": "bath 1"}
    made = client.post("/api/v1/quality/ncrs", json=body, headers=quality)
    assert made.status_code == 201, made.text
    assert sorted(u["uid"] for u in made.json()["units"]) == sorted(_pieces(BAD))
    unknown = client.post(
        "/api/v1/quality/ncrs", json={**body, "alarm_id": 999999}, headers=quality
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "spc.alarm_not_found"


def test_phase_one_leaves_out_points_beyond_their_limits(db: Session) -> None:
    _line(db, PHASE1)
    ev = Events()
    events: list[dict[str, Any]] = []
    for cycle in range(1, PHASE1 + 1):
        values = [v + 40.0 for v in GOOD] if cycle == 10 else _good(cycle)  # a wrong load
        events += _prepare(ev, cycle) + _strengthen(ev, cycle) + _measure(ev, cycle, values)
    _accept(db, events)
    chart = db.scalars(select(SpcChart)).one()
    limits = db.get(SpcLimits, chart.limits_id)
    assert limits is not None and limits.excluded == [10]
    assert limits.center == pytest.approx(850.0, abs=0.1)  # not pulled up by load 10
    assert "leaving out 1 beyond their limits" in limits.reason
