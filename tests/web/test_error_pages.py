"""Failures: HTML pages for people, the JSON envelope under /api/, sign-in redirects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_unknown_page_is_an_html_404(shell_client: TestClient) -> None:
    response = shell_client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert "Nothing lives at this address" in response.text
    assert "route.not_found" in response.text
    assert 'href="/"' in response.text


def test_unknown_api_route_keeps_the_json_envelope(shell_client: TestClient) -> None:
    response = shell_client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "route.not_found"


@pytest.mark.parametrize(("kind", "status"), [("forbidden", 403), ("conflict", 409)])
def test_domain_errors_on_pages_render_with_their_status(
    shell_client: TestClient, kind: str, status: int
) -> None:
    response = shell_client.get(f"/page/{kind}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"test.{kind}" in response.text
    assert f"refused: {kind.upper()}" in response.text


@pytest.mark.parametrize(("kind", "status"), [("forbidden", 403), ("unauthenticated", 401)])
def test_domain_errors_on_the_api_stay_json(
    shell_client: TestClient, kind: str, status: int
) -> None:
    response = shell_client.get(f"/api/v1/test/{kind}")
    assert response.status_code == status
    assert response.json()["error"]["code"] == f"test.{kind}"


def test_unauthenticated_page_request_redirects_to_sign_in_with_next(
    shell_client: TestClient,
) -> None:
    response = shell_client.get("/page/unauthenticated", params={"line": "L1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/page/unauthenticated%3Fline%3DL1"


def test_unauthenticated_htmx_request_gets_a_full_page_redirect(shell_client: TestClient) -> None:
    response = shell_client.get("/page/unauthenticated", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/page/unauthenticated"


def test_a_bug_on_a_page_is_a_500_page_with_the_request_id(shell_client: TestClient) -> None:
    response = shell_client.get("/page/crash", headers={"X-Request-ID": "req-77"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text
    assert "req-77" in response.text
    assert "a bug" not in response.text  # internals stay in the log


def test_a_bug_on_the_api_is_a_json_500_with_the_request_id(shell_client: TestClient) -> None:
    response = shell_client.get("/api/v1/test/crash", headers={"X-Request-ID": "req-78"})
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "internal",
        "message": "internal error; quote the request id to support",
        "details": {"request_id": "req-78"},
    }
