"""Stored plant revisions, and the normalized rows other domains join against.

A revision is immutable: loading a changed definition adds a revision with its own rows, so work
that started under revision 3 still finds revision 3's routing and limits. Rows carry the
revision number; the codes people use (IOX-01, CS, CG-STD) are unique within a revision.
What later code looks up by code is a column; the rest stays in JSON (and in the revision's
parsed definition).
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forgeline.db.base import Base, utcnow
from forgeline.plant.definition import PlantDefinition

_REVISION_FK = "plant_revision.number"


class PlantRevision(Base):
    """One loaded definition: its text exactly as given, and its parsed form."""

    __tablename__ = "plant_revision"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    definition_version: Mapped[str] = mapped_column(String(60))
    format_version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw_text: Mapped[str] = mapped_column(Text)
    definition_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(200))

    @cached_property
    def definition(self) -> PlantDefinition:
        """The parsed definition (validated when it was loaded, so no cross-checks again)."""
        return PlantDefinition.model_validate(self.definition_json)


class PlantStationType(Base):
    __tablename__ = "plant_station_type"
    __table_args__ = (UniqueConstraint("revision", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(10))
    skills: Mapped[list[str]] = mapped_column(JSON)


class PlantLine(Base):
    __tablename__ = "plant_line"
    __table_args__ = (UniqueConstraint("revision", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(40))
    area_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)


class PlantStation(Base):
    """A station with its type's defaults resolved (capacity, ideal cycle, batch size)."""

    __tablename__ = "plant_station"
    __table_args__ = (UniqueConstraint("revision", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    line_code: Mapped[str] = mapped_column(String(40))
    station_type: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10))
    capacity: Mapped[int] = mapped_column(Integer)
    ideal_cycle_s: Mapped[float] = mapped_column(Float)
    batch_size: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class PlantProduct(Base):
    """A cover-glass SKU or handset model; kind-specific fields are in `attributes`."""

    __tablename__ = "plant_product"
    __table_args__ = (UniqueConstraint("revision", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    customer_code: Mapped[str] = mapped_column(String(40))
    gtin: Mapped[str] = mapped_column(String(14), index=True)
    routing_code: Mapped[str] = mapped_column(String(40))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)


class PlantTac(Base):
    """Which handset model owns a TAC: IMEI allocation and RMA intake look up by TAC."""

    __tablename__ = "plant_tac"
    __table_args__ = (UniqueConstraint("revision", "tac"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    tac: Mapped[str] = mapped_column(String(8))
    product_code: Mapped[str] = mapped_column(String(40))
    dual_sim: Mapped[bool] = mapped_column(Boolean)


class PlantCharacteristic(Base):
    __tablename__ = "plant_characteristic"
    __table_args__ = (UniqueConstraint("revision", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    lsl: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    usl: Mapped[float | None] = mapped_column(Float)
    critical: Mapped[bool] = mapped_column(Boolean)
    hold_on_violation: Mapped[bool] = mapped_column(Boolean)
    sampling: Mapped[dict[str, Any]] = mapped_column(JSON)
    spc: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PlantDefectCode(Base):
    __tablename__ = "plant_defect_code"
    __table_args__ = (UniqueConstraint("revision", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    cleanable: Mapped[bool] = mapped_column(Boolean)
    zones: Mapped[list[str]] = mapped_column(JSON)
    zone_limits: Mapped[dict[str, Any]] = mapped_column(JSON)


class PlantRouting(Base):
    __tablename__ = "plant_routing"
    __table_args__ = (UniqueConstraint("revision", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(ForeignKey(_REVISION_FK), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    product_kind: Mapped[str] = mapped_column(String(20))
    operations: Mapped[list[PlantOperation]] = relationship(
        order_by="PlantOperation.position", back_populates="routing", lazy="selectin"
    )


class PlantOperation(Base):
    """One step of a routing, at `position` (0-based) in the routing's order."""

    __tablename__ = "plant_operation"
    __table_args__ = (UniqueConstraint("routing_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    routing_id: Mapped[int] = mapped_column(ForeignKey("plant_routing.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    station_type: Mapped[str] = mapped_column(String(40))
    rework_only: Mapped[bool] = mapped_column(Boolean)
    measurements: Mapped[list[str]] = mapped_column(JSON)
    stations: Mapped[list[str]] = mapped_column(JSON)
    rework: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    ideal_cycle_s: Mapped[float | None] = mapped_column(Float)
    expected_yield: Mapped[float | None] = mapped_column(Float)
    routing: Mapped[PlantRouting] = relationship(back_populates="operations")
