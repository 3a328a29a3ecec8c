"""Alembic environment: migrations run against Forgeline's full metadata.

This directory is deliberately not a Python package, so that it may import every domain's
tables (through `forgeline.models`) without breaking the layer contracts.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from forgeline.db.engine import make_engine
from forgeline.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run against a database")
run_migrations_online()
