from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.auth.service import (
    create_station_token,
    create_user,
    grant_skill,
    has_valid_skills,
    revoke_station_token,
    set_disabled,
    station_for_token,
)
from forgeline.db.base import utcnow
from forgeline.errors import DomainError

KEY = "k" * 48


def _codes(db: Session) -> list[str]:
    return [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_create_user_generates_one_time_password_and_audits(db: Session) -> None:
    user, one_time = create_user(
        db, username="asha", full_name="Asha Rao", roles=["quality"], actor="user:admin"
    )
    assert one_time and len(one_time) >= 12
    assert user.must_change_password
    assert user.password_hash and one_time not in user.password_hash
    entries = db.scalars(select(AuditEntry)).all()
    assert [e.action for e in entries] == ["user.created"]
    assert entries[0].actor == "user:admin"
    assert one_time not in str(entries[0].after)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"username": "Bad Name"}, "user.invalid_username"),
        ({"roles": []}, "user.no_role"),
        ({"roles": ["wizard"]}, "user.unknown_role"),
        ({"roles": ["station"]}, "user.unknown_role"),
        ({"password": "short"}, "user.weak_password"),
        ({"badge": "no spaces allowed"}, "user.invalid_badge"),
        ({"full_name": "  "}, "user.invalid_full_name"),
    ],
)
def test_bad_user_input_is_refused_and_nothing_written(
    db: Session, kwargs: dict[str, object], code: str
) -> None:
    args: dict[str, object] = {
        "username": "ravi",
        "full_name": "Ravi",
        "roles": ["operator"],
        "actor": "user:admin",
    }
    args.update(kwargs)
    with pytest.raises(DomainError) as err:
        create_user(db, **args)  # type: ignore[arg-type]
    assert err.value.code == code
    assert _codes(db) == []


def test_duplicate_username_and_badge_conflict(db: Session) -> None:
    create_user(db, username="ravi", full_name="Ravi", roles=["operator"], actor="a", badge="B-1")
    with pytest.raises(DomainError) as err:
        create_user(db, username="ravi", full_name="R2", roles=["operator"], actor="a")
    assert err.value.code == "user.exists"
    with pytest.raises(DomainError) as err:
        create_user(
            db, username="ravi2", full_name="R2", roles=["operator"], actor="a", badge="B-1"
        )
    assert err.value.code == "user.badge_taken"


def test_skill_validity_follows_expiry(db: Session) -> None:
    user, _ = create_user(db, username="op", full_name="Op", roles=["operator"], actor="a")
    today = utcnow().date()
    grant_skill(
        db,
        "op",
        "cnc",
        today + timedelta(days=30),
        "user:admin",
        known_skills={"cnc", "polish"},
    )
    assert has_valid_skills(db, user.id, ["cnc"], today)
    assert has_valid_skills(db, user.id, ["cnc"], today + timedelta(days=30))
    assert not has_valid_skills(db, user.id, ["cnc"], today + timedelta(days=31))
    assert not has_valid_skills(db, user.id, ["polish"], today)
    # A station type needing two skills wants both.
    assert not has_valid_skills(db, user.id, ["cnc", "polish"], today)
    grant_skill(db, "op", "polish", today + timedelta(days=5), "user:admin")
    assert has_valid_skills(db, user.id, ["cnc", "polish"], today)
    assert has_valid_skills(db, user.id, [], today)


def test_skill_for_unknown_skill_or_past_date_refused(db: Session) -> None:
    create_user(db, username="op", full_name="Op", roles=["operator"], actor="a")
    with pytest.raises(DomainError) as err:
        grant_skill(db, "op", "teleporter", date(2099, 1, 1), "a", known_skills={"cnc"})
    assert err.value.code == "skill.unknown"
    with pytest.raises(DomainError) as err:
        grant_skill(db, "op", "cnc", date(2000, 1, 1), "a", known_skills={"cnc"})
    assert err.value.code == "skill.expiry_in_past"


def test_station_token_is_stored_as_hmac_and_can_be_revoked(db: Session) -> None:
    secret, token = create_station_token(db, "IOX-01", "user:admin", KEY, known_stations={"IOX-01"})
    assert secret not in token.token_hash
    assert station_for_token(db, secret, KEY) is not None
    assert station_for_token(db, secret, "x" * 48) is None  # another key, another hash
    revoke_station_token(db, token.id, "user:admin")
    assert station_for_token(db, secret, KEY) is None
    with pytest.raises(DomainError) as err:
        revoke_station_token(db, token.id, "user:admin")
    assert err.value.code == "token.already_revoked"
    assert _codes(db) == ["token.created", "token.revoked"]


def test_token_for_unknown_station_refused(db: Session) -> None:
    with pytest.raises(DomainError) as err:
        create_station_token(db, "NOPE-9", "a", KEY, known_stations={"IOX-01"})
    assert err.value.code == "station.not_found"


def test_disable_is_audited_with_before_and_after(db: Session) -> None:
    create_user(db, username="ravi", full_name="Ravi", roles=["operator"], actor="a")
    set_disabled(db, "ravi", True, "user:admin")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user.disabled")).one()
    assert entry.before and entry.before["disabled"] is False
    assert entry.after and entry.after["disabled"] is True
