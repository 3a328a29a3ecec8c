"""Live SPC in the plant: a chart per characteristic and context, its limits, points and alarms.

A chart exists for each combination of context values the plant definition names for a
characteristic (``spc.contexts``: e.g. furnace, bath and product for compressive stress). Points
are subgroups of consecutive measurements in that context. Limits are versioned and never
overwritten: a recalculation adds a version with its reason and author. Alarms record the rule
broken, the points involved, who acknowledged them with which cause and action, and the holds
they placed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forgeline.db.base import Base, BigId

CODE = 64


class SpcChart(Base):
    """One monitored chart: a characteristic in one context."""

    __tablename__ = "spc_chart"
    __table_args__ = (UniqueConstraint("characteristic_code", "context_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    characteristic_code: Mapped[str] = mapped_column(String(CODE))
    # "bath=BATH-01;ion_exchange=IOX-01;product=CG-A1": the context values in a stable order.
    context_key: Mapped[str] = mapped_column(String(400))
    context: Mapped[dict[str, str]] = mapped_column(JSON)
    chart_type: Mapped[str] = mapped_column(String(16))  # xbar-r / i-mr
    subgroup_size: Mapped[int] = mapped_column(Integer)
    hold_on_violation: Mapped[bool] = mapped_column(Boolean)
    # collecting (no limits yet) / in_control / out_of_control (an alarm is open)
    status: Mapped[str] = mapped_column(String(16))
    limits_id: Mapped[int | None] = mapped_column(BigId)  # current version, when limits exist
    complete_points: Mapped[int] = mapped_column(Integer, default=0)
    last_good_seq: Mapped[int | None] = mapped_column(Integer)  # last point breaking no rule
    last_point_at: Mapped[datetime | None]
    # Why the chart has no limits yet when it has enough points (e.g. the data do not vary).
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class SpcLimits(Base):
    """A version of a chart's control limits: estimated from which points, why and by whom."""

    __tablename__ = "spc_limits"
    __table_args__ = (UniqueConstraint("chart_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chart_id: Mapped[int] = mapped_column(ForeignKey("spc_chart.id"))
    version: Mapped[int] = mapped_column(Integer)
    center: Mapped[float] = mapped_column(Float)
    lcl: Mapped[float] = mapped_column(Float)
    ucl: Mapped[float] = mapped_column(Float)
    spread_center: Mapped[float] = mapped_column(Float)  # R-bar or MR-bar
    spread_lcl: Mapped[float] = mapped_column(Float)
    spread_ucl: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    frozen: Mapped[dict[str, Any]] = mapped_column(JSON)  # the SPC engine's Limits.to_dict()
    from_seq: Mapped[int] = mapped_column(Integer)
    to_seq: Mapped[int] = mapped_column(Integer)
    excluded: Mapped[list[int]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime]


class SpcPoint(Base):
    """A subgroup: consecutive measurements in the chart's context; complete at subgroup size."""

    __tablename__ = "spc_point"
    __table_args__ = (UniqueConstraint("chart_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chart_id: Mapped[int] = mapped_column(ForeignKey("spc_chart.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... in the order measurements arrived
    operation_code: Mapped[str] = mapped_column(String(CODE))  # where it was measured
    readings: Mapped[list[float]] = mapped_column(JSON)  # the measured values, in order
    unit_ids: Mapped[list[int]] = mapped_column(JSON)
    complete: Mapped[bool] = mapped_column(Boolean)
    mean: Mapped[float | None] = mapped_column(Float)
    spread: Mapped[float | None] = mapped_column(Float)  # range, or moving range for n = 1
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)  # rules broken at this point
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]


class SpcAlarm(Base):
    """A rule violation on a chart; open until a quality user acknowledges cause and action.

    While it is open, later violating points on the same chart join it (and extend its hold)
    instead of raising alarms of their own.
    """

    __tablename__ = "spc_alarm"
    __table_args__ = (Index("ix_spc_alarm_status", "status", "raised_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chart_id: Mapped[int] = mapped_column(ForeignKey("spc_chart.id"), index=True)
    characteristic_code: Mapped[str] = mapped_column(String(CODE))
    context: Mapped[dict[str, str]] = mapped_column(JSON)
    rules: Mapped[list[str]] = mapped_column(JSON)
    seqs: Mapped[list[int]] = mapped_column(JSON)  # the violating points
    last_good_seq: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # open / acknowledged
    raised_at: Mapped[datetime]
    hold_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    held_units: Mapped[int] = mapped_column(Integer, default=0)
    cause: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
