"""The admin page as an admin uses it in a browser (forms with the CSRF token)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("plant")


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_admin_creates_a_user_and_sees_the_password_once(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    page = client.get("/admin", headers=admin_headers)
    assert page.status_code == 200
    assert "iox_operation" in page.text  # skills offered come from the plant
    created = client.post(
        "/admin/users",
        headers=admin_headers,
        data={
            "username": "lata",
            "full_name": "Lata Nair",
            "roles": ["operator", "quality"],
            "badge": "B-2001",
        },
    )
    assert created.status_code == 200
    secret = re.search(r'id="one-time-secret">([^<]+)<', created.text)
    assert secret
    again = client.get("/admin", headers=admin_headers)
    assert "Lata Nair" in again.text
    assert secret.group(1) not in again.text


def test_refusal_is_shown_with_its_status_and_nothing_written(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    refused = client.post(
        "/admin/users",
        headers=admin_headers,
        data={"username": "Bad Name", "full_name": "X", "roles": ["operator"]},
    )
    assert refused.status_code == 422
    assert 'data-code="user.invalid_username"' in refused.text
    refused_token = client.post(
        "/admin/tokens", headers=admin_headers, data={"station_code": "NOPE-1"}
    )
    assert refused_token.status_code == 404
    assert (
        "NOPE-1" not in client.get("/admin", headers=admin_headers).text.split("Issue a token")[0]
    )


def test_admin_cannot_disable_themselves(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/admin/users/admin-user/state", headers=admin_headers, data={"disabled": "yes"}
    )
    assert response.status_code == 422
    assert 'data-code="user.cannot_disable_self"' in response.text


def test_auditor_sees_the_page_without_forms(client: TestClient, as_role: object) -> None:
    headers = as_role("auditor")  # type: ignore[operator]
    page = client.get("/admin", headers=headers)
    assert page.status_code == 200
    assert "Add a user" not in page.text
    assert "Issue a token" not in page.text
    assert (
        client.post(
            "/admin/users",
            headers=headers,
            data={"username": "x2", "full_name": "X", "roles": ["operator"]},
        ).status_code
        == 403
    )


def test_form_token_in_page_matches_session(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    page = client.get("/admin", headers=admin_headers)
    assert _form_token(page.text) == admin_headers["X-CSRF-Token"]
