"""Signing in and out of the web application, with lock-out after repeated failures.

A failed sign-in is itself a state change (the failure counter, perhaps a lock): `sign_in`
therefore reports failure in its result instead of raising, so the boundary still commits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.auth.credentials import (
    csrf_token,
    generate_session_token,
    token_hash,
    verify_password,
)
from forgeline.auth.permissions import Role
from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.auth.service import station_for_token
from forgeline.auth.tables import User, WebSession
from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, ErrorKind

INVALID_CREDENTIALS = DomainError(
    "auth.invalid_credentials", "unknown user or wrong password", kind=ErrorKind.UNAUTHENTICATED
)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a session token, or the refusal to show."""

    token: str | None
    user: User | None
    error: DomainError | None


def _fail(session: Session, user: User, settings: Settings) -> DomainError:
    user.failed_logins += 1
    append(
        session,
        actor=f"user:{user.username}",
        action="user.sign_in_failed",
        object_type="user",
        object_id=user.username,
        after={"failed_logins": user.failed_logins},
    )
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = utcnow() + timedelta(minutes=settings.login_lockout_minutes)
        user.failed_logins = 0
        append(
            session,
            actor="system",
            action="user.locked",
            object_type="user",
            object_id=user.username,
            after={"locked_until": user.locked_until.isoformat()},
        )
    return INVALID_CREDENTIALS


def sign_in(
    session: Session, username: str, password: str, settings: Settings, *, user_agent: str = ""
) -> SignIn:
    """Check a password and open a web session. Never says whether the user exists."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    if user is None:
        verify_password(password, None)  # same cost as a real check
        return SignIn(None, None, INVALID_CREDENTIALS)
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
        return SignIn(
            None,
            None,
            DomainError(
                "auth.locked",
                f"too many failed sign-ins; try again in about {minutes} minute(s) or ask an admin",
                kind=ErrorKind.LOCKED,
            ),
        )
    if not verify_password(password, user.password_hash):
        return SignIn(None, None, _fail(session, user, settings))
    if user.disabled:
        return SignIn(
            None,
            None,
            DomainError(
                "auth.disabled", "this account is disabled; ask an admin", kind=ErrorKind.FORBIDDEN
            ),
        )
    token = generate_session_token()
    session.add(
        WebSession(
            token_hash=token_hash(settings.secret_key.get_secret_value(), token),
            user_id=user.id,
            expires_at=now + timedelta(hours=settings.session_hours),
            user_agent=user_agent[:300],
        )
    )
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    append(
        session,
        actor=f"user:{user.username}",
        action="user.signed_in",
        object_type="user",
        object_id=user.username,
    )
    return SignIn(token, user, None)


def sign_out(session: Session, token: str, settings: Settings) -> None:
    web_session = session.scalar(
        select(WebSession).where(
            WebSession.token_hash == token_hash(settings.secret_key.get_secret_value(), token),
            WebSession.ended_at.is_(None),
        )
    )
    if web_session is None:
        return
    web_session.ended_at = utcnow()
    append(
        session,
        actor=f"user:{web_session.user.username}",
        action="user.signed_out",
        object_type="user",
        object_id=web_session.user.username,
    )


def principal_for_user(user: User, *, csrf: str | None = None) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        name=user.username,
        display_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles),
        user_id=user.id,
        csrf_token=csrf,
        must_change_password=user.must_change_password,
    )


def principal_for_session(session: Session, token: str, settings: Settings) -> Principal | None:
    """The signed-in user behind a session cookie, or None when expired, ended or disabled."""
    secret = settings.secret_key.get_secret_value()
    web_session = session.scalar(
        select(WebSession).where(
            WebSession.token_hash == token_hash(secret, token), WebSession.ended_at.is_(None)
        )
    )
    if web_session is None or web_session.expires_at <= utcnow():
        return None
    user = web_session.user
    if user.disabled:
        return None
    return principal_for_user(user, csrf=csrf_token(secret, token))


def principal_for_token(
    session: Session, token: str, settings: Settings, *, touch: bool = False
) -> Principal | None:
    row = station_for_token(session, token, settings.secret_key.get_secret_value(), touch=touch)
    if row is None:
        return None
    return Principal(
        kind=PrincipalKind.STATION,
        name=row.station_code,
        display_name=row.station_code,
        roles=frozenset({Role.STATION}),
    )
