"""The trace's reads run through the database driver: each Core statement of `trace.queries`
rendered to SQL text once per dialect, executed on the session's own DBAPI connection (so in
its transaction), and its few typed columns converted here.

Why not execute the statements through SQLAlchemy: a device history record is about a dozen
small reads, and per statement SQLAlchemy's execution (cache key, expanding-IN post-compile,
result processing) cost several times what the driver spends running it (cProfile of 300
backward traces on the 10 M-piece bench: ~1.3 ms of a 2.7 ms trace; through the driver a warm
trace takes 0.6 ms at p50, bench/trace.py). The statements stay Core constructs, so their SQL is
still written once for both databases.

An id list is bound as one parameter, as on the ingest path (`production.ingest_store`): the
expanding ``IN`` becomes ``IN (SELECT value FROM json_each(?))`` on SQLite and ``= ANY(...)``
on PostgreSQL. The SQL then no longer depends on how many ids there are, and no list needs
chunking under a bound-parameter limit.
"""

from __future__ import annotations

import json
import re
from collections import namedtuple
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import JSON, Boolean, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import ARRAY, TypeEngine

from forgeline.db.base import UTCDateTime

Convert = Callable[[Any], Any]
# How SQLAlchemy leaves an expanding IN in a compiled string until execution ("post-compile"):
# https://docs.sqlalchemy.org/en/20/faq/sqlexpressions.html#rendering-postcompile-parameters
_EXPANDING_IN = re.compile(r"IN \(__\[POSTCOMPILE_(\w+)\]\)")


class AnyRow(Protocol):
    """A row of any of the trace's reads: a named tuple, its columns by label."""

    def __getattr__(self, name: str) -> Any: ...
    def __getitem__(self, index: int) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def _asdict(self) -> dict[str, Any]: ...


def _sqlite_time(value: str) -> datetime:
    # SQLite holds the UTC wall time as text (forgeline.db.base.UTCDateTime). Parsing it with
    # its zone appended is five times faster than parsing, then replace(tzinfo=UTC).
    return datetime.fromisoformat(value + "+00:00")


def _postgresql_time(value: datetime) -> datetime:
    # timestamptz comes back in the session's time zone; UTCDateTime answers in UTC.
    return value.astimezone(UTC)


# What UTCDateTime, JSON and Boolean do on reading, per dialect; every other column type the
# trace reads (integers, floats, strings) needs nothing. psycopg parses json itself.
_CONVERTERS: dict[str, tuple[tuple[type[TypeEngine[Any]], Convert], ...]] = {
    "sqlite": ((UTCDateTime, _sqlite_time), (JSON, json.loads), (Boolean, bool)),
    "postgresql": ((UTCDateTime, _postgresql_time),),
}


def _converter(dialect: str, column_type: TypeEngine[Any]) -> Convert | None:
    for kind, convert in _CONVERTERS[dialect]:
        if isinstance(column_type, kind):
            return convert
    return None


@dataclass(frozen=True, slots=True)
class _Rendered:
    """A statement as SQL text for one dialect, with what it takes to run it and read it."""

    sql: str
    # Parameter names in placeholder order (SQLite's qmark); None for named (psycopg).
    order: tuple[str, ...] | None
    # The statement's own bound values (a LIMIT, a constant), merged under the caller's.
    constants: dict[str, Any]
    id_lists: frozenset[str]
    row: Callable[[Any], AnyRow]
    converters: tuple[tuple[int, Convert], ...]


def _render(statement: Select[Any], dialect: Dialect) -> _Rendered:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    id_lists = frozenset(_EXPANDING_IN.findall(compiled.string))

    def one_parameter(match: re.Match[str]) -> str:
        name = match.group(1)
        if dialect.name == "sqlite":
            return "IN (SELECT value FROM json_each(?))"
        array = dialect.type_compiler_instance.process(ARRAY(compiled.binds[name].type))
        return f"= ANY(%({name})s::{array})"

    sql = _EXPANDING_IN.sub(one_parameter, compiled.string)
    if "POSTCOMPILE" in sql:
        raise ValueError(f"an expanding parameter other than `column IN ids` in {sql!r}")
    names = list(statement.selected_columns.keys())
    converters = tuple(
        (index, convert)
        for index, column in enumerate(statement.selected_columns)
        if (convert := _converter(dialect.name, column.type)) is not None
    )
    order = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    constants = {key: value for key, value in compiled.params.items() if value is not None}
    # rename: an unlabelled expression (`SELECT EXISTS ...`) has no usable name.
    row_type = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    make = cast(Callable[[Any], AnyRow], row_type._make)
    return _Rendered(sql, order, constants, id_lists, make, converters)


class Read:
    """A Core SELECT run through the driver; rendered on first use per dialect."""

    __slots__ = ("_rendered", "statement")

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._rendered: dict[str, _Rendered] = {}

    def rendered(self, dialect: Dialect) -> _Rendered:
        # By dialect and driver: the placeholders are the driver's (qmark, pyformat).
        key = dialect.dialect_description
        found = self._rendered.get(key)
        if found is None:
            found = self._rendered[key] = _render(self.statement, dialect)
        return found

    def __call__(self, session: Session, **params: Any) -> list[AnyRow]:
        """The rows for `params`; an id list is given as a collection of ints."""
        connection = session.connection()
        rendered = self.rendered(connection.dialect)
        driver: Any = connection.connection.driver_connection
        values = rendered.constants | params
        if rendered.order is not None:  # SQLite
            for name in rendered.id_lists:
                values[name] = json.dumps(list(values[name]))
            fetched = driver.execute(rendered.sql, [values[n] for n in rendered.order]).fetchall()
        else:
            for name in rendered.id_lists:
                values[name] = list(values[name])
            with driver.cursor() as cursor:
                cursor.execute(rendered.sql, values)
                fetched = cursor.fetchall()
        return _rows(fetched, rendered)


def _rows(fetched: list[Any], rendered: _Rendered) -> list[AnyRow]:
    make = rendered.row
    if not rendered.converters:
        return [make(values) for values in fetched]
    rows = []
    for fetched_values in fetched:
        values = list(fetched_values)
        for index, convert in rendered.converters:
            if values[index] is not None:
                values[index] = convert(values[index])
        rows.append(make(values))
    return rows
