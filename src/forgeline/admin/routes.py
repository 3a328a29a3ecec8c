"""JSON API for administering users, skills and station tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from forgeline.admin.schemas import (
    RolesUpdate,
    SkillGrant,
    SkillOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserCreated,
    UserOut,
)
from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.api.pagination import Page, PageDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.auth.service import (
    create_station_token,
    create_user,
    get_user,
    grant_skill,
    list_station_tokens,
    list_users,
    revoke_skill,
    revoke_station_token,
    set_disabled,
    set_roles,
)
from forgeline.auth.tables import User
from forgeline.plant.service import skill_codes, station_codes

router = APIRouter(tags=["admin"])
UserReader = Annotated[Principal, Depends(require("user.read"))]
UserManager = Annotated[Principal, Depends(require("user.manage"))]
SkillManager = Annotated[Principal, Depends(require("skill.manage"))]
TokenManager = Annotated[Principal, Depends(require("token.manage"))]


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        full_name=user.full_name,
        roles=list(user.roles),
        badge=user.badge,
        disabled=user.disabled,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        skills=[SkillOut.model_validate(s) for s in user.skills],
    )


def _refreshed(session: Session, username: str) -> UserOut:
    user = get_user(session, username)
    session.refresh(user, ["skills"])
    return user_out(user)


@router.get("/users", response_model=Page[UserOut])
def users(session: SessionDep, page: PageDep, _p: UserReader) -> Page[UserOut]:
    """All users, by user name."""
    everyone = list_users(session)
    chosen = everyone[page.offset : page.offset + page.limit]
    return Page[UserOut](
        items=[user_out(u) for u in chosen],
        total=len(everyone),
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/users", response_model=UserCreated, status_code=201)
def add_user(body: UserCreate, session: SessionDep, principal: UserManager) -> UserCreated:
    """Create a user; the answer carries a one-time password, shown this once."""
    user, one_time = create_user(
        session,
        username=body.username,
        full_name=body.full_name,
        roles=body.roles,
        badge=body.badge,
        actor=principal.actor,
    )
    assert one_time is not None
    return UserCreated(user=_refreshed(session, user.username), one_time_password=one_time)


@router.post("/users/{username}/disable", response_model=UserOut)
def disable_user(username: str, session: SessionDep, principal: UserManager) -> UserOut:
    set_disabled(session, username, True, principal.actor)
    return _refreshed(session, username)


@router.post("/users/{username}/enable", response_model=UserOut)
def enable_user(username: str, session: SessionDep, principal: UserManager) -> UserOut:
    set_disabled(session, username, False, principal.actor)
    return _refreshed(session, username)


@router.put("/users/{username}/roles", response_model=UserOut)
def change_roles(
    username: str, body: RolesUpdate, session: SessionDep, principal: UserManager
) -> UserOut:
    set_roles(session, username, body.roles, principal.actor)
    return _refreshed(session, username)


@router.post("/users/{username}/skills", response_model=UserOut)
def add_skill(
    username: str, body: SkillGrant, session: SessionDep, principal: SkillManager
) -> UserOut:
    """Qualify the user for a station type of the loaded plant until a date."""
    grant_skill(
        session,
        username,
        body.skill,
        body.expires_on,
        principal.actor,
        known_skills=skill_codes(session),
    )
    return _refreshed(session, username)


@router.delete("/users/{username}/skills/{skill}", response_model=UserOut)
def remove_skill(
    username: str, skill: str, session: SessionDep, principal: SkillManager
) -> UserOut:
    revoke_skill(session, username, skill, principal.actor)
    return _refreshed(session, username)


@router.get("/station-tokens", response_model=Page[TokenOut])
def tokens(
    session: SessionDep, page: PageDep, _p: TokenManager, include_revoked: bool = False
) -> Page[TokenOut]:
    """Station tokens (prefix only: the token itself is never stored)."""
    rows = list_station_tokens(session, include_revoked=include_revoked)
    chosen = rows[page.offset : page.offset + page.limit]
    return Page[TokenOut](
        items=[TokenOut.model_validate(t) for t in chosen],
        total=len(rows),
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/station-tokens", response_model=TokenCreated, status_code=201)
def add_token(
    body: TokenCreate, session: SessionDep, settings: SettingsDep, principal: TokenManager
) -> TokenCreated:
    """Issue a token for a station of the loaded plant; the secret is in this answer only."""
    secret, token = create_station_token(
        session,
        body.station_code,
        principal.actor,
        settings.secret_key.get_secret_value(),
        label=body.label,
        known_stations=station_codes(session),
    )
    return TokenCreated(token=TokenOut.model_validate(token), secret=secret)


@router.delete("/station-tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: int, session: SessionDep, principal: TokenManager) -> TokenOut:
    return TokenOut.model_validate(revoke_station_token(session, token_id, principal.actor))
