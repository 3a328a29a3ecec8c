"""AOI in the plant: one row per inspection of a unit, and the defects it found.

An inspection comes from Forgeline's own detector (an image was posted: `image_digest` names the
file in the content-addressed store, `model_digest` the model that judged it) or from a
station's own vision system (no image, no model: the station's result was posted as JSON).
Either way the verdict is Forgeline's, from the plant's zone limits, and the defects also went
to production as defect events with the pass/fail track-out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forgeline.db.base import Base, BigId

CODE = 64


class InspectionResult(Base):
    __tablename__ = "inspection_result"
    __table_args__ = (
        Index("ix_inspection_result_unit", "unit_id"),
        Index("ix_inspection_result_station_time", "station_code", "inspected_at"),
        Index("ix_inspection_result_time", "inspected_at"),
        Index("ix_inspection_result_image", "image_digest"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    uid: Mapped[str] = mapped_column(String(80))
    station_code: Mapped[str] = mapped_column(String(CODE))
    inspected_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))  # image / station
    verdict: Mapped[str] = mapped_column(String(16))  # pass / reclean / reject
    track_out: Mapped[str] = mapped_column(String(16))  # pass / rework / fail, as sent
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The detector model's version and SHA-256; for a station result, its vision system's name.
    model_version: Mapped[str | None] = mapped_column(String(200))
    model_digest: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the image bytes as stored; null when the station sent its own result.
    image_digest: Mapped[str | None] = mapped_column(String(64))
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    # The glass in the frame (PieceGeometry JSON) when known: zone outlines on the page.
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outline_w_mm: Mapped[float] = mapped_column(Float)
    outline_h_mm: Mapped[float] = mapped_column(Float)
    timings_ms: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    submitted_by: Mapped[str] = mapped_column(String(200))


class InspectionDefect(Base):
    """One defect of an inspection: class, plant code, box (px, image results), size, place."""

    __tablename__ = "inspection_defect"
    __table_args__ = (Index("ix_inspection_defect_result", "result_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("inspection_result.id"))
    seq: Mapped[int] = mapped_column(Integer)
    defect_class: Mapped[str] = mapped_column(String(16))
    defect_code: Mapped[str] = mapped_column(String(CODE))
    zone: Mapped[str | None] = mapped_column(String(4))
    bbox: Mapped[list[int] | None] = mapped_column(JSON)  # [x0, y0, x1, y1] px
    area_px: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    length_mm: Mapped[float] = mapped_column(Float)
    width_mm: Mapped[float] = mapped_column(Float)
    diameter_mm: Mapped[float] = mapped_column(Float)
    # Centre of the defect on the glass, from the outline's top-left corner (x right, y down).
    x_mm: Mapped[float] = mapped_column(Float)
    y_mm: Mapped[float] = mapped_column(Float)
    violates: Mapped[bool] = mapped_column(Boolean, default=False)
