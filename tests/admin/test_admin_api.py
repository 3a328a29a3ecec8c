"""Administering users, skills and station tokens through the API, as an admin would."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("plant")


def test_create_user_answers_one_time_password_once(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"username": "meera", "full_name": "Meera Iyer", "roles": ["quality"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["user"]["roles"] == ["quality"]
    assert len(body["one_time_password"]) >= 12
    listed = client.get("/api/v1/users", headers=admin_headers).json()
    assert "meera" in [u["username"] for u in listed["items"]]
    assert body["one_time_password"] not in str(listed)


def test_unknown_fields_and_bad_roles_are_4xx_and_write_nothing(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    extra = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"username": "x1", "full_name": "X", "roles": ["quality"], "is_root": True},
    )
    assert extra.status_code == 422
    assert extra.json()["error"]["code"] == "request.invalid"
    bad = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"username": "x1", "full_name": "X", "roles": ["overlord"]},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "user.unknown_role"
    assert bad.json()["error"]["details"]["allowed"]
    names = [
        u["username"] for u in client.get("/api/v1/users", headers=admin_headers).json()["items"]
    ]
    assert "x1" not in names


def test_skills_come_from_the_plant(client: TestClient, admin_headers: dict[str, str]) -> None:
    client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"username": "ravi", "full_name": "Ravi", "roles": ["operator"]},
    )
    granted = client.post(
        "/api/v1/users/ravi/skills",
        headers=admin_headers,
        json={"skill": "iox_operation", "expires_on": "2099-01-31"},
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["skills"][0]["skill"] == "iox_operation"
    unknown = client.post(
        "/api/v1/users/ravi/skills",
        headers=admin_headers,
        json={"skill": "juggling", "expires_on": "2099-01-31"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "skill.unknown"
    removed = client.delete("/api/v1/users/ravi/skills/iox_operation", headers=admin_headers)
    assert removed.json()["skills"] == []


def test_station_token_lifecycle_and_use(client: TestClient, admin_headers: dict[str, str]) -> None:
    issued = client.post(
        "/api/v1/station-tokens",
        headers=admin_headers,
        json={"station_code": "IOX-01", "label": "furnace PLC"},
    )
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]
    station = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=station).json()
    assert me["actor"] == "station:IOX-01"
    assert me["roles"] == ["station"]
    token_id = issued.json()["token"]["id"]
    assert (
        client.delete(f"/api/v1/station-tokens/{token_id}", headers=admin_headers).status_code
        == 200
    )
    assert client.get("/api/v1/me", headers=station).status_code == 401
    unknown = client.post(
        "/api/v1/station-tokens", headers=admin_headers, json={"station_code": "NOPE-1"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "station.not_found"


def test_pagination_is_capped(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/users?limit=100000", headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "page.limit_too_large"
