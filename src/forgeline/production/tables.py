"""Production records. `unit` is the current-state table: one lookup answers "may this proceed".

History is append-only: operation records, measurements, defects, equipment state changes and
the ingested events that produced them. Current state (a unit's status, position in its routing,
rework counts, hold count) is kept on the unit row so that a routing check is a single read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forgeline.db.base import Base, BigId, utcnow

CODE = 64


class WorkOrder(Base):
    """An order to make a quantity of one product for a brand customer, released to a line."""

    __tablename__ = "work_order"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    product_code: Mapped[str] = mapped_column(String(CODE))
    customer_code: Mapped[str] = mapped_column(String(CODE))
    quantity: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned/released/closed
    line_code: Mapped[str | None] = mapped_column(String(CODE))
    plant_revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]


class MaterialLot(Base):
    """A received lot: glass sheets, ink, coating material, PCBAs, batteries."""

    __tablename__ = "material_lot"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # glass_sheet/ink/coating/pcba/battery/other
    material: Mapped[str] = mapped_column(String(200), default="")
    supplier: Mapped[str] = mapped_column(String(200), default="")
    supplier_lot: Mapped[str] = mapped_column(String(CODE), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    hold_count: Mapped[int] = mapped_column(Integer, default=0)


class Carrier(Base):
    """A tray, rack or ion-exchange basket that moves many pieces at once."""

    __tablename__ = "carrier"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # tray/rack/basket
    capacity: Mapped[int] = mapped_column(Integer)
    hold_count: Mapped[int] = mapped_column(Integer, default=0)


class Bath(Base):
    """A molten-salt bath in an ion-exchange furnace: a consumable that ages and drifts."""

    __tablename__ = "bath"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    station_code: Mapped[str] = mapped_column(String(CODE), index=True)
    salt: Mapped[str] = mapped_column(String(60), default="KNO3")
    started_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    cycles: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    na_wt_pct: Mapped[float | None] = mapped_column(Float)
    ca_ppm: Mapped[float | None] = mapped_column(Float)
    mg_ppm: Mapped[float | None] = mapped_column(Float)
    hold_count: Mapped[int] = mapped_column(Integer, default=0)


class BathEvent(Base):
    """Chemistry analysis, top-up or replacement of a bath."""

    __tablename__ = "bath_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bath_id: Mapped[int] = mapped_column(ForeignKey("bath.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # analysis/top_up/replaced
    at: Mapped[datetime]
    values: Mapped[dict[str, Any]] = mapped_column(JSON)


class BatchRun(Base):
    """One cycle of batch equipment: an ion-exchange cycle, a cleaning or coating batch."""

    __tablename__ = "batch_run"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE), unique=True)
    station_code: Mapped[str] = mapped_column(String(CODE), index=True)
    operation_code: Mapped[str] = mapped_column(String(CODE))
    bath_id: Mapped[int | None] = mapped_column(ForeignKey("bath.id"), index=True)
    carriers: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. temperature profile
    hold_count: Mapped[int] = mapped_column(Integer, default=0)


class Unit(Base):
    """A serialized unit: a glass sheet, a glass piece (GS1 ID) or a handset (serial number)."""

    __tablename__ = "unit"
    __table_args__ = (
        Index("ix_unit_status_operation", "status", "next_operation"),
        Index("ix_unit_lot", "lot_id"),
        Index("ix_unit_parent", "parent_id"),
        Index("ix_unit_assembled_into", "assembled_into_id"),
        Index("ix_unit_work_order", "work_order_id"),
        # Holds on a carrier, and a carrier's contents, look units up by carrier.
        Index("ix_unit_carrier", "carrier_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # sheet/glass/handset
    product_code: Mapped[str] = mapped_column(String(CODE))
    routing_code: Mapped[str] = mapped_column(String(CODE))
    plant_revision: Mapped[int] = mapped_column(Integer)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("material_lot.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    assembled_into_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    # Routing state (see production.routing): where the unit is and what it may do next.
    status: Mapped[str] = mapped_column(String(12))  # waiting/in_process/failed/finished/...
    position: Mapped[int] = mapped_column(Integer, default=-1)  # index of last completed op
    next_operation: Mapped[str | None] = mapped_column(String(CODE))
    rework_target: Mapped[str | None] = mapped_column(String(CODE))
    rework_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    current_station: Mapped[str | None] = mapped_column(String(CODE))
    current_record_id: Mapped[int | None] = mapped_column(BigId)
    # The operation and batch run of current_record_id (in process, or the one just completed):
    # a measurement or defect reported after track-out is checked and linked without a join.
    current_operation: Mapped[str | None] = mapped_column(String(CODE))
    current_batch_run_id: Mapped[int | None] = mapped_column(BigId)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carrier.id"))
    hold_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OperationRecord(Base):
    """One visit of a unit to an operation: track-in, track-out, who, where, the outcome."""

    __tablename__ = "operation_record"
    __table_args__ = (
        # Covering: a unit's history is read from this index alone, one range of adjacent
        # entries, instead of one random table page per record (a 10 M-piece database is
        # bigger than memory, so those pages are disk reads).
        Index(
            "ix_operation_record_unit",
            *("unit_id", "track_in_at", "id", "operation_code", "station_code", "operator"),
            *("carrier_id", "batch_run_id", "track_out_at", "result", "rework_to", "visit"),
        ),
        Index("ix_operation_record_station_time", "station_code", "track_in_at"),
        Index("ix_operation_record_batch", "batch_run_id"),
        Index("ix_operation_record_operator", "operator", "track_in_at"),
        # OEE, yield and scrap reports count track-outs in a time window. Covering: they read
        # these columns only, so a window is one range of the index, never a table page per
        # record (and PostgreSQL can answer them with an index-only scan).
        Index(
            "ix_operation_record_track_out",
            *("track_out_at", "result", "visit", "station_code", "operation_code", "unit_id"),
            "id",
        ),
        # Forward trace from a carrier: the pieces that rode in it (trace.queries).
        Index("ix_operation_record_carrier", "carrier_id", "track_in_at"),
        # The scrap Pareto and the units list read scraps (a few in a hundred track-outs)
        # without the other records: partial, so it costs ingest nothing but the scraps, and
        # covering what they read (the id comes with every index entry). `result` leads so that
        # SQLite's planner, which has no statistics, sees an equality and prefers it.
        Index(
            "ix_operation_record_scrap",
            *("result", "track_out_at", "unit_id", "operation_code", "station_code"),
            *("scrap_defect", "scrap_origin"),
            sqlite_where=text("result = 'scrap'"),
            postgresql_where=text("result = 'scrap'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    operation_code: Mapped[str] = mapped_column(String(CODE))
    station_code: Mapped[str] = mapped_column(String(CODE))
    operator: Mapped[str] = mapped_column(String(CODE))
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carrier.id"))
    batch_run_id: Mapped[int | None] = mapped_column(ForeignKey("batch_run.id"))
    track_in_at: Mapped[datetime]
    track_out_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(8))  # pass/fail/rework/scrap
    rework_to: Mapped[str | None] = mapped_column(String(CODE))
    visit: Mapped[int] = mapped_column(Integer, default=1)  # 2nd visit of the op = 2
    # A scrap's primary defect code and its origin operation, as the scrap Pareto counts it
    # (`production.scrap`); NULL when there is none, and on every other record.
    scrap_defect: Mapped[str | None] = mapped_column(String(CODE))
    scrap_origin: Mapped[str | None] = mapped_column(String(CODE))


class Measurement(Base):
    __tablename__ = "measurement"
    __table_args__ = (
        # Covering, for the same reason as ix_operation_record_unit.
        Index(
            "ix_measurement_unit",
            *("unit_id", "measured_at", "id", "record_id", "operation_code", "station_code"),
            *("characteristic_code", "value", "lsl", "usl", "in_spec", "batch_run_id"),
        ),
        Index("ix_measurement_characteristic_time", "characteristic_code", "measured_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("operation_record.id"))
    operation_code: Mapped[str] = mapped_column(String(CODE))
    station_code: Mapped[str] = mapped_column(String(CODE))
    characteristic_code: Mapped[str] = mapped_column(String(CODE))
    value: Mapped[float] = mapped_column(Float)
    lsl: Mapped[float | None] = mapped_column(Float)
    usl: Mapped[float | None] = mapped_column(Float)
    in_spec: Mapped[bool]
    batch_run_id: Mapped[int | None] = mapped_column(ForeignKey("batch_run.id"))
    measured_at: Mapped[datetime]


class Defect(Base):
    __tablename__ = "defect"
    __table_args__ = (
        Index("ix_defect_unit", "unit_id"),
        Index("ix_defect_code_time", "defect_code", "found_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("operation_record.id"))
    defect_code: Mapped[str] = mapped_column(String(CODE))
    zone: Mapped[str | None] = mapped_column(String(4))
    x_mm: Mapped[float | None] = mapped_column(Float)
    y_mm: Mapped[float | None] = mapped_column(Float)
    size_mm: Mapped[float | None] = mapped_column(Float)
    origin_operation: Mapped[str | None] = mapped_column(String(CODE))
    station_code: Mapped[str] = mapped_column(String(CODE))
    found_at: Mapped[datetime]


class LotUse(Base):
    """A material lot consumed by a unit: the sheet lot of a blank, PCBA and battery lots..."""

    __tablename__ = "lot_use"
    __table_args__ = (Index("ix_lot_use_lot", "lot_id"), Index("ix_lot_use_unit", "unit_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("material_lot.id"))
    role: Mapped[str] = mapped_column(String(16))  # ink/coating/pcba/battery
    record_id: Mapped[int | None] = mapped_column(ForeignKey("operation_record.id"))
    at: Mapped[datetime]


class Hold(Base):
    """A hold on a unit, carrier, lot, bath, batch run, station or station time window."""

    __tablename__ = "hold"
    __table_args__ = (Index("ix_hold_target", "target_type", "target_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_code: Mapped[str] = mapped_column(String(80))
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime]
    released_by: Mapped[str | None] = mapped_column(String(200))
    released_at: Mapped[datetime | None]
    release_note: Mapped[str | None] = mapped_column(Text)


class HoldUnit(Base):
    """A unit caught by a hold (directly or through its carrier, lot, bath, batch or station)."""

    __tablename__ = "hold_unit"
    __table_args__ = (UniqueConstraint("hold_id", "unit_id"), Index("ix_hold_unit_unit", "unit_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("hold.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))


class EquipmentState(Base):
    """A SEMI E10 state change of a station; a state lasts until the next change."""

    __tablename__ = "equipment_state"
    __table_args__ = (Index("ix_equipment_state_station_time", "station_code", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    station_code: Mapped[str] = mapped_column(String(CODE))
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(CODE), default="")
    started_at: Mapped[datetime]


class IngestedEvent(Base):
    """Every accepted event, by its sender-chosen id: replays are answered, never re-applied."""

    __tablename__ = "ingested_event"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    body_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    sender: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
