"""The in-memory picture of one ingest batch: the rows it touches and the writes it will make.

Events are applied to these objects, never to ORM instances: a batch loads the units, carriers,
lots and batch runs it names in a few queries, applies every event in memory, and writes what
changed in one bulk statement per table (`forgeline.production.ingest_store`). A handler checks
everything before it changes anything, so a rejected event leaves no trace here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from forgeline.auth.principal import Principal
from forgeline.production.catalog import PlantCatalog, StationInfo
from forgeline.production.routing import UnitState


@dataclass(slots=True)
class LiveUnit:
    id: int
    uid: str
    kind: str
    product_code: str
    routing_code: str
    plant_revision: int
    work_order_id: int | None
    lot_id: int | None
    parent_id: int | None
    assembled_into_id: int | None
    state: UnitState
    current_station: str | None
    current_operation: str | None
    current_record_id: int | None
    current_batch_run_id: int | None
    carrier_id: int | None
    hold_count: int
    created_at: datetime | None = None  # set for units created by this batch
    new: bool = False


@dataclass(slots=True)
class LiveCarrier:
    id: int
    code: str
    capacity: int
    hold_count: int
    units: set[int] = field(default_factory=set)


@dataclass(slots=True)
class LiveBatch:
    id: int
    code: str
    station_code: str
    operation_code: str
    bath_id: int | None
    ended: bool
    hold_count: int


@dataclass(frozen=True, slots=True)
class Coded:
    """A master-data row found by its code: a lot, a bath or a work order."""

    id: int
    code: str
    hold_count: int = 0
    detail: str = ""  # work order: product code; bath: station code; lot: kind


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    username: str
    disabled: bool


class IdPool:
    """Primary keys handed out before the rows are written, so events can refer to new rows.

    Filled by the store (`ingest_store.fill_pool`): on SQLite above max(id) under the batch's
    write lock, on PostgreSQL from the table's sequence; unused ids are simply gaps.
    """

    def __init__(self, table: str) -> None:
        self.table = table
        self.free: list[int] = []  # descending: pop() hands out the lowest
        self.high = 0  # the highest id ever reserved
        self.refill: Callable[[IdPool, int], None] | None = None

    def take(self) -> int:
        if not self.free:
            if self.refill is None:
                raise RuntimeError(f"no {self.table} ids reserved")
            self.refill(self, 256)
        return self.free.pop()


@dataclass
class Writes:
    """Rows to write when the batch (or the part before a hold) is flushed."""

    new_units: dict[int, LiveUnit] = field(default_factory=dict)
    changed_units: dict[int, LiveUnit] = field(default_factory=dict)
    new_records: dict[int, dict[str, Any]] = field(default_factory=dict)
    closed_records: dict[int, dict[str, Any]] = field(default_factory=dict)
    measurements: list[dict[str, Any]] = field(default_factory=list)
    defects: list[dict[str, Any]] = field(default_factory=list)
    equipment_states: list[dict[str, Any]] = field(default_factory=list)
    lot_uses: list[dict[str, Any]] = field(default_factory=list)
    new_batches: dict[int, dict[str, Any]] = field(default_factory=dict)
    ended_batches: dict[int, datetime] = field(default_factory=dict)
    ingested: list[dict[str, Any]] = field(default_factory=list)

    def touch(self, unit: LiveUnit) -> None:
        if not unit.new:
            self.changed_units[unit.id] = unit

    def pending(self) -> bool:
        return bool(
            self.new_units
            or self.changed_units
            or self.new_records
            or self.closed_records
            or self.measurements
            or self.defects
            or self.equipment_states
            or self.lot_uses
            or self.new_batches
            or self.ended_batches
            or self.ingested
        )


@dataclass
class BatchState:
    """Everything one batch has loaded, by the keys events use, and what it will write."""

    session: Session
    principal: Principal
    now: datetime
    current: PlantCatalog
    catalogs: dict[int, PlantCatalog]
    units: dict[str, LiveUnit] = field(default_factory=dict)
    units_by_id: dict[int, LiveUnit] = field(default_factory=dict)
    carriers: dict[str, LiveCarrier] = field(default_factory=dict)
    carriers_by_id: dict[int, LiveCarrier] = field(default_factory=dict)
    batches: dict[str, LiveBatch] = field(default_factory=dict)
    lots: dict[str, Coded] = field(default_factory=dict)
    baths: dict[str, Coded] = field(default_factory=dict)
    work_orders: dict[str, Coded] = field(default_factory=dict)
    operators: dict[str, Operator] = field(default_factory=dict)
    held_stations: set[str] = field(default_factory=set)
    # Sheets split this batch: (record id, operator, track-in time) of their open visit.
    split_records: dict[int, Any] = field(default_factory=dict)
    skills_ok: dict[tuple[int, tuple[str, ...], str], bool] = field(default_factory=dict)
    unit_ids: IdPool = field(default_factory=lambda: IdPool("unit"))
    record_ids: IdPool = field(default_factory=lambda: IdPool("operation_record"))
    batch_ids: IdPool = field(default_factory=lambda: IdPool("batch_run"))
    writes: Writes = field(default_factory=Writes)

    def catalog_of(self, unit: LiveUnit) -> PlantCatalog:
        return self.catalogs[unit.plant_revision]

    def add_unit(self, unit: LiveUnit) -> None:
        self.units[unit.uid] = unit
        self.units_by_id[unit.id] = unit
        self.writes.new_units[unit.id] = unit

    def station_for(self, unit: LiveUnit | None, code: str) -> StationInfo:
        """The station in the unit's plant revision (the current one for plant-wide events)."""
        catalog = self.current if unit is None else self.catalog_of(unit)
        return catalog.station(code)

    def open_record(
        self,
        unit: LiveUnit,
        operation: str,
        operator: str,
        at: datetime,
        batch_id: int | None,
        station: str | None = None,
    ) -> int:
        """Buffer a new operation record (a visit) for the unit; its id, for the unit row."""
        record_id = self.record_ids.take()
        # A rework loop into this operation makes the next visit the 2nd, 3rd...
        visit = 1 + sum(
            n for key, n in unit.state.rework_counts.items() if key.endswith(f">{operation}")
        )
        self.writes.new_records[record_id] = {
            "id": record_id,
            "unit_id": unit.id,
            "operation_code": operation,
            "station_code": station or unit.current_station or "",
            "operator": operator,
            "carrier_id": unit.carrier_id,
            "batch_run_id": batch_id,
            "track_in_at": at,
            "track_out_at": None,
            "result": None,
            "rework_to": None,
            "visit": visit,
        }
        return record_id

    def close_record(
        self, unit: LiveUnit, at: datetime, result: str, rework_to: str | None
    ) -> None:
        """Record the outcome on the unit's current visit, buffered or already stored."""
        if unit.current_record_id is None:
            return
        values = {"track_out_at": at, "result": result, "rework_to": rework_to}
        pending = self.writes.new_records.get(unit.current_record_id)
        if pending is not None:
            pending.update(values)
        else:
            self.writes.closed_records[unit.current_record_id] = values
