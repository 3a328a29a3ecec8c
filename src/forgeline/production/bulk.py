"""Bulk writes for the ingest path straight through the database driver, in the caller's
transaction: sqlite3 `executemany` on SQLite, COPY (inserts) and pipelined `executemany`
(updates) through psycopg on PostgreSQL.

Why not SQLAlchemy Core here: its per-row, per-column bind processing cost ten times what the
driver needs for the same rows (measured in bench/ingest.py). The values are converted once
below exactly as the column types would store them (UTC timestamps, UUIDs, JSON), so rows
written here read back through the ORM like any other. Only these tables' known columns are
written; every other write in Forgeline goes through SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Boolean, Uuid
from sqlalchemy.orm import Session

from forgeline.db.base import Base, UTCDateTime

Convert = Callable[[Any], Any]


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    # The text SQLAlchemy's SQLite DateTime writes (and parses back): UTC, no offset.
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if value == {}:
        return "{}"  # rework counts: nearly always empty, and json.dumps costs microseconds
    return json.dumps(value)


def _sqlite_uuid(value: UUID | None) -> str | None:
    return None if value is None else value.hex


def _identity(value: Any) -> Any:
    return value


def _pg_json(value: Any) -> Any:
    from psycopg.types.json import Json  # the PostgreSQL driver; absent on SQLite-only installs

    return None if value is None else Json(value)


def _converters(table: str, columns: Sequence[str], dialect: str) -> list[Convert]:
    """How each column's Python value becomes what the driver should receive."""
    types = Base.metadata.tables[table].c
    found: list[Convert] = []
    for name in columns:
        kind = types[name].type
        if isinstance(kind, JSON):
            found.append(_pg_json if dialect == "postgresql" else _json)
        elif dialect == "sqlite" and isinstance(kind, UTCDateTime):
            found.append(_sqlite_time)
        elif dialect == "sqlite" and isinstance(kind, Uuid):
            found.append(_sqlite_uuid)
        elif dialect == "sqlite" and isinstance(kind, Boolean):
            found.append(lambda v: None if v is None else int(v))
        else:
            found.append(_identity)
    return found


def _rows(
    table: str, columns: Sequence[str], rows: Sequence[dict[str, Any]], dialect: str
) -> list[Sequence[Any]]:
    """Values in column order (at least two columns); every row has every column."""
    get = itemgetter(*columns)
    plan = [
        (i, convert)
        for i, convert in enumerate(_converters(table, columns, dialect))
        if convert is not _identity
    ]
    if not plan:
        return [get(row) for row in rows]
    out: list[Sequence[Any]] = []
    for row in rows:
        values = list(get(row))
        for i, convert in plan:
            values[i] = convert(values[i])
        out.append(values)
    return out


def insert_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """INSERT the rows (dicts keyed by column name; missing keys are NULL)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    values = _rows(table, columns, rows, dialect)
    driver = session.connection().connection.driver_connection
    names = ", ".join(columns)
    if dialect == "postgresql":
        cursor = driver.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)  # type: ignore[union-attr]  # noqa: S608


def update_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """UPDATE each row's `columns` by its "id"."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    values = _rows(table, [*columns, "id"], rows, dialect)
    driver = session.connection().connection.driver_connection
    mark = "%s" if dialect == "postgresql" else "?"
    sets = ", ".join(f"{name} = {mark}" for name in columns)
    sql = f"UPDATE {table} SET {sets} WHERE id = {mark}"  # noqa: S608
    if dialect == "postgresql":
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.executemany(sql, values)
        return
    driver.executemany(sql, values)  # type: ignore[union-attr]
