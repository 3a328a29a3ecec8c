"""Every kind of bad input is refused alone, with a stable code, and leaves nothing behind."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.auth.permissions import Role
from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.auth.service import set_disabled
from forgeline.errors import DomainError
from forgeline.production.ingest import MAX_BATCH, ingest
from forgeline.production.tables import IngestedEvent, Measurement, OperationRecord, Unit
from tests.production.events_kit import (
    SENDER,
    STATION,
    Events,
    count,
    glass,
    outcomes,
    run,
    set_up_line,
)

UID = glass("R0001")


@pytest.fixture
def ev(db: Session) -> Events:
    """A line with one glass piece started and waiting for IQC."""
    set_up_line(db)
    events = Events()
    report = run(db, [events("start", uid=UID, product="CG-AUR-A55", kind="glass")])
    assert outcomes(report) == [("accepted", None)]
    return events


def stored(db: Session) -> set[str]:
    return {str(i) for i in db.scalars(select(IngestedEvent.event_id))}


def unit_row(db: Session, uid: str = UID) -> Unit:
    unit = db.scalars(select(Unit).where(Unit.uid == uid)).one()
    db.refresh(unit)
    return unit


def refused_alone(
    db: Session, ev: Events, bad: dict[str, Any], code: str, sender: Principal = SENDER
) -> None:
    """`bad` is refused with `code` between two good events that are both stored."""
    station = "CUT-01" if sender.kind is PrincipalKind.STATION else "CNC-01"
    good_before = ev("equipment_state", station=station, state="productive")
    good_after = ev("equipment_state", station=station, state="standby")
    records, measurements = count(db, OperationRecord), count(db, Measurement)
    before = unit_row(db).status, unit_row(db).next_operation
    report = run(db, [good_before, bad, good_after], sender)
    assert outcomes(report) == [("accepted", None), ("rejected", code), ("accepted", None)]
    assert report.events[1].message
    ids = stored(db)
    assert {good_before["event_id"], good_after["event_id"]} <= ids
    assert bad.get("event_id") not in ids
    assert (count(db, OperationRecord), count(db, Measurement)) == (records, measurements)
    assert (unit_row(db).status, unit_row(db).next_operation) == before


def test_unknown_station(db: Session, ev: Events) -> None:
    bad = ev("track_in", uid=UID, station="IQC-99", operator="ravi")
    refused_alone(db, ev, bad, "station.unknown")


def test_unknown_unit(db: Session, ev: Events) -> None:
    bad = ev("track_in", uid=glass("NOPE1"), station="IQC-01", operator="ravi")
    refused_alone(db, ev, bad, "unit.unknown")


def test_unknown_operator(db: Session, ev: Events) -> None:
    bad = ev("track_in", uid=UID, station="IQC-01", operator="nobody")
    refused_alone(db, ev, bad, "operator.unknown")


def test_operator_by_badge_is_accepted(db: Session, ev: Events) -> None:
    report = run(db, [ev("track_in", uid=UID, station="IQC-01", operator="B-1001")])
    assert outcomes(report) == [("accepted", None)]
    record = db.scalars(select(OperationRecord)).one()
    assert record.operator == "ravi"


def test_disabled_operator(db: Session, ev: Events) -> None:
    set_disabled(db, "ravi", True, "system:test")
    bad = ev("track_in", uid=UID, station="IQC-01", operator="ravi")
    refused_alone(db, ev, bad, "operator.inactive")


def test_operator_without_the_skill(db: Session, ev: Events) -> None:
    from forgeline.auth.service import revoke_skill

    revoke_skill(db, "ravi", "glass_inspection", "system:test")
    bad = ev("track_in", uid=UID, station="IQC-01", operator="ravi")
    refused_alone(db, ev, bad, "operator.unqualified")


def test_wrong_station_type(db: Session, ev: Events) -> None:
    bad = ev("track_in", uid=UID, station="CNC-01", operator="ravi", operation="IQC")
    refused_alone(db, ev, bad, "routing.wrong_station_type")


def test_out_of_order_track_in(db: Session, ev: Events) -> None:
    bad = ev("track_in", uid=UID, station="CUT-01", operator="ravi", operation="CUT")
    refused_alone(db, ev, bad, "routing.out_of_order")


def test_duplicate_track_in(db: Session, ev: Events) -> None:
    assert outcomes(run(db, [ev("track_in", uid=UID, station="IQC-01", operator="ravi")])) == [
        ("accepted", None)
    ]
    bad = ev("track_in", uid=UID, station="IQC-02", operator="ravi", operation="IQC")
    refused_alone(db, ev, bad, "unit.in_process")


def test_measurement_not_in_plan(db: Session, ev: Events) -> None:
    run(db, [ev("track_in", uid=UID, station="IQC-01", operator="ravi")])
    bad = ev("measurement", uid=UID, station="IQC-01", characteristic="CS", value=800.0)
    refused_alone(db, ev, bad, "measurement.not_in_plan")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_measurement_not_finite(db: Session, ev: Events, value: float) -> None:
    run(db, [ev("track_in", uid=UID, station="IQC-01", operator="ravi")])
    bad = ev("measurement", uid=UID, station="IQC-01", characteristic="SHEET-THK", value=value)
    refused_alone(db, ev, bad, "measurement.not_finite")


def test_not_finite_in_a_json_body(db: Session, ev: Events) -> None:
    run(db, [ev("track_in", uid=UID, station="IQC-01", operator="ravi")])
    good = ev("measurement", uid=UID, station="IQC-01", characteristic="SHEET-THK", value=0.57)
    bad = ev("measurement", uid=UID, station="IQC-01", characteristic="SHEET-THK", value=0.0)
    body = json.dumps([good, bad]).replace('"value": 0.0', '"value": NaN').encode()
    report = ingest(db, body, SENDER)
    assert outcomes(report) == [("accepted", None), ("rejected", "measurement.not_finite")]
    assert count(db, Measurement) == 1


def test_malformed_gs1_id(db: Session, ev: Events) -> None:
    bad = ev("start", uid="(01)08901234500018(21)X1", product="CG-AUR-A55", kind="glass")
    refused_alone(db, ev, bad, "gs1.malformed")
    assert count(db, Unit) == 1


def test_naive_time(db: Session, ev: Events) -> None:
    bad = ev("equipment_state", station="CNC-01", state="standby")
    bad["at"] = "2026-01-05T06:00:00"
    refused_alone(db, ev, bad, "event.naive_time")


def test_unknown_event_type_and_extra_field(db: Session, ev: Events) -> None:
    refused_alone(db, ev, ev("teleport", uid=UID), "event.unknown_type")
    extra = ev("equipment_state", station="CNC-01", state="standby", colour="red")
    refused_alone(db, ev, extra, "event.invalid")


def test_batch_over_the_size_limit_writes_nothing(db: Session, ev: Events) -> None:
    events = [ev("equipment_state", station="CNC-01", state="standby")]
    events *= MAX_BATCH + 1
    before = count(db, IngestedEvent)
    with pytest.raises(DomainError) as caught:
        ingest(db, events, SENDER)
    assert caught.value.code == "events.batch_too_large"
    assert caught.value.kind.http_status == 413
    assert count(db, IngestedEvent) == before


def test_a_carrier_event_moves_all_its_units_or_none(db: Session, ev: Events) -> None:
    second = glass("R0002")
    run(
        db,
        [
            ev("start", uid=second, product="CG-AUR-A55", kind="glass"),
            ev("carrier_load", carrier="TRAY-01", uids=[UID, second]),
            ev("track_in", uid=second, station="IQC-01", operator="ravi"),
        ],
    )
    bad = ev("track_in", carrier="TRAY-01", station="IQC-02", operator="ravi")
    refused_alone(db, ev, bad, "unit.in_process")
    assert unit_row(db).status == "waiting"
    assert str(uuid.UUID(bad["event_id"])) not in stored(db)


def test_a_station_sends_for_itself_only(db: Session, ev: Events) -> None:
    """A station token's events name its own station; those naming another are refused alone."""
    own = ev("track_in", uid=UID, station="IQC-01", operator="ravi")
    iqc = Principal(PrincipalKind.STATION, "IQC-01", "IQC-01", frozenset({Role.STATION}))
    elsewhere = ev("equipment_state", station="CNC-01", state="productive")
    report = run(db, [elsewhere, own], iqc)
    assert outcomes(report) == [("rejected", "event.wrong_station"), ("accepted", None)]
    assert report.events[0].details == {"station": "CNC-01", "sender": "IQC-01"}
    assert elsewhere["event_id"] not in stored(db)
    # Not even a replay of another station's stored event is answered for it.
    theirs = ev("measurement", uid=UID, station="IQC-01", characteristic="SHEET-THK", value=0.57)
    assert outcomes(run(db, [theirs])) == [("accepted", None)]
    replay = run(db, [theirs], STATION)
    assert outcomes(replay) == [("rejected", "event.wrong_station")]
    assert replay.events[0].result is None


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "track_in", "uid": UID, "station": "IQC-01", "operator": "ravi"},
        {"type": "track_out", "uid": UID, "station": "IQC-01", "result": "pass"},
        {"type": "measurement", "uid": UID, "station": "IQC-01", "characteristic": "SHEET-THK",
         "value": 0.57},
        {"type": "defect", "uid": UID, "station": "IQC-01", "code": "SCRATCH"},
        {"type": "equipment_state", "station": "IQC-01", "state": "standby"},
        {"type": "batch_start", "batch": "B-1", "station": "IOX-01", "operation": "IOX"},
    ],
)  # fmt: skip
def test_every_event_naming_a_station_is_checked(
    db: Session, ev: Events, bad: dict[str, Any]
) -> None:
    fields = {k: v for k, v in bad.items() if k != "type"}
    refused_alone(db, ev, ev(bad["type"], **fields), "event.wrong_station", STATION)


def test_a_station_may_send_events_without_a_station(db: Session, ev: Events) -> None:
    second = glass("R0002")
    report = run(
        db,
        [
            ev("start", uid=second, product="CG-AUR-A55", kind="glass"),
            ev("carrier_load", carrier="TRAY-01", uids=[UID, second]),
            ev("hold", target_type="carrier", target="TRAY-01", reason="dropped tray"),
        ],
        STATION,
    )
    assert outcomes(report) == [("accepted", None)] * 3
