"""Users, roles, operator skills and station tokens. Every change is audited; nothing commits."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from forgeline.audit.log import append
from forgeline.auth.credentials import (
    generate_password,
    generate_station_token,
    hash_password,
    password_problem,
    token_hash,
)
from forgeline.auth.permissions import Role
from forgeline.auth.tables import OperatorSkill, StationToken, User, WebSession
from forgeline.db.base import utcnow
from forgeline.errors import conflict, invalid, not_found

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
BADGE_PATTERN = re.compile(r"^[A-Za-z0-9-]{3,64}$")
STATION_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")
# Where a token was used recently we skip the bookkeeping write: stations call many times a second.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
PERSON_ROLES = frozenset(Role) - {Role.STATION}


def _user_snapshot(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "roles": sorted(user.roles),
        "badge": user.badge,
        "disabled": user.disabled,
    }


def parse_roles(roles: Collection[str]) -> list[str]:
    """Validate role names given by a person; the station role is never assigned to people."""
    if not roles:
        raise invalid(
            "user.no_role", "a user needs at least one role", allowed=sorted(PERSON_ROLES)
        )
    unknown = sorted(set(roles) - {r.value for r in PERSON_ROLES})
    if unknown:
        raise invalid(
            "user.unknown_role",
            f"unknown role(s): {', '.join(unknown)}",
            allowed=sorted(r.value for r in PERSON_ROLES),
        )
    return sorted(set(roles))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise not_found("user.not_found", f"no user named {username!r}", username=username)
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(
        select(User).options(selectinload(User.skills)).order_by(User.username)
    ).all()


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    roles: Collection[str],
    actor: str,
    password: str | None = None,
    badge: str | None = None,
) -> tuple[User, str | None]:
    """Create a user. Without a password, a one-time password is generated and returned once;
    the user must change it at first sign-in."""
    if not USERNAME_PATTERN.match(username):
        raise invalid(
            "user.invalid_username",
            f"username {username!r} must be 2-64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter",
        )
    if not full_name.strip():
        raise invalid("user.invalid_full_name", "full name must not be empty")
    role_list = parse_roles(roles)
    if badge is not None and not BADGE_PATTERN.match(badge):
        raise invalid("user.invalid_badge", f"badge {badge!r} must be 3-64 letters, digits or '-'")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise conflict("user.exists", f"a user named {username!r} already exists")
    if badge and session.scalar(select(User.id).where(User.badge == badge)) is not None:
        raise conflict("user.badge_taken", f"badge {badge!r} belongs to another user")
    one_time = None
    if password is None:
        one_time = password = generate_password()
    elif problem := password_problem(password):
        raise invalid("user.weak_password", f"password {problem}")
    user = User(
        username=username,
        full_name=full_name.strip(),
        roles=role_list,
        password_hash=hash_password(password),
        badge=badge,
        must_change_password=one_time is not None,
        failed_logins=0,
        disabled=False,
    )
    session.add(user)
    session.flush()
    append(
        session,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=username,
        after=_user_snapshot(user),
    )
    return user, one_time


def set_disabled(session: Session, username: str, disabled: bool, actor: str) -> User:
    """Disable (or re-enable) a user; disabling also ends every open session of theirs."""
    user = get_user(session, username)
    before = _user_snapshot(user)
    if user.disabled == disabled:
        return user
    user.disabled = disabled
    if disabled:
        now = utcnow()
        for web_session in session.scalars(
            select(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        ):
            web_session.ended_at = now
    else:
        user.failed_logins = 0
        user.locked_until = None
    append(
        session,
        actor=actor,
        action="user.disabled" if disabled else "user.enabled",
        object_type="user",
        object_id=username,
        before=before,
        after=_user_snapshot(user),
    )
    return user


def set_roles(session: Session, username: str, roles: Collection[str], actor: str) -> User:
    user = get_user(session, username)
    before = _user_snapshot(user)
    user.roles = parse_roles(roles)
    append(
        session,
        actor=actor,
        action="user.roles_changed",
        object_type="user",
        object_id=username,
        before=before,
        after=_user_snapshot(user),
    )
    return user


def set_password(
    session: Session, username: str, new_password: str, actor: str, *, one_time: bool = False
) -> User:
    """Set a password. `one_time` marks it as issued by an admin: it must be changed at sign-in."""
    if problem := password_problem(new_password):
        raise invalid("user.weak_password", f"password {problem}")
    user = get_user(session, username)
    user.password_hash = hash_password(new_password)
    user.must_change_password = one_time
    user.failed_logins = 0
    user.locked_until = None
    append(
        session,
        actor=actor,
        action="user.password_set",
        object_type="user",
        object_id=username,
        after={"must_change_password": one_time},
    )
    return user


def _held_skill(session: Session, user_id: int, skill: str) -> OperatorSkill | None:
    return session.scalar(
        select(OperatorSkill).where(OperatorSkill.user_id == user_id, OperatorSkill.skill == skill)
    )


def grant_skill(
    session: Session,
    username: str,
    skill: str,
    expires_on: date,
    actor: str,
    *,
    known_skills: Collection[str] | None = None,
) -> OperatorSkill:
    """Certify a user for a skill of the plant until a date (renewing replaces the expiry).

    Station types name the skills they need; an operator may work at a station only while
    holding every one of them unexpired.
    """
    if known_skills is not None and skill not in known_skills:
        raise invalid(
            "skill.unknown", f"no skill {skill!r} in the plant", allowed=sorted(known_skills)
        )
    if expires_on <= utcnow().date():
        raise invalid("skill.expiry_in_past", f"expiry {expires_on} must be after today")
    user = get_user(session, username)
    held = _held_skill(session, user.id, skill)
    before = None if held is None else {"skill": skill, "expires_on": held.expires_on.isoformat()}
    if held is None:
        held = OperatorSkill(user_id=user.id, skill=skill, expires_on=expires_on, granted_by=actor)
        session.add(held)
    else:
        held.expires_on, held.granted_by, held.granted_at = expires_on, actor, utcnow()
    session.flush()
    append(
        session,
        actor=actor,
        action="skill.granted",
        object_type="user",
        object_id=username,
        before=before,
        after={"skill": skill, "expires_on": expires_on.isoformat()},
    )
    return held


def revoke_skill(session: Session, username: str, skill: str, actor: str) -> None:
    user = get_user(session, username)
    held = _held_skill(session, user.id, skill)
    if held is None:
        raise not_found("skill.not_found", f"{username} holds no skill {skill!r}")
    session.delete(held)
    append(
        session,
        actor=actor,
        action="skill.revoked",
        object_type="user",
        object_id=username,
        before={"skill": skill, "expires_on": held.expires_on.isoformat()},
    )


def has_valid_skills(session: Session, user_id: int, skills: Collection[str], on: date) -> bool:
    """True when the user holds every one of the skills, unexpired on the given day."""
    return not skills or skills_valid(skill_expiries(session, [user_id])[user_id], skills, on)


def skill_expiries(session: Session, user_ids: Collection[int]) -> dict[int, dict[str, date]]:
    """user id -> skill -> its last valid day, for many users in one query (see `skills_valid`)."""
    found: dict[int, dict[str, date]] = {user_id: {} for user_id in user_ids}
    if found:
        rows = session.execute(
            select(OperatorSkill.user_id, OperatorSkill.skill, OperatorSkill.expires_on).where(
                OperatorSkill.user_id.in_(list(found))
            )
        )
        for user_id, skill, expires_on in rows:
            found[user_id][skill] = expires_on
    return found


def skills_valid(expiries: Mapping[str, date], skills: Collection[str], on: date) -> bool:
    """`has_valid_skills` over a user's `skill_expiries`, with no query."""
    return all(skill in expiries and expiries[skill] >= on for skill in skills)


def create_station_token(
    session: Session,
    station_code: str,
    actor: str,
    secret_key: str,
    *,
    label: str = "",
    known_stations: Collection[str] | None = None,
) -> tuple[str, StationToken]:
    """Issue an API token for a station. The plaintext is returned once and never stored."""
    if not STATION_CODE_PATTERN.match(station_code):
        raise invalid("token.invalid_station_code", f"station code {station_code!r} is malformed")
    if known_stations is not None and station_code not in known_stations:
        raise not_found(
            "station.not_found", f"no station {station_code!r} in the plant", station=station_code
        )
    plaintext = generate_station_token()
    token = StationToken(
        station_code=station_code,
        label=label,
        token_prefix=plaintext[:12],
        token_hash=token_hash(secret_key, plaintext),
        created_by=actor,
    )
    session.add(token)
    session.flush()
    append(
        session,
        actor=actor,
        action="token.created",
        object_type="station_token",
        object_id=str(token.id),
        after={"station": station_code, "prefix": token.token_prefix, "label": label},
    )
    return plaintext, token


def list_station_tokens(
    session: Session, *, include_revoked: bool = False
) -> Sequence[StationToken]:
    query = select(StationToken).order_by(StationToken.station_code, StationToken.id)
    if not include_revoked:
        query = query.where(StationToken.revoked_at.is_(None))
    return session.scalars(query).all()


def revoke_station_token(session: Session, token_id: int, actor: str) -> StationToken:
    token = session.get(StationToken, token_id)
    if token is None:
        raise not_found("token.not_found", f"no station token with id {token_id}")
    if token.revoked_at is not None:
        raise conflict(
            "token.already_revoked", f"token {token_id} was revoked at {token.revoked_at}"
        )
    token.revoked_at, token.revoked_by = utcnow(), actor
    append(
        session,
        actor=actor,
        action="token.revoked",
        object_type="station_token",
        object_id=str(token.id),
        after={"station": token.station_code},
    )
    return token


def station_for_token(
    session: Session, token: str, secret_key: str, *, touch: bool = False
) -> StationToken | None:
    """The live token row for a presented token, or None.

    With `touch`, records the use (at most every few minutes); callers touch only inside write
    transactions, so a read never has to upgrade to a write lock.
    """
    row = session.scalar(
        select(StationToken).where(
            StationToken.token_hash == token_hash(secret_key, token),
            StationToken.revoked_at.is_(None),
        )
    )
    if row is not None and touch:
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
            row.last_used_at = now
    return row
