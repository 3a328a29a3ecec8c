"""Acting as people of each role and as stations: helpers and fixtures (a plugin of conftest)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forgeline.auth.credentials import csrf_token
from forgeline.auth.deps import CSRF_HEADER, SESSION_COOKIE
from forgeline.auth.service import create_station_token, create_user
from forgeline.auth.sessions import sign_in
from forgeline.config import Settings

PASSWORD = "plant-floor-passphrase"


def make_user(db: Session, username: str, roles: list[str], **kw: object) -> None:
    create_user(
        db,
        username=username,
        full_name=username.title(),
        roles=roles,
        password=PASSWORD,
        actor="system:test",
        **kw,
    )  # type: ignore[arg-type]
    db.commit()


def signed_in_headers(db: Session, settings: Settings, username: str) -> dict[str, str]:
    """Headers a browser of this user would send: the session cookie and its CSRF token."""
    result = sign_in(db, username, PASSWORD, settings)
    assert result.token is not None, result.error
    db.commit()
    secret = settings.secret_key.get_secret_value()
    return {
        "Cookie": f"{SESSION_COOKIE}={result.token}",
        CSRF_HEADER: csrf_token(secret, result.token),
    }


def station_headers(db: Session, settings: Settings, station: str = "IOX-01") -> dict[str, str]:
    secret, _ = create_station_token(
        db, station, "system:test", settings.secret_key.get_secret_value()
    )
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def as_role(db: Session, settings: Settings) -> Callable[[str], dict[str, str]]:
    """Headers for a fresh user holding one role (or a station for role 'station')."""

    def headers(role: str) -> dict[str, str]:
        if role == "station":
            return station_headers(db, settings)
        username = f"{role}-user"
        make_user(db, username, [role])
        return signed_in_headers(db, settings, username)

    return headers


@pytest.fixture
def admin_headers(as_role: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return as_role("admin")


__all__ = ["PASSWORD", "TestClient", "make_user", "signed_in_headers", "station_headers"]
