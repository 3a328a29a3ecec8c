"""Master data, holds and performance through the API: each refusal a 4xx with its code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.production import rows
from tests.production.rows import at

API = "/api/v1"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def plant(db: Session) -> None:
    rows.load_plant(db)
    db.commit()


def post(client: TestClient, headers: dict[str, str], path: str, body: Any) -> Any:
    return client.post(API + path, json=body, headers=headers)


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def test_work_orders(client: TestClient, as_role: Headers, plant: None) -> None:
    planner = as_role("planner")
    body = {"code": "WO-1", "product_code": "CG-AUR-A55", "quantity": 500, "due_date": "2026-04-30"}
    created = post(client, planner, "/work-orders", body)
    assert created.status_code == 201, created.text
    assert created.json()["customer_code"] == "AURORA" and created.json()["progress"] == {}
    assert error(post(client, planner, "/work-orders", body), 409) == "workorder.duplicate"
    bad = {**body, "code": "WO-2", "quantity": 0}
    assert error(post(client, planner, "/work-orders", bad), 422) == "workorder.quantity_invalid"
    unknown = {**body, "code": "WO-2", "product_code": "NOPE"}
    assert error(post(client, planner, "/work-orders", unknown), 404) == "plant.unknown_product"
    missing = {k: v for k, v in body.items() if k != "due_date"}
    assert error(post(client, planner, "/work-orders", missing), 422) == "request.invalid"
    line = post(client, planner, "/work-orders/WO-1/release", {"line_code": "HS-L1"})
    assert error(line, 422) == "workorder.line_cannot_start"
    released = post(client, planner, "/work-orders/WO-1/release", {"line_code": "FAB-1"})
    assert released.json()["status"] == "released"
    assert post(client, planner, "/work-orders/WO-1/close", None).json()["status"] == "closed"
    assert error(post(client, planner, "/work-orders/WO-1/close", None), 409) == (
        "workorder.already_closed"
    )
    reader = as_role("auditor")
    listed = client.get(f"{API}/work-orders", headers=reader).json()
    assert listed["total"] == 1 and listed["items"][0]["code"] == "WO-1"
    assert error(client.get(f"{API}/work-orders/NOPE", headers=reader), 404) == (
        "workorder.not_found"
    )


def test_lots_and_carriers(client: TestClient, as_role: Headers) -> None:
    logistics = as_role("logistics")
    lot = {"code": "L-1", "kind": "ink", "quantity": 20, "certificate": {"viscosity_pa_s": 3.2}}
    assert post(client, logistics, "/lots", lot).status_code == 201
    assert error(post(client, logistics, "/lots", lot), 409) == "lot.duplicate"
    bad = {**lot, "code": "L-2", "certificate": {"viscosity_pa_s": "thick"}}
    assert error(post(client, logistics, "/lots", bad), 422) == "lot.certificate_invalid"
    assert error(post(client, logistics, "/lots", {**lot, "code": "L-3", "kind": "x"}), 422) == (
        "lot.kind_invalid"
    )
    assert (
        client.get(f"{API}/lots/L-1", headers=logistics).json()["certificate"] == lot["certificate"]
    )
    carrier = {"code": "BASKET-1", "kind": "basket", "capacity": 3000}
    created = post(client, logistics, "/carriers", carrier)
    assert created.status_code == 201 and created.json()["units"] == 0
    assert error(post(client, logistics, "/carriers", {**carrier, "capacity": 0}), 422) == (
        "carrier.capacity_invalid"
    )
    assert error(client.get(f"{API}/carriers/NOPE", headers=logistics), 404) == (
        "carrier.not_found"
    )


def test_baths(client: TestClient, as_role: Headers, plant: None) -> None:
    operator = as_role("operator")
    started = post(client, operator, "/baths", {"code": "B-1", "station_code": "IOX-01"})
    assert started.status_code == 201, started.text
    busy = post(client, operator, "/baths", {"code": "B-2", "station_code": "IOX-01"})
    assert error(busy, 409) == "bath.station_busy"
    no_bath = post(client, operator, "/baths", {"code": "B-2", "station_code": "CNC-01"})
    assert error(no_bath, 422) == "bath.station_has_no_bath"
    analysed = post(client, operator, "/baths/B-1/analysis", {"na_wt_pct": 0.3, "ca_ppm": 18})
    assert analysed.status_code == 201 and analysed.json()["na_wt_pct"] == 0.3
    assert error(post(client, operator, "/baths/B-1/analysis", {}), 422) == "bath.analysis_empty"
    naive = {"salt_kg": 5, "at": "2026-03-02T10:00:00"}
    assert error(post(client, operator, "/baths/B-1/top-up", naive), 422) == "bath.time_naive"
    replaced = post(client, operator, "/baths/B-1/replace", {"new_code": "B-2"})
    assert replaced.json()["code"] == "B-2" and replaced.json()["replaced_at"] is None
    old = client.get(f"{API}/baths/B-1", headers=operator).json()
    assert old["replaced_at"] is not None
    assert [e["kind"] for e in old["events"]] == ["replaced", "analysis"]
    active = client.get(f"{API}/baths", params={"active": "true"}, headers=operator).json()
    assert [b["code"] for b in active["items"]] == ["B-2"]


def test_holds(client: TestClient, as_role: Headers, db: Session, plant: None) -> None:
    tray = rows.carrier(db, "TRAY-1")
    rows.unit(db, "A", carrier=tray)
    rows.unit(db, "B", carrier=tray)
    db.commit()
    operator, quality = as_role("operator"), as_role("quality")
    body = {"target_type": "carrier", "target": "TRAY-1", "reason": "dropped tray"}
    placed = post(client, operator, "/holds", body)
    assert placed.status_code == 201, placed.text
    assert placed.json()["units"] == 2
    hold_id = placed.json()["id"]
    assert error(post(client, operator, "/holds", {**body, "reason": " "}), 422) == (
        "hold.reason_required"
    )
    assert error(post(client, operator, "/holds", {**body, "target": "NOPE"}), 404) == (
        "hold.target_not_found"
    )
    window = {
        "target_type": "station",
        "target": "CNC-01",
        "reason": "spindle",
        "window_start": at(3).isoformat(),
        "window_end": at(2).isoformat(),
    }
    assert error(post(client, operator, "/holds", window), 422) == "hold.window_invalid"
    listed = client.get(f"{API}/holds", params={"active": "true"}, headers=operator).json()
    assert [h["id"] for h in listed["items"]] == [hold_id]
    refused = post(client, operator, f"/holds/{hold_id}/release", {"note": "fine"})
    assert error(refused, 403) == "auth.forbidden"
    released = post(client, quality, f"/holds/{hold_id}/release", {"note": "inspected, fine"})
    assert released.status_code == 200 and released.json()["released_by"] == "user:quality-user"
    again = post(client, quality, f"/holds/{hold_id}/release", {"note": "again"})
    assert error(again, 409) == "hold.already_released"
    assert error(post(client, quality, "/holds/999999/release", {"note": "x"}), 404) == (
        "hold.not_found"
    )
    assert client.get(f"{API}/holds", headers=operator).json()["total"] == 0


def test_performance_endpoints(client: TestClient, as_role: Headers, plant: None) -> None:
    reader = as_role("auditor")
    window = {"since": at(0).isoformat(), "until": at(8).isoformat()}
    oee = client.get(f"{API}/oee", params={**window, "group": "line"}, headers=reader)
    assert oee.status_code == 200 and oee.json()["rows"] == []
    bad_group = client.get(f"{API}/oee", params={**window, "group": "moon"}, headers=reader)
    assert error(bad_group, 422) == "performance.group_invalid"
    inverted = {"since": at(8).isoformat(), "until": at(0).isoformat()}
    assert error(client.get(f"{API}/yield", params=inverted, headers=reader), 422) == (
        "performance.window_invalid"
    )
    yields = client.get(f"{API}/yield", params=window, headers=reader).json()
    assert {r["key"] for r in yields["routings"]} == {"CG-STD", "CG-LI", "HS-SEC"}
    pareto = client.get(f"{API}/scrap-pareto", params=window, headers=reader).json()
    assert pareto["total"] == 0
    assert client.get(f"{API}/wip", headers=reader).json() == {"rows": []}
    naive = {"since": "2026-03-02T00:00:00", "until": "2026-03-02T08:00:00"}
    assert error(client.get(f"{API}/oee", params=naive, headers=reader), 422) == (
        "performance.window_naive"
    )
