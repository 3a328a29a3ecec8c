"""Sessions and the transaction boundary.

The boundary (request handler, CLI command, ingest batch) owns the transaction: it opens a
session with `session_scope`, calls service functions, and the scope commits once at the end or
rolls everything back. Service functions never commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from forgeline.db.engine import SQLITE_BEGIN_OPTION

SessionFactory = sessionmaker[Session]


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: SessionFactory, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back on any exception.

    ``write=True`` declares up front that the unit of work will write (see `lock_for_write`).
    """
    session = factory()
    try:
        if write:
            lock_for_write(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def lock_for_write(session: Session) -> None:
    """Make the current unit of work a writer from its first statement.

    On SQLite this turns the transaction into ``BEGIN IMMEDIATE`` (the database write lock is
    taken up front, so two allocators cannot both read the same free IMEI); it must be called
    before the session's first statement. On PostgreSQL it does nothing: row locks
    (``SELECT ... FOR UPDATE``) or conditional UPDATEs do that job there.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        mode = session.connection().get_execution_options().get(SQLITE_BEGIN_OPTION)
        if mode != "IMMEDIATE":
            # A deferred transaction cannot be upgraded safely once it has read.
            raise RuntimeError("lock_for_write must be called before the first statement")
        return
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
