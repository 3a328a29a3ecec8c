"""POST /api/v1/events: content type, size limit, permissions, the report."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forgeline.config import Settings
from forgeline.production.ingest import MAX_BATCH
from forgeline.production.tables import IngestedEvent
from tests.identities import station_headers
from tests.production.events_kit import Events, count, glass, set_up_line

URL = "/api/v1/events"


@pytest.fixture
def headers(db: Session, settings: Settings) -> dict[str, str]:
    set_up_line(db)
    db.commit()
    return station_headers(db, settings, "IQC-01")


def test_batch_answers_every_event(client: TestClient, headers: dict[str, str]) -> None:
    ev = Events()
    uid = glass("W0001")
    events = [
        ev("start", uid=uid, product="CG-AUR-A55", kind="glass"),
        ev("track_in", uid=uid, station="IQC-01", operator="nobody"),
    ]
    answer = client.post(URL, json={"events": events}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (1, 0, 1)
    assert body["events"][0] == {
        "event_id": events[0]["event_id"],
        "outcome": "accepted",
        "result": {"unit": uid, "next_operation": "IQC"},
    }
    assert body["events"][1]["code"] == "operator.unknown"
    again = client.post(
        URL, content=json.dumps(events), headers={**headers, "Content-Type": "application/json"}
    )
    assert [e["outcome"] for e in again.json()["events"]] == ["duplicate", "rejected"]


def test_wrong_content_type_is_415(
    client: TestClient, headers: dict[str, str], db: Session
) -> None:
    events = [Events()("equipment_state", station="CNC-01", state="standby")]
    answer = client.post(
        URL, content=json.dumps(events), headers={**headers, "Content-Type": "text/plain"}
    )
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "request.unsupported_media_type"
    assert count(db, IngestedEvent) == 0


def test_batch_over_the_limit_is_413_and_writes_nothing(
    client: TestClient, headers: dict[str, str], db: Session
) -> None:
    ev = Events()
    events = [
        ev("equipment_state", station="CNC-01", state="standby") for _ in range(MAX_BATCH + 1)
    ]
    answer = client.post(URL, json=events, headers=headers)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "events.batch_too_large"
    assert count(db, IngestedEvent) == 0


def test_malformed_json_is_422(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.post(
        URL, content=b"[{", headers={**headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "events.malformed_json"


@pytest.mark.parametrize(
    ("role", "status"),
    [("station", 200), ("operator", 200), ("quality", 200), ("admin", 200), ("auditor", 403),
     ("planner", 403), (None, 401)],
)  # fmt: skip
def test_who_may_send_events(
    client: TestClient,
    db: Session,
    as_role: Callable[[str], dict[str, str]],
    role: str | None,
    status: int,
) -> None:
    set_up_line(db)
    db.commit()
    headers = as_role(role) if role else {}
    events = [Events()("equipment_state", station="CNC-01", state="standby")]
    answer = client.post(URL, json=events, headers=headers)
    assert answer.status_code == status, answer.text


def test_a_station_token_sends_for_its_station_only(
    client: TestClient, headers: dict[str, str], db: Session
) -> None:
    ev = Events()
    events = [
        ev("equipment_state", station="IQC-01", state="standby"),
        ev("equipment_state", station="IQC-02", state="standby"),
    ]
    body = client.post(URL, json=events, headers=headers).json()
    assert [(e["outcome"], e.get("code")) for e in body["events"]] == [
        ("accepted", None),
        ("rejected", "event.wrong_station"),
    ]
    assert count(db, IngestedEvent) == 1


def test_the_answer_names_each_event_as_sent(client: TestClient, headers: dict[str, str]) -> None:
    """Ids in the canonical UUID text whatever case they came in; an invalid event's id as it
    was sent, or null when it had none. The answer is the report's own JSON (`to_json`)."""
    ev = Events()
    shouted = ev("equipment_state", station="IQC-01", state="standby")
    shouted["event_id"] = shouted["event_id"].upper()
    not_a_uuid = {**ev("equipment_state", station="IQC-01", state="standby"), "event_id": "x-1"}
    no_id = {"type": "equipment_state", "station": "IQC-01", "state": "standby"}
    body = client.post(URL, json=[shouted, not_a_uuid, no_id], headers=headers).json()
    assert [(e["event_id"], e["outcome"]) for e in body["events"]] == [
        (shouted["event_id"].lower(), "accepted"),
        ("x-1", "rejected"),
        (None, "rejected"),
    ]
    assert body["events"][1]["details"]["problems"]
