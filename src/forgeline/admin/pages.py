"""The admin page: users and their roles, operator skills, station tokens.

Forms post here and answer with the page again: a one-time password or a new token is shown in
that answer only, and a refusal is shown beside the form with its reason.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.auth.deps import require
from forgeline.auth.permissions import Role
from forgeline.auth.principal import Principal
from forgeline.auth.service import (
    create_station_token,
    create_user,
    grant_skill,
    list_station_tokens,
    list_users,
    revoke_station_token,
    set_disabled,
)
from forgeline.errors import DomainError, invalid
from forgeline.plant.service import skill_codes, station_codes
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("user.read"))]
UserManager = Annotated[Principal, Depends(require("user.manage"))]
SkillManager = Annotated[Principal, Depends(require("skill.manage"))]
TokenManager = Annotated[Principal, Depends(require("token.manage"))]
ASSIGNABLE_ROLES = [r.value for r in Role if r is not Role.STATION]


def _page(
    request: Request,
    session: Session,
    *,
    status: int = 200,
    error: DomainError | None = None,
    notice: dict[str, Any] | None = None,
) -> Response:
    return render(
        request,
        "admin/index.html",
        {
            "users": list_users(session),
            "tokens": list_station_tokens(session, include_revoked=True),
            "skill_codes": sorted(skill_codes(session)),
            "stations": sorted(station_codes(session)),
            "roles": ASSIGNABLE_ROLES,
            "error": error,
            "notice": notice,
        },
        status_code=status,
    )


def _attempt(request: Request, session: Session, action: Any) -> Response:
    """Run one admin action; show the page with the outcome (the error keeps its 4xx status).

    The action runs in a savepoint, so a refusal leaves nothing half written while the page
    still renders (and the request commits) normally.
    """
    try:
        with session.begin_nested():
            notice = action()
    except DomainError as exc:
        return _page(request, session, status=exc.kind.http_status, error=exc)
    if notice is None:
        return RedirectResponse("/admin", status_code=303)
    return _page(request, session, notice=notice)


@router.get("/admin")
def admin_page(request: Request, session: SessionDep, _p: Reader) -> Response:
    return _page(request, session)


@router.post("/admin/users")
def add_user(
    request: Request,
    session: SessionDep,
    principal: UserManager,
    username: Annotated[str, Form(max_length=64)],
    full_name: Annotated[str, Form(max_length=200)],
    roles: Annotated[list[str] | None, Form()] = None,
    badge: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    def action() -> dict[str, Any]:
        user, one_time = create_user(
            session,
            username=username.strip(),
            full_name=full_name,
            roles=roles or [],
            badge=badge.strip() or None,
            actor=principal.actor,
        )
        return {"kind": "password", "subject": user.username, "secret": one_time}

    return _attempt(request, session, action)


@router.post("/admin/users/{username}/state")
def change_state(
    request: Request,
    session: SessionDep,
    principal: UserManager,
    username: str,
    disabled: Annotated[str, Form(pattern="^(yes|no)$")],
) -> Response:
    def action() -> None:
        if username == principal.name and disabled == "yes":
            raise invalid("user.cannot_disable_self", "you cannot disable your own account")
        set_disabled(session, username, disabled == "yes", principal.actor)

    return _attempt(request, session, action)


@router.post("/admin/users/{username}/skills")
def add_skill(
    request: Request,
    session: SessionDep,
    principal: SkillManager,
    username: str,
    skill: Annotated[str, Form(max_length=64)],
    expires_on: Annotated[str, Form(max_length=10)],
) -> Response:
    def action() -> None:
        try:
            expiry = date.fromisoformat(expires_on)
        except ValueError:
            raise invalid("skill.invalid_date", f"{expires_on!r} is not a date") from None
        grant_skill(
            session,
            username,
            skill,
            expiry,
            principal.actor,
            known_skills=skill_codes(session),
        )

    return _attempt(request, session, action)


@router.post("/admin/tokens")
def add_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: TokenManager,
    station_code: Annotated[str, Form(max_length=64)],
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def action() -> dict[str, Any]:
        secret, token = create_station_token(
            session,
            station_code,
            principal.actor,
            settings.secret_key.get_secret_value(),
            label=label,
            known_stations=station_codes(session),
        )
        return {"kind": "token", "subject": token.station_code, "secret": secret}

    return _attempt(request, session, action)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, session: SessionDep, principal: TokenManager, token_id: int
) -> Response:
    return _attempt(
        request, session, lambda: revoke_station_token(session, token_id, principal.actor) and None
    )
