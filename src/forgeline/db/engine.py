"""Engine creation: SQLite pragmas for durability, PostgreSQL through psycopg 3.

SQLite runs in WAL mode with foreign keys on and ``synchronous=FULL``, so a write reported as
committed survives power loss; a larger page cache and in-memory temporary tables only make it
faster. We take over SQLite's transaction start ourselves so a unit of work that takes a
limited resource can begin with ``BEGIN IMMEDIATE`` (SQLAlchemy renders ``FOR UPDATE`` as
nothing on SQLite); see `forgeline.db.session.write_session`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url

SQLITE_BEGIN_OPTION = "sqlite_begin"
BUSY_TIMEOUT_MS = 30_000
# Page cache per connection (negative: KiB), grown only as pages are read. The default 2 MiB
# is smaller than one ingest batch's dirty pages, which then spill to the WAL mid-transaction,
# and than the indexes a batch probes at random (event ids); 64 MiB holds both. No effect on
# durability: a commit still writes and syncs the WAL before it returns.
CACHE_SIZE_KIB = 65_536


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # The driver must not open transactions behind our back; we emit BEGIN in _on_sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
        # Temporary b-trees (the ingest path's IN (json_each) lists, sorts) stay off the disk.
        cursor.execute("PRAGMA temp_store=MEMORY")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with Forgeline's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)
