"""A bare app for the web shell's tests: no schema, no users, a stand-in principal.

The shell knows nothing of auth, so these tests put a duck-typed viewer on request.state the way
authentication does, and add routes that fail in each way a page can fail.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forgeline.app import create_app
from forgeline.auth.service import create_user
from forgeline.config import Settings
from forgeline.db.engine import make_engine
from forgeline.db.session import SessionFactory, make_session_factory
from forgeline.errors import DomainError, ErrorKind
from forgeline.web.templating import render


@dataclass(frozen=True)
class FakeViewer:
    name: str = "asha"
    display_name: str = "Asha Rao"
    roles: frozenset[str] = frozenset({"operator"})
    allowed: frozenset[str] = frozenset({"plant.read"})
    csrf: str = field(default="csrf-123", repr=False)

    def can(self, action: str) -> bool:
        return action in self.allowed


def _raise(kind: ErrorKind) -> Any:
    async def handler() -> None:
        raise DomainError(f"test.{kind.name.lower()}", f"refused: {kind.name}", kind=kind)

    return handler


def add_test_routes(app: FastAPI) -> None:
    for path in ("/page", "/api/v1/test"):
        app.add_api_route(f"{path}/unauthenticated", _raise(ErrorKind.UNAUTHENTICATED))
        app.add_api_route(f"{path}/forbidden", _raise(ErrorKind.FORBIDDEN))
        app.add_api_route(f"{path}/conflict", _raise(ErrorKind.CONFLICT))

        async def crash() -> None:
            raise RuntimeError("a bug")

        app.add_api_route(f"{path}/crash", crash)

    @app.get("/page/as-viewer", response_class=HTMLResponse)
    async def as_viewer(request: Request) -> HTMLResponse:
        viewer = FakeViewer(display_name=request.query_params.get("name", "Asha Rao"))
        request.state.principal = viewer
        request.state.csrf_token = viewer.csrf
        return render(
            request,
            "error.html",
            {"status": 200, "title": "Shell", "code": "ok", "message": "m", "request_id": None},
        )


@pytest.fixture
def shell_app(settings: Settings) -> FastAPI:
    factory = make_session_factory(make_engine(settings.resolved_database_url))
    app = create_app(settings, factory)
    add_test_routes(app)
    return app


@pytest.fixture
def shell_client(shell_app: FastAPI) -> Iterator[TestClient]:
    # Server errors must come back as answers (the 500 page), not be re-raised into the test.
    with TestClient(shell_app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.fixture
def page_client(settings: Settings, session_factory: SessionFactory) -> Iterator[TestClient]:
    """The real app over the rolled-back test database, not following redirects."""
    app = create_app(settings, session_factory)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def sign_in_as(client: TestClient, db: Session, username: str, roles: list[str]) -> None:
    """Create a user in the test database and sign the client in through the login form."""
    password = secrets.token_urlsafe(16)
    create_user(
        db,
        username=username,
        full_name=username.title(),
        roles=roles,
        actor="test",
        password=password,
    )
    db.commit()
    form = client.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert login_csrf is not None
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "login_csrf": login_csrf.group(1)},
    )
    assert answer.status_code == 303, answer.text
