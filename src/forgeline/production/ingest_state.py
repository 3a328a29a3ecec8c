"""The in-memory picture of one ingest batch: the rows it touches and the writes it will make.

Events are applied to these objects, never to ORM instances: a batch loads the units, carriers,
lots and batch runs it names in a few queries, applies every event in memory, and writes what
changed in one bulk statement per table (`forgeline.production.ingest_store`). A handler checks
everything before it changes anything, so a rejected event leaves no trace here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.production.bulk import DriverValue, DriverValues, driver_values
from forgeline.production.catalog import PlantCatalog, StationInfo
from forgeline.production.observers import Observed
from forgeline.production.routing import Result, UnitState
from forgeline.production.tallies import TallyBuffer, last_steps


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
    # (carrier_id, assembled_into_id) as the database has them: the store updates those two
    # columns only when they changed, since writing them costs index and foreign-key work.
    stored_links: tuple[int | None, int | None] = (None, None)


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
    started_at: datetime


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


# Rows the batch inserts are plain tuples in their table's column order (below), with values in
# the driver's form (`DriverValues`), so the store hands them to the driver as they are
# (`forgeline.production.bulk`). Plain tuples rather than NamedTuples: a NamedTuple's
# constructor is a Python function call, and a batch builds some 15,000 of these rows.
Row = tuple[DriverValue, ...]
MEASUREMENT_COLUMNS = (
    *("unit_id", "record_id", "operation_code", "station_code", "characteristic_code", "value"),
    *("lsl", "usl", "in_spec", "batch_run_id", "measured_at"),
)
DEFECT_COLUMNS = (
    *("unit_id", "record_id", "defect_code", "zone", "x_mm", "y_mm", "size_mm"),
    *("origin_operation", "station_code", "found_at"),
)
LOT_USE_COLUMNS = ("unit_id", "lot_id", "role", "record_id", "at")
EQUIPMENT_STATE_COLUMNS = ("station_code", "state", "reason", "started_at")
# body_hash: `ingest.body_hash`; result: the event's result as JSON text.
INGESTED_COLUMNS = ("event_id", "kind", "body_hash", "sender", "received_at", "result")


def visit_number(unit: LiveUnit, operation: str) -> int:
    """Which visit of `operation` the unit's next (or current) record is: a rework loop into the
    operation makes the next visit the 2nd, 3rd... (the counts move only at track-out)."""
    if not unit.state.rework_counts:
        return 1
    into = f">{operation}"
    return 1 + sum(n for key, n in unit.state.rework_counts.items() if key.endswith(into))


@dataclass(slots=True)
class RecordRow:
    """A new operation record (a visit); a track-out later in the batch closes it in place."""

    id: int
    unit_id: int
    operation_code: str
    station_code: str
    operator: str
    carrier_id: int | None
    batch_run_id: int | None
    track_in_at: DriverValue
    track_out_at: DriverValue = None
    result: str | None = None
    rework_to: str | None = None
    visit: int = 1

    def values(self) -> tuple[DriverValue, ...]:
        """The row in `RECORD_COLUMNS` order."""
        return (
            self.id, self.unit_id, self.operation_code, self.station_code, self.operator,
            self.carrier_id, self.batch_run_id, self.track_in_at, self.track_out_at, self.result,
            self.rework_to, self.visit,
        )  # fmt: skip


RECORD_COLUMNS = tuple(f.name for f in fields(RecordRow))


@dataclass
class Writes:
    """Rows to write when the batch (or the part before a hold) is flushed."""

    new_units: dict[int, LiveUnit] = field(default_factory=dict)
    changed_units: dict[int, LiveUnit] = field(default_factory=dict)
    new_records: dict[int, RecordRow] = field(default_factory=dict)
    # Stored records closed by this batch: (track_out_at, result, rework_to) by record id.
    closed_records: dict[int, tuple[DriverValue, str, str | None]] = field(default_factory=dict)
    measurements: list[Row] = field(default_factory=list)  # MEASUREMENT_COLUMNS
    defects: list[Row] = field(default_factory=list)  # DEFECT_COLUMNS
    equipment_states: list[Row] = field(default_factory=list)  # EQUIPMENT_STATE_COLUMNS
    lot_uses: list[Row] = field(default_factory=list)  # LOT_USE_COLUMNS
    new_batches: dict[int, dict[str, Any]] = field(default_factory=dict)
    ended_batches: dict[int, DriverValue] = field(default_factory=dict)
    # bath id -> [cycles, hours] to add: the bath ages with every cycle run in it.
    bath_usage: dict[int, list[float]] = field(default_factory=dict)
    ingested: list[Row] = field(default_factory=list)  # INGESTED_COLUMNS
    tallies: TallyBuffer = field(default_factory=TallyBuffer)  # the track-outs, counted
    # Units scrapped, or given a defect once scrapped: their scrap's primary defect is worked
    # out again once the rows are written (`scrap.attribute`).
    scrap_units: set[int] = field(default_factory=set)

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
            or self.bath_usage
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
    skills: dict[int, dict[str, date]] = field(default_factory=dict)  # operators' expiries
    # Plant revision -> routing -> its last normal-path operation (passing it completes a unit).
    last_steps: dict[int, dict[str, str]] = field(default_factory=dict)
    # (operator id, skills a station needs, day) -> qualified: one check per combination.
    qualified: dict[tuple[int, tuple[str, ...], date], bool] = field(default_factory=dict)
    unit_ids: IdPool = field(default_factory=lambda: IdPool("unit"))
    record_ids: IdPool = field(default_factory=lambda: IdPool("operation_record"))
    batch_ids: IdPool = field(default_factory=lambda: IdPool("batch_run"))
    writes: Writes = field(default_factory=Writes)
    # Accepted measurements of monitored characteristics, for the observers after the flush.
    observed: list[Observed] = field(default_factory=list)
    values: DriverValues = field(init=False)
    now_value: DriverValue = field(init=False)  # `now` in the driver's form, made once
    sender: str = field(init=False)  # the principal's audit name, stored with each event
    own_station: str | None = field(init=False)  # a station sender may speak for it alone

    def __post_init__(self) -> None:
        self.values = driver_values(self.session)
        self.now_value = self.values.time(self.now)
        self.sender = self.principal.actor
        station = self.principal.kind is PrincipalKind.STATION
        self.own_station = self.principal.name if station else None

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
        at: DriverValue,
        batch_id: int | None,
        station: str | None = None,
    ) -> int:
        """Buffer a new operation record (a visit) for the unit; its id, for the unit row."""
        record_id = self.record_ids.take()
        self.writes.new_records[record_id] = RecordRow(
            record_id, unit.id, operation, station or unit.current_station or "", operator,
            unit.carrier_id, batch_id, at, visit=visit_number(unit, operation),
        )  # fmt: skip
        return record_id

    def close_record(
        self, unit: LiveUnit, at: datetime, result: str, rework_to: str | None
    ) -> None:
        """Record the outcome on the unit's current visit, buffered or already stored, and count
        it in the tallies. Called before the unit's routing state moves on."""
        if unit.current_record_id is None:
            return
        stored_at = self.values.time(at)
        pending = self.writes.new_records.get(unit.current_record_id)
        if pending is not None:
            pending.track_out_at, pending.result, pending.rework_to = stored_at, result, rework_to
            operation, station, visit = pending.operation_code, pending.station_code, pending.visit
        else:
            self.writes.closed_records[unit.current_record_id] = (stored_at, result, rework_to)
            operation = unit.state.in_operation or unit.current_operation or ""
            station, visit = unit.current_station or "", visit_number(unit, operation)
        if result == Result.SCRAP.value:
            self.writes.scrap_units.add(unit.id)
        finals = self.last_steps.get(unit.plant_revision)
        if finals is None:
            finals = self.last_steps[unit.plant_revision] = last_steps(self.catalog_of(unit))
        self.writes.tallies.add(
            at, self.current.definition.site.timezone, unit.routing_code, operation, station,
            result, visit == 1,
            finals.get(unit.routing_code) == operation, unit.work_order_id, unit.product_code,
        )  # fmt: skip
