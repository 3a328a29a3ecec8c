"""Quality records: nonconformance (NCR), 8D reports, sampling results, certificates.

An NCR and an 8D link the units they concern by row (`ncr_unit`, `eight_d_unit`), so a unit's
quality history is an index read. A certificate keeps the exact PDF it issued and the SHA-256 of
those bytes (also in the audit log), so a copy can be verified byte for byte.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forgeline.db.base import Base, BigId

CODE = 64
ACTOR = 200


class Ncr(Base):
    """A nonconformance record: what is wrong, with which units, and what material review decided.

    Status flow: open -> dispositioned -> closed. The disposition (use_as_is, rework, scrap,
    return_to_supplier) is decided once; `production_effect` records what it did to production
    (holds placed or released) and what production could not be asked to do.
    """

    __tablename__ = "ncr"
    __table_args__ = (Index("ix_ncr_status_opened", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(
        String(16)
    )  # measurement/alarm/inspection/field_return/manual
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # The SPC alarm the nonconformance came from (quality.monitor_tables).
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("spc_alarm.id"))
    measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurement.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("material_lot.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # open/dispositioned/closed
    disposition: Mapped[str | None] = mapped_column(String(24))
    disposition_note: Mapped[str | None] = mapped_column(Text)
    production_effect: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    opened_by: Mapped[str] = mapped_column(String(ACTOR))
    opened_at: Mapped[datetime]
    dispositioned_by: Mapped[str | None] = mapped_column(String(ACTOR))
    dispositioned_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(ACTOR))
    closed_at: Mapped[datetime | None]
    closure_note: Mapped[str | None] = mapped_column(Text)


class NcrUnit(Base):
    """A unit an NCR concerns, with the containment hold the NCR put on it (if any)."""

    __tablename__ = "ncr_unit"
    __table_args__ = (UniqueConstraint("ncr_id", "unit_id"), Index("ix_ncr_unit_unit", "unit_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ncr_id: Mapped[int] = mapped_column(ForeignKey("ncr.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("hold.id"))


class EightD(Base):
    """An 8D problem-solving report for a brand customer's complaint (D1 to D8)."""

    __tablename__ = "eight_d"
    __table_args__ = (Index("ix_eight_d_customer", "customer_code", "opened_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    customer_code: Mapped[str] = mapped_column(String(CODE))
    complaint_ref: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(16))  # open/closed
    d1_team: Mapped[str] = mapped_column(Text, default="")
    d2_problem: Mapped[str] = mapped_column(Text, default="")
    d3_containment: Mapped[str] = mapped_column(Text, default="")
    d4_root_cause: Mapped[str] = mapped_column(Text, default="")
    d5_corrective_action: Mapped[str] = mapped_column(Text, default="")
    d6_implementation: Mapped[str] = mapped_column(Text, default="")
    d7_prevention: Mapped[str] = mapped_column(Text, default="")
    d8_closure: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str] = mapped_column(String(ACTOR))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(String(ACTOR))
    closed_at: Mapped[datetime | None]


class EightDNcr(Base):
    __tablename__ = "eight_d_ncr"
    __table_args__ = (
        UniqueConstraint("eight_d_id", "ncr_id"),
        Index("ix_eight_d_ncr_ncr", "ncr_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    eight_d_id: Mapped[int] = mapped_column(ForeignKey("eight_d.id"))
    ncr_id: Mapped[int] = mapped_column(ForeignKey("ncr.id"))


class EightDUnit(Base):
    """A unit an 8D traces (the complained-about pieces or handsets)."""

    __tablename__ = "eight_d_unit"
    __table_args__ = (
        UniqueConstraint("eight_d_id", "unit_id"),
        Index("ix_eight_d_unit_unit", "unit_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    eight_d_id: Mapped[int] = mapped_column(ForeignKey("eight_d.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))


class SamplingResult(Base):
    """An ISO 2859-1 sampling inspection of a lot, batch run or work order, with its decision."""

    __tablename__ = "sampling_result"
    __table_args__ = (Index("ix_sampling_result_subject", "subject_type", "subject_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # lot/batch/work_order
    subject_code: Mapped[str] = mapped_column(String(80))
    test: Mapped[str] = mapped_column(String(CODE))  # e.g. ring-on-ring, CS/DOL
    characteristic_code: Mapped[str | None] = mapped_column(String(CODE))
    lot_size: Mapped[int] = mapped_column(Integer)
    inspection_level: Mapped[str] = mapped_column(String(4))
    aql: Mapped[str] = mapped_column(String(8))  # the standard's AQL as written, e.g. "0.65"
    code_letter: Mapped[str] = mapped_column(String(1))
    plan_letter: Mapped[str] = mapped_column(String(1))
    sample_size: Mapped[int] = mapped_column(Integer)
    accept_number: Mapped[int] = mapped_column(Integer)
    reject_number: Mapped[int] = mapped_column(Integer)
    nonconforming: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(8))  # accept/reject
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(ACTOR))
    recorded_at: Mapped[datetime]


class Certificate(Base):
    """A certificate of conformance issued to a brand customer for a set of units.

    `sha256` is the hash of `pdf` exactly as issued; the same hash is in the audit log entry
    `certificate.issued`, so a copy of the PDF verifies against both.
    """

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_code: Mapped[str] = mapped_column(String(CODE))
    product_code: Mapped[str] = mapped_column(String(CODE))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    scope: Mapped[dict[str, Any]] = mapped_column(JSON)  # how the units were chosen
    unit_count: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the PDF states, as data
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    issued_by: Mapped[str] = mapped_column(String(ACTOR))
    issued_at: Mapped[datetime]


class CertificateUnit(Base):
    __tablename__ = "certificate_unit"
    __table_args__ = (
        UniqueConstraint("certificate_id", "unit_id"),
        Index("ix_certificate_unit_unit", "unit_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
