"""The ingest path's SQL: load a batch's rows in a few queries, write its changes in bulk.

Reads are one `IN (...)` query per kind of row (chunked below SQLite's parameter limit); writes
are one executemany per table, through Core statements rather than ORM objects (an ORM object
per row costs more than the rest of the event). On PostgreSQL the units are read `FOR UPDATE`,
so two batches that move the same unit take turns instead of overwriting each other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from uuid import UUID

from sqlalchemy import Table, func, literal, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forgeline.auth.tables import User
from forgeline.errors import conflict
from forgeline.production.bulk import insert_rows, update_rows
from forgeline.production.holds import HoldTarget
from forgeline.production.ingest_state import (
    BatchState,
    Coded,
    IdPool,
    LiveBatch,
    LiveCarrier,
    LiveUnit,
    Operator,
)
from forgeline.production.routing import UnitState
from forgeline.production.tables import (
    BatchRun,
    Bath,
    Carrier,
    EquipmentState,
    Hold,
    IngestedEvent,
    LotUse,
    MaterialLot,
    OperationRecord,
    Unit,
    WorkOrder,
)

T = TypeVar("T")
try:  # the driver's own error, raised by the bulk writes that bypass SQLAlchemy
    from psycopg import IntegrityError as _PgIntegrityError

    _DRIVER_INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
        sqlite3.IntegrityError,
        _PgIntegrityError,
    )
except ImportError:  # pragma: no cover - SQLite-only installs
    _DRIVER_INTEGRITY_ERRORS = (sqlite3.IntegrityError,)
_INTEGRITY_ERRORS: tuple[type[Exception], ...] = (IntegrityError, *_DRIVER_INTEGRITY_ERRORS)
_UNIT = cast(Table, Unit.__table__)
_RECORD = cast(Table, OperationRecord.__table__)
_BATCH = cast(Table, BatchRun.__table__)
_SQLITE_CHUNK = 900  # below SQLite's default limit of 999 bound parameters per statement
_PG_CHUNK = 10_000


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


def _chunks(session: Session, values: Iterable[T]) -> Iterator[list[T]]:
    size = _SQLITE_CHUNK if session.get_bind().dialect.name == "sqlite" else _PG_CHUNK
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored_events(session: Session, ids: Iterable[UUID]) -> dict[UUID, tuple[bytes, Any]]:
    """event_id -> (body hash, result) of the events already stored."""
    found: dict[UUID, tuple[bytes, Any]] = {}
    table = IngestedEvent.__table__
    for chunk in _chunks(session, set(ids)):
        rows = session.execute(
            select(table.c.event_id, table.c.body_hash, table.c.result).where(
                table.c.event_id.in_(chunk)
            )
        )
        for event_id, body_hash, result in rows:
            found[event_id] = (bytes(body_hash), result)
    return found


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
        station, operation, record, batch, carrier, holds,
    )  # fmt: skip


def load_units(session: Session, state: BatchState, uids: set[str]) -> None:
    """The named units, and every unit in a named carrier (a carrier event moves them all)."""
    lock = session.get_bind().dialect.name == "postgresql"
    queries = [Unit.uid.in_(chunk) for chunk in _chunks(session, uids)]
    carrier_ids = [c.id for c in state.carriers.values()]
    queries += [Unit.carrier_id.in_(chunk) for chunk in _chunks(session, carrier_ids)]
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
    for chunk in _chunks(session, refs.carriers):
        for cid, code, capacity, holds in session.execute(
            select(Carrier.id, Carrier.code, Carrier.capacity, Carrier.hold_count).where(
                Carrier.code.in_(chunk)
            )
        ):
            carrier = LiveCarrier(cid, code, capacity, holds)
            state.carriers[code] = state.carriers_by_id[cid] = carrier
    for chunk in _chunks(session, refs.batches):
        for row in session.execute(
            select(
                BatchRun.id,
                BatchRun.code,
                BatchRun.station_code,
                BatchRun.operation_code,
                BatchRun.bath_id,
                BatchRun.ended_at.is_not(None),
                BatchRun.hold_count,
            ).where(BatchRun.code.in_(chunk))
        ):
            state.batches[row[1]] = LiveBatch(*row)
    _load_coded(session, state.lots, MaterialLot, MaterialLot.kind, refs.lots)
    _load_coded(session, state.baths, Bath, Bath.station_code, refs.baths)
    _load_coded(session, state.work_orders, WorkOrder, WorkOrder.product_code, refs.work_orders)
    for chunk in _chunks(session, refs.operators):
        for uid, username, badge, disabled in session.execute(
            select(User.id, User.username, User.badge, User.disabled).where(
                User.username.in_(chunk) | User.badge.in_(chunk)
            )
        ):
            operator = Operator(uid, username, disabled)
            state.operators[username] = operator
            if badge:
                state.operators[badge] = operator
    state.held_stations = set(
        session.scalars(
            select(Hold.target_code).where(
                Hold.target_type == HoldTarget.STATION.value,
                Hold.window_start.is_(None),
                Hold.released_at.is_(None),
            )
        )
    )


def _load_coded(
    session: Session, into: dict[str, Coded], model: Any, detail: Any, codes: set[str]
) -> None:
    holds = model.hold_count if hasattr(model, "hold_count") else literal(0)
    for chunk in _chunks(session, codes):
        query = select(model.id, model.code, holds, detail).where(model.code.in_(chunk))
        for row_id, code, hold_count, info in session.execute(query):
            into[code] = Coded(row_id, code, int(hold_count or 0), str(info))


def split_parent_records(session: Session, record_ids: Iterable[int]) -> dict[int, Any]:
    """Operator and track-in time of sheets' open records: their pieces inherit the visit."""
    found: dict[int, Any] = {}
    for chunk in _chunks(session, set(record_ids)):
        for row in session.execute(
            select(OperationRecord.id, OperationRecord.operator, OperationRecord.track_in_at).where(
                OperationRecord.id.in_(chunk)
            )
        ):
            found[row[0]] = row
    return found


def fill_pool(session: Session, pool: IdPool, count: int) -> None:
    """Reserve `count` more primary keys for rows this batch will insert."""
    if count <= 0:
        return
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                text(f"SELECT nextval(pg_get_serial_sequence('{pool.table}', 'id')) "  # noqa: S608
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


_UNIT_STATE_COLUMNS = (
    *("status", "position", "next_operation", "rework_target", "rework_counts"),
    *("current_station", "current_operation", "current_record_id", "current_batch_run_id"),
    *("carrier_id", "assembled_into_id", "updated_at"),
)


def _unit_row(state: BatchState, unit: LiveUnit) -> dict[str, Any]:
    row = unit.state.to_columns(state.catalog_of(unit).routes[unit.routing_code])
    row.update(
        current_station=unit.current_station,
        current_operation=unit.current_operation,
        current_record_id=unit.current_record_id,
        current_batch_run_id=unit.current_batch_run_id,
        carrier_id=unit.carrier_id,
        assembled_into_id=unit.assembled_into_id,
        updated_at=state.now,
    )
    return row


_RECORD_COLUMNS = (
    *("id", "unit_id", "operation_code", "station_code", "operator", "carrier_id"),
    *("batch_run_id", "track_in_at", "track_out_at", "result", "rework_to", "visit"),
)
_UNIT_NEW_COLUMNS = (
    *("id", "uid", "kind", "product_code", "routing_code", "plant_revision", "work_order_id"),
    *("lot_id", "parent_id", "hold_count", "created_at"),
    *_UNIT_STATE_COLUMNS,
)
_MEASUREMENT_COLUMNS = (
    *("unit_id", "record_id", "operation_code", "station_code", "characteristic_code"),
    *("value", "lsl", "usl", "in_spec", "batch_run_id", "measured_at"),
)
_DEFECT_COLUMNS = (
    *("unit_id", "record_id", "defect_code", "zone", "x_mm", "y_mm", "size_mm"),
    *("origin_operation", "station_code", "found_at"),
)
_INGESTED_COLUMNS = ("event_id", "kind", "body_hash", "sender", "received_at", "result")


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
        insert_rows(session, "operation_record", _RECORD_COLUMNS, list(w.new_records.values()))
        update_rows(
            session,
            "operation_record",
            ("track_out_at", "result", "rework_to"),
            [{"id": rid, **values} for rid, values in w.closed_records.items()],
        )
        update_rows(
            session,
            "unit",
            _UNIT_STATE_COLUMNS,
            [{"id": u.id, **_unit_row(state, u)} for u in w.changed_units.values()],
        )
        update_rows(
            session,
            "batch_run",
            ("ended_at",),
            [{"id": bid, "ended_at": at} for bid, at in w.ended_batches.items()],
        )
        insert_rows(session, "measurement", _MEASUREMENT_COLUMNS, w.measurements)
        insert_rows(session, "defect", _DEFECT_COLUMNS, w.defects)
        if w.lot_uses:
            session.execute(_table(LotUse).insert(), w.lot_uses)
        if w.equipment_states:
            session.execute(_table(EquipmentState).insert(), w.equipment_states)
        insert_rows(session, "ingested_event", _INGESTED_COLUMNS, w.ingested)
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


def _new_unit_rows(state: BatchState) -> list[dict[str, Any]]:
    w, rows = state.writes, []
    for unit in w.new_units.values():
        row = _unit_row(state, unit)
        row.update(
            id=unit.id,
            uid=unit.uid,
            kind=unit.kind,
            product_code=unit.product_code,
            routing_code=unit.routing_code,
            plant_revision=unit.plant_revision,
            work_order_id=unit.work_order_id,
            lot_id=unit.lot_id,
            parent_id=unit.parent_id,
            hold_count=unit.hold_count,
            created_at=unit.created_at,
        )
        if unit.assembled_into_id is not None:
            # The handset may be inserted after this piece: link the two in the UPDATE.
            row["assembled_into_id"] = None
            w.changed_units[unit.id] = unit
        rows.append(row)
        unit.new = False
    return rows


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _unique_violation(exc: Exception) -> bool:
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)  # psycopg
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(orig)
