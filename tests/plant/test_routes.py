"""The plant API: reading the plant and its revisions, loading a definition, permissions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from forgeline.auth.deps import optional_principal
from forgeline.auth.permissions import Role
from forgeline.auth.principal import Principal, PrincipalKind
from tests.plant.conftest import edit

API = "/api/v1/plant"
YAML = {"Content-Type": "application/yaml"}


@pytest.fixture
def act_as(client: TestClient) -> Callable[[Role | None], None]:
    def set_principal(role: Role | None) -> None:
        principal = (
            None
            if role is None
            else Principal(PrincipalKind.USER, "alice", "Alice", frozenset({role}))
        )
        client.app.dependency_overrides[optional_principal] = lambda: principal  # type: ignore[attr-defined]

    return set_principal


def test_load_and_read(
    client: TestClient, act_as: Callable[[Role | None], None], default_text: str
) -> None:
    act_as(Role.ADMIN)
    created = client.post(f"{API}/revisions", content=default_text, headers=YAML)
    assert created.status_code == 201, created.text
    assert created.json()["created"] is True
    assert created.json()["revision"]["number"] == 1
    assert created.json()["revision"]["loaded_by"] == "user:alice"
    same = client.post(
        f"{API}/revisions",
        content=default_text,
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert same.status_code == 200 and same.json()["created"] is False

    act_as(Role.OPERATOR)
    plant = client.get(API)
    assert plant.status_code == 200
    body = plant.json()
    assert body["site"]["code"] == "SPR-1"
    assert [area["code"] for area in body["site"]["areas"]] == [
        "CG-FAB",
        "CG-CHEM",
        "CG-DECO",
        "CG-QA",
        "HS",
    ]
    assert {r["code"] for r in body["routings"]} == {"CG-STD", "CG-LI", "HS-SEC"}
    assert {p["code"] for p in body["products"]} >= {"CG-AUR-A55", "SNT-S1"}

    listed = client.get(f"{API}/revisions", params={"limit": 10})
    assert listed.status_code == 200
    assert listed.json()["total"] == 1 and listed.json()["items"][0]["number"] == 1
    detail = client.get(f"{API}/revisions/1")
    assert detail.status_code == 200
    assert detail.json()["definition"]["site"]["timezone"] == "Asia/Kolkata"
    assert client.get(f"{API}/revisions/7").json()["error"]["code"] == "plant.revision_not_found"


def test_no_plant_is_404(client: TestClient, act_as: Callable[[Role | None], None]) -> None:
    act_as(Role.AUDITOR)
    response = client.get(API)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "plant.not_loaded"


def test_invalid_definition_is_422_with_line(
    client: TestClient, act_as: Callable[[Role | None], None], default_text: str
) -> None:
    act_as(Role.ADMIN)
    text, line = edit(default_text, "batch_size: 3000,", "batch_size: -3,")
    response = client.post(f"{API}/revisions", content=text, headers=YAML)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "plant.invalid_definition"
    assert error["message"].startswith(f"request body:{line}: station_types[5].batch_size: ")
    assert error["details"]["problems"][0]["line"] == line


def test_wrong_media_type_is_415(
    client: TestClient, act_as: Callable[[Role | None], None], default_text: str
) -> None:
    act_as(Role.ADMIN)
    response = client.post(f"{API}/revisions", json={"yaml": default_text})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "plant.unsupported_media_type"


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), (Role.OPERATOR, 403), (Role.QUALITY, 403), (Role.ADMIN, 201)],
)
def test_only_admins_load(
    client: TestClient,
    act_as: Callable[[Role | None], None],
    default_text: str,
    role: Role | None,
    status: int,
) -> None:
    act_as(role)
    response = client.post(f"{API}/revisions", content=default_text, headers=YAML)
    assert response.status_code == status


def test_reading_needs_a_principal(
    client: TestClient, act_as: Callable[[Role | None], None]
) -> None:
    act_as(None)
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/revisions").status_code == 401
