from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.auth.service import set_disabled
from forgeline.auth.sessions import principal_for_session, sign_in, sign_out
from forgeline.auth.tables import WebSession
from forgeline.config import Settings
from forgeline.db.base import utcnow
from tests.identities import PASSWORD, make_user


def test_sign_in_opens_a_session_that_resolves_to_the_user(db: Session, settings: Settings) -> None:
    make_user(db, "asha", ["quality"])
    result = sign_in(db, "asha", PASSWORD, settings)
    assert result.error is None and result.token
    principal = principal_for_session(db, result.token, settings)
    assert principal is not None
    assert principal.actor == "user:asha"
    assert principal.can("audit.read") and not principal.can("user.manage")
    assert principal.csrf_token


def test_wrong_password_and_unknown_user_get_the_same_answer(
    db: Session, settings: Settings
) -> None:
    make_user(db, "asha", ["quality"])
    wrong = sign_in(db, "asha", "not-the-password", settings)
    unknown = sign_in(db, "nobody", "not-the-password", settings)
    assert wrong.error is not None and unknown.error is not None
    assert wrong.error.code == unknown.error.code == "auth.invalid_credentials"
    assert wrong.error.message == unknown.error.message


def test_lock_out_after_repeated_failures(db: Session, settings: Settings) -> None:
    make_user(db, "asha", ["quality"])
    for _ in range(settings.login_max_failures):
        assert sign_in(db, "asha", "wrong-wrong-wrong", settings).error is not None
    locked = sign_in(db, "asha", PASSWORD, settings)  # right password, but locked
    assert locked.error is not None and locked.error.code == "auth.locked"
    actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert actions.count("user.sign_in_failed") == settings.login_max_failures
    assert "user.locked" in actions
    set_disabled(db, "asha", True, "user:admin")
    set_disabled(db, "asha", False, "user:admin")  # enabling clears the lock
    assert sign_in(db, "asha", PASSWORD, settings).error is None


def test_disabled_user_cannot_sign_in_and_loses_sessions(db: Session, settings: Settings) -> None:
    make_user(db, "asha", ["quality"])
    token = sign_in(db, "asha", PASSWORD, settings).token
    assert token
    set_disabled(db, "asha", True, "user:admin")
    assert principal_for_session(db, token, settings) is None
    refused = sign_in(db, "asha", PASSWORD, settings)
    assert refused.error is not None and refused.error.code == "auth.disabled"


def test_expired_and_ended_sessions_do_not_resolve(db: Session, settings: Settings) -> None:
    make_user(db, "asha", ["quality"])
    token = sign_in(db, "asha", PASSWORD, settings).token
    assert token
    row = db.scalars(select(WebSession)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.flush()
    assert principal_for_session(db, token, settings) is None
    row.expires_at = utcnow() + timedelta(hours=1)
    sign_out(db, token, settings)
    assert principal_for_session(db, token, settings) is None
