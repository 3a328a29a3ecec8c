"""Bulk writes for the ingest path straight through the database driver, in the caller's
transaction: sqlite3 `executemany` on SQLite, COPY (inserts) and pipelined `executemany`
(updates) through psycopg on PostgreSQL.

Why not SQLAlchemy Core here: its per-row, per-column bind processing cost ten times what the
driver needs for the same rows (measured in bench/ingest.py). Rows arrive as tuples in column
order whose values are already in the driver's form (`DriverValues`): the handlers build each
row once, converting an event's timestamp once, so nothing here touches a value. The forms are
exactly what the column types would store (UTC timestamps, UUIDs, JSON), so rows written here
read back through the ORM like any other. COPY runs in binary, its column types taken from the
table's model: psycopg's C dumpers then do the work its text ones do in Python (UUIDs, three
times faster overall). Only the ingest path's tables are written here (with live SPC's points,
which every batch of measurements extends); every other write goes through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

from pydantic_core import to_json
from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Session

from forgeline.db.base import Base, UTCDateTime

# A value as the driver receives it: what `DriverValues` made of a datetime, UUID or JSON value,
# or a number, string or None as it is.
DriverValue = Any


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime writes (and parses back): UTC, no offset."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given; Forgeline stores timezone-aware UTC only")
    if offset:  # nearly every event is sent in UTC already, and astimezone costs a microsecond
        value = value.astimezone(UTC)
    # SQLAlchemy's format exactly; formatting the fields costs a third less than isoformat()
    # and a slice (once per event).
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond,
    )  # fmt: skip


def _sqlite_uuid(value: UUID) -> str:
    return value.hex  # what SQLAlchemy's Uuid type stores on SQLite: CHAR(32)


def _identity(value: Any) -> Any:
    return value


def _json_text(value: Any) -> str | None:
    # JSON text is what both drivers take for a JSON column (COPY and UPDATE on PostgreSQL
    # alike); pydantic-core's encoder is several times faster than json.dumps, same JSON.
    return None if value is None else to_json(value).decode()


@dataclass(frozen=True, slots=True)
class DriverValues:
    """How the ingest path's datetimes, UUIDs and JSON values become the driver's values."""

    time: Callable[[datetime], DriverValue]
    uuid: Callable[[UUID], DriverValue]
    json: Callable[[Any], str | None]

    def optional_time(self, value: datetime | None) -> DriverValue:
        return None if value is None else self.time(value)


_SQLITE = DriverValues(time=_sqlite_time, uuid=_sqlite_uuid, json=_json_text)
# psycopg adapts aware datetimes (timestamptz) and UUIDs itself, in C.
_POSTGRESQL = DriverValues(time=_identity, uuid=_identity, json=_json_text)


def driver_values(session: Session) -> DriverValues:
    return _POSTGRESQL if session.get_bind().dialect.name == "postgresql" else _SQLITE


# PostgreSQL type of each column type's binary COPY form; subclasses first (BigInteger is an
# Integer). A JSON value is sent as its text, which is json's binary form too.
_BINARY_TYPES: tuple[tuple[type[Any], str], ...] = (
    (JSON, "text"),
    (UTCDateTime, "timestamptz"),
    (Uuid, "uuid"),
    (LargeBinary, "bytea"),
    (Boolean, "bool"),
    (Float, "float8"),
    (BigInteger, "int8"),
    (Integer, "int4"),
    (String, "text"),
)


@cache
def _copy_types(table: str, columns: tuple[str, ...]) -> list[str]:
    found = Base.metadata.tables[table].c
    return [
        next(name for kind, name in _BINARY_TYPES if isinstance(found[column].type, kind))
        for column in columns
    ]


def insert_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[DriverValue]]
) -> None:
    """INSERT the rows: driver values in `columns` order."""
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        cursor = driver.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_copy_types(table, tuple(columns)))
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # type: ignore[union-attr]  # noqa: S608


def update_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[DriverValue]]
) -> None:
    """UPDATE each row's `columns` by its id: driver values in `columns` order, then the id."""
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    mark = "%s" if session.get_bind().dialect.name == "postgresql" else "?"
    sets = ", ".join(f"{name} = {mark}" for name in columns)
    sql = f"UPDATE {table} SET {sets} WHERE id = {mark}"  # noqa: S608
    if mark == "%s":
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.executemany(sql, rows)
        return
    driver.executemany(sql, rows)  # type: ignore[union-attr]
