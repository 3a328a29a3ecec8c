"""The ingest path's SQL: load a batch's rows in a few queries, write its changes in bulk.

Reads are one query per kind of row, the codes bound as one parameter (`_any_of`); writes are
one executemany or COPY per table, through the driver rather than ORM objects or Core
statements (an ORM object per row costs more than the rest of the event). On PostgreSQL the
units are read `FOR UPDATE`, so two batches that move the same unit take turns instead of
overwriting each other.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Table,
    any_,
    bindparam,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forgeline.auth.service import skill_expiries
from forgeline.auth.tables import User
from forgeline.errors import conflict
from forgeline.production import scrap, tallies
from forgeline.production.baths import age_baths
from forgeline.production.bulk import DriverValue, insert_rows, update_rows
from forgeline.production.holds import held_stations
from forgeline.production.ingest_state import (
    DEFECT_COLUMNS,
    EQUIPMENT_STATE_COLUMNS,
    INGESTED_COLUMNS,
    LOT_USE_COLUMNS,
    MEASUREMENT_COLUMNS,
    RECORD_COLUMNS,
    BatchState,
    Coded,
    IdPool,
    LiveBatch,
    LiveCarrier,
    LiveUnit,
    Operator,
)
from forgeline.production.routing import UnitState, next_operation
from forgeline.production.tables import (
    BatchRun,
    Bath,
    Carrier,
    MaterialLot,
    OperationRecord,
    Unit,
    WorkOrder,
)

try:  # the driver's own error, raised by the bulk writes that bypass SQLAlchemy
    from psycopg import IntegrityError as _PgIntegrityError

    _DRIVER_INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
        sqlite3.IntegrityError,
        _PgIntegrityError,
    )
except ImportError:  # pragma: no cover - SQLite-only installs
    _DRIVER_INTEGRITY_ERRORS = (sqlite3.IntegrityError,)
_INTEGRITY_ERRORS: tuple[type[Exception], ...] = (IntegrityError, *_DRIVER_INTEGRITY_ERRORS)
_BATCH = cast(Table, BatchRun.__table__)


@dataclass
class Refs:
    """Every code a batch names, so each kind of row is read once."""

    uids: set[str] = field(default_factory=set)
    carriers: set[str] = field(default_factory=set)
    batches: set[str] = field(default_factory=set)
    lots: set[str] = field(default_factory=set)
    baths: set[str] = field(default_factory=set)
    work_orders: set[str] = field(default_factory=set)
    operators: set[str] = field(default_factory=set)
    split_parents: set[str] = field(default_factory=set)
    # Upper bounds of the rows the batch may create, to reserve their keys in one go.
    new_units: int = 0
    new_records: int = 0
    new_batches: int = 0
    split_children: int = 0  # pieces of split sheets: each may open a record of its own


def _any_of(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN (values)` with the values bound as one parameter, however many there are.

    An IN list binds a parameter per value: SQLAlchemy renders and binds each one, and SQLite
    needs a statement per 999. One JSON array read with json_each (SQLite) or one array with
    `= ANY` (PostgreSQL) is one small statement, compiled once and cached; both search the
    column's index for each value.
    """
    if session.get_bind().dialect.name == "postgresql":
        return cast(
            ColumnElement[bool],
            column == any_(bindparam(None, list(values), type_=ARRAY(column.type))),
        )
    each = func.json_each(bindparam(None, json.dumps(list(values)))).table_valued("value")
    return cast(ColumnElement[bool], column.in_(select(each.c.value)))


def stored_events(session: Session, ids: Iterable[UUID]) -> dict[UUID, tuple[bytes, Any]]:
    """event_id -> (body hash, result) of the events already stored."""
    wanted = set(ids)
    if not wanted:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # Through the driver, to bind the ids as one binary uuid[] (%b): psycopg writes 10,000
        # UUIDs' text form in Python, five times slower. It reads json into Python itself.
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(
                "SELECT event_id, body_hash, result FROM ingested_event WHERE event_id = ANY(%b)",
                (list(wanted),),
            )
            return {event_id: (bytes(digest), result) for event_id, digest, result in cursor}
    # SQLite compares the stored form, CHAR(32) hex, through the driver as on PostgreSQL. A join
    # probes the index once per id straight from json_each; `IN (SELECT ...)` first copies the
    # ids into a temporary b-tree (a third slower for 10,000 ids).
    driver = session.connection().connection.driver_connection
    rows = driver.execute(  # type: ignore[union-attr]
        "SELECT e.event_id, e.body_hash, e.result FROM json_each(?) AS wanted "
        "CROSS JOIN ingested_event AS e WHERE e.event_id = wanted.value",
        (json.dumps([event_id.hex for event_id in wanted]),),
    )
    return {
        UUID(hex=event_id): (bytes(digest), None if result is None else json.loads(result))
        for event_id, digest, result in rows
    }


_UNIT_COLUMNS = (
    Unit.id,
    Unit.uid,
    Unit.kind,
    Unit.product_code,
    Unit.routing_code,
    Unit.plant_revision,
    Unit.work_order_id,
    Unit.lot_id,
    Unit.parent_id,
    Unit.assembled_into_id,
    Unit.status,
    Unit.position,
    Unit.next_operation,
    Unit.rework_target,
    Unit.rework_counts,
    Unit.current_station,
    Unit.current_operation,
    Unit.current_record_id,
    Unit.current_batch_run_id,
    Unit.carrier_id,
    Unit.hold_count,
)


def _live_unit(row: Sequence[Any]) -> LiveUnit:
    (uid_id, uid, kind, product, routing, revision, wo, lot, parent, into) = row[:10]
    status, position, next_op, target, counts = row[10:15]
    station, operation, record, batch, carrier, holds = row[15:]
    state = UnitState.from_columns(status, position, next_op, target, counts, holds > 0)
    return LiveUnit(
        uid_id, uid, kind, product, routing, revision, wo, lot, parent, into, state,
        station, operation, record, batch, carrier, holds, stored_links=(carrier, into),
    )  # fmt: skip


def load_units(session: Session, state: BatchState, uids: set[str]) -> None:
    """The named units, and every unit in a named carrier (a carrier event moves them all)."""
    lock = session.get_bind().dialect.name == "postgresql"
    queries: list[ColumnElement[bool]] = []
    if uids:
        queries.append(_any_of(session, Unit.uid, uids))
    if state.carriers_by_id:
        queries.append(_any_of(session, Unit.carrier_id, list(state.carriers_by_id)))
    for where in queries:
        query = select(*_UNIT_COLUMNS).where(where)
        for row in session.execute(query.with_for_update() if lock else query):
            if row[0] not in state.units_by_id:
                unit = _live_unit(row)
                state.units[unit.uid] = state.units_by_id[unit.id] = unit
    for unit in state.units.values():
        carrier = state.carriers_by_id.get(unit.carrier_id or 0)
        if carrier is not None:
            carrier.units.add(unit.id)


def load_master_data(session: Session, state: BatchState, refs: Refs) -> None:
    """Carriers, batch runs, lots, baths, work orders, operators and station holds, by code."""
    if refs.carriers:
        for cid, code, capacity, holds in session.execute(
            select(Carrier.id, Carrier.code, Carrier.capacity, Carrier.hold_count).where(
                _any_of(session, Carrier.code, refs.carriers)
            )
        ):
            carrier = LiveCarrier(cid, code, capacity, holds)
            state.carriers[code] = state.carriers_by_id[cid] = carrier
    if refs.batches:
        for row in session.execute(
            select(
                BatchRun.id,
                BatchRun.code,
                BatchRun.station_code,
                BatchRun.operation_code,
                BatchRun.bath_id,
                BatchRun.ended_at.is_not(None),
                BatchRun.hold_count,
                BatchRun.started_at,
            ).where(_any_of(session, BatchRun.code, refs.batches))
        ):
            state.batches[row[1]] = LiveBatch(*row)
    _load_coded(session, state.lots, MaterialLot, MaterialLot.kind, refs.lots)
    _load_coded(session, state.baths, Bath, Bath.station_code, refs.baths)
    _load_coded(session, state.work_orders, WorkOrder, WorkOrder.product_code, refs.work_orders)
    if refs.operators:
        for uid, username, badge, disabled in session.execute(
            select(User.id, User.username, User.badge, User.disabled).where(
                _any_of(session, User.username, refs.operators)
                | _any_of(session, User.badge, refs.operators)
            )
        ):
            operator = Operator(uid, username, disabled)
            state.operators[username] = operator
            if badge:
                state.operators[badge] = operator
        state.skills = skill_expiries(session, {o.id for o in state.operators.values()})
    state.held_stations = held_stations(session)


def _load_coded(
    session: Session, into: dict[str, Coded], model: Any, detail: Any, codes: set[str]
) -> None:
    if not codes:
        return
    holds = model.hold_count if hasattr(model, "hold_count") else literal(0)
    query = select(model.id, model.code, holds, detail).where(_any_of(session, model.code, codes))
    for row_id, code, hold_count, info in session.execute(query):
        into[code] = Coded(row_id, code, int(hold_count or 0), str(info))


def split_parent_records(session: Session, record_ids: Iterable[int]) -> dict[int, Any]:
    """Operator and track-in time of sheets' open records: their pieces inherit the visit."""
    wanted = set(record_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(OperationRecord.id, OperationRecord.operator, OperationRecord.track_in_at).where(
            _any_of(session, OperationRecord.id, wanted)
        )
    )
    return {row[0]: row for row in rows}


def fill_pool(session: Session, pool: IdPool, count: int) -> None:
    """Reserve `count` more primary keys for rows this batch will insert."""
    if count <= 0:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One array value rather than a row per key: the keys come back in one message.
        ids = list(
            session.scalar(
                text(f"SELECT array_agg(nextval(pg_get_serial_sequence('{pool.table}', 'id'))) "  # noqa: S608
                     "FROM generate_series(1, :n)"),
                {"n": count},
            )
        )  # fmt: skip
    else:
        # SQLite: the batch holds the database write lock (BEGIN IMMEDIATE), so max(id) is ours;
        # ids reserved earlier in the batch may not be written yet, hence `high`.
        start = max(pool.high, _max_id(session, pool.table)) + 1
        ids = list(range(start, start + count))
    pool.high = max(pool.high, *ids)
    pool.free = sorted([*pool.free, *ids], reverse=True)


def _max_id(session: Session, table: str) -> int:
    tables: dict[str, Any] = {
        "unit": Unit,
        "operation_record": OperationRecord,
        "batch_run": BatchRun,
    }
    return int(session.scalar(select(func.coalesce(func.max(tables[table].id), 0))) or 0)


# What an event changes on a unit row. carrier_id and assembled_into_id are written only when
# they changed (`_LINK_COLUMNS`): setting an indexed foreign-key column, even to its own value,
# makes SQLite check the key and rewrite the index entry, which made a routine update of the
# routing state several times slower.
_UNIT_STATE_COLUMNS = (
    *("status", "position", "next_operation", "rework_target", "rework_counts"),
    *("current_station", "current_operation", "current_record_id", "current_batch_run_id"),
    "updated_at",
)
_LINK_COLUMNS = ("carrier_id", "assembled_into_id")
_UNIT_NEW_COLUMNS = (
    *("id", "uid", "kind", "product_code", "routing_code", "plant_revision", "work_order_id"),
    *("lot_id", "parent_id", "hold_count", "created_at"),
    *_UNIT_STATE_COLUMNS,
    *_LINK_COLUMNS,
)


def _unit_state_row(state: BatchState, unit: LiveUnit) -> tuple[DriverValue, ...]:
    """The unit's `_UNIT_STATE_COLUMNS`; the routing columns as `UnitState.to_columns` has them."""
    routed = unit.state
    route = state.catalog_of(unit).routes[unit.routing_code]
    counts = state.values.json(dict(routed.rework_counts)) if routed.rework_counts else "{}"
    return (
        routed.status.value, routed.position, next_operation(route, routed),
        routed.rework_target, counts,
        unit.current_station, unit.current_operation, unit.current_record_id,
        unit.current_batch_run_id, state.now_value,
    )  # fmt: skip


def flush(session: Session, state: BatchState) -> None:
    """Write every buffered change, parents before children, and empty the buffers."""
    w = state.writes
    if not w.pending():
        return
    # The ORM must not hold stale copies of rows written behind its back (holds read units).
    session.flush()
    try:
        if w.new_batches:
            session.execute(_BATCH.insert(), list(w.new_batches.values()))
        insert_rows(session, "unit", _UNIT_NEW_COLUMNS, _new_unit_rows(state))
        insert_rows(
            session,
            "operation_record",
            RECORD_COLUMNS,
            [r.values() for r in w.new_records.values()],
        )
        update_rows(
            session,
            "operation_record",
            ("track_out_at", "result", "rework_to"),
            [(*values, rid) for rid, values in w.closed_records.items()],
        )
        _update_units(session, state, w.changed_units.values())
        update_rows(
            session, "batch_run", ("ended_at",), [(at, bid) for bid, at in w.ended_batches.items()]
        )
        age_baths(session, w.bath_usage)
        insert_rows(session, "measurement", MEASUREMENT_COLUMNS, w.measurements)
        insert_rows(session, "defect", DEFECT_COLUMNS, w.defects)
        scrap.attribute(session, w.scrap_units)  # after the records and defects it reads
        insert_rows(session, "lot_use", LOT_USE_COLUMNS, w.lot_uses)
        insert_rows(session, "equipment_state", EQUIPMENT_STATE_COLUMNS, w.equipment_states)
        insert_rows(session, "ingested_event", INGESTED_COLUMNS, w.ingested)
        tallies.store(session, w.tallies)
    except _INTEGRITY_ERRORS as exc:
        if not _unique_violation(exc):
            raise
        # Only a concurrent batch can collide here (same event id or unit uid, committed first);
        # everything is rolled back and a resend is answered correctly (duplicates, or refusals).
        raise conflict(
            "events.concurrent_batch",
            "another batch wrote the same events or units at the same time; send the batch again",
            constraint=type(exc).__name__,
        ) from exc
    session.expire_all()
    state.writes = type(w)()


def _new_unit_rows(state: BatchState) -> list[tuple[DriverValue, ...]]:
    w, rows = state.writes, list[tuple[DriverValue, ...]]()
    for unit in w.new_units.values():
        # The handset may be inserted after this piece: link the two in the UPDATE.
        unit.stored_links = (unit.carrier_id, None)
        rows.append(
            (
                unit.id, unit.uid, unit.kind, unit.product_code, unit.routing_code,
                unit.plant_revision, unit.work_order_id, unit.lot_id, unit.parent_id,
                unit.hold_count, state.values.optional_time(unit.created_at),
                *_unit_state_row(state, unit), *unit.stored_links,
            )
        )  # fmt: skip
        if unit.assembled_into_id is not None:
            w.changed_units[unit.id] = unit
        unit.new = False
    return rows


def _update_units(session: Session, state: BatchState, units: Iterable[LiveUnit]) -> None:
    """Write changed units' state; their carrier and assembly links only where those moved."""
    plain: list[tuple[DriverValue, ...]] = []
    linked: list[tuple[DriverValue, ...]] = []
    for unit in units:
        links = (unit.carrier_id, unit.assembled_into_id)
        if links == unit.stored_links:
            plain.append((*_unit_state_row(state, unit), unit.id))
        else:
            linked.append((*_unit_state_row(state, unit), *links, unit.id))
            unit.stored_links = links
    update_rows(session, "unit", _UNIT_STATE_COLUMNS, plain)
    update_rows(session, "unit", (*_UNIT_STATE_COLUMNS, *_LINK_COLUMNS), linked)


def _unique_violation(exc: Exception) -> bool:
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)  # psycopg
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(orig)
