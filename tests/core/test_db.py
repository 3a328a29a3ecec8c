"""Storage guarantees: SQLite durability pragmas, write locking, UTC timestamps, boundaries."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.auth.tables import User
from forgeline.db.engine import make_engine
from forgeline.db.session import lock_for_write, make_session_factory, session_scope
from forgeline.models import metadata


def test_sqlite_connections_are_durable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        # Speed settings only: a bigger page cache, temporary tables in memory.
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -65_536
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
    engine.dispose()


def test_timestamps_come_back_timezone_aware_utc(db: Session) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 3, 1, 17, 30, tzinfo=ist)
    db.add(User(username="tz", full_name="Tz", roles=["auditor"], created_at=local))
    db.flush()
    db.expire_all()
    user = db.scalars(select(User).where(User.username == "tz")).one()
    assert user.created_at == local
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset() == timedelta(0)
    assert user.created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_naive_timestamps_are_refused(db: Session) -> None:
    db.add(
        User(
            username="naive",
            full_name="N",
            roles=["auditor"],
            created_at=datetime(2026, 3, 1, 12, 0),  # noqa: DTZ001 - the point of the test
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db.flush()


def test_session_scope_commits_all_or_nothing(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with pytest.raises(RuntimeError), session_scope(factory, write=True) as session:
        session.add(User(username="half", full_name="H", roles=["auditor"]))
        session.flush()
        raise RuntimeError("boom after the first write")
    with session_scope(factory) as session:
        assert session.scalar(select(User).where(User.username == "half")) is None
    engine.dispose()


def test_sqlite_writers_take_the_lock_up_front(tmp_path: Path) -> None:
    """Two read-then-write units of work on SQLite are serialised, never interleaved."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    order: list[str] = []
    first_has_lock = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with session_scope(factory, write=True) as session:
            session.execute(text("SELECT 1"))
            order.append("first-start")
            first_has_lock.set()
            release_first.wait(5)
            order.append("first-end")

    def second() -> None:
        first_has_lock.wait(5)
        with session_scope(factory, write=True) as session:
            session.execute(text("SELECT 1"))
            order.append("second-start")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_has_lock.wait(5)
    # Give the second writer every chance to (wrongly) start while the first holds the lock.
    threading.Event().wait(0.3)
    release_first.set()
    for t in threads:
        t.join(10)
    assert order == ["first-start", "first-end", "second-start"]
    engine.dispose()


def test_lock_for_write_refuses_after_first_statement(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'late.db'}")
    factory = make_session_factory(engine)
    with factory() as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError, match="before the first statement"):
            lock_for_write(session)
    engine.dispose()


def test_audit_entries_cannot_exist_without_the_change(db_url: str) -> None:
    """An audit entry is written in the caller's transaction: a rollback removes both."""
    from forgeline.auth.service import create_user

    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with pytest.raises(RuntimeError), session_scope(factory, write=True) as session:
        create_user(session, username="ghost", full_name="G", roles=["auditor"], actor="t")
        raise RuntimeError("failure after the audit append")
    with session_scope(factory) as session:
        assert session.scalar(select(AuditEntry)) is None
    engine.dispose()
