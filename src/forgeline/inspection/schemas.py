"""What an AOI station sends when its own vision system judged the piece, and what it gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from forgeline.api.schemas import StrictModel

DefectClass = Literal["scratch", "dig", "chip", "crack", "bubble", "stain", "dust"]
Size = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
Position = Annotated[float, Field(ge=-50, le=1000, allow_inf_nan=False)]
MAX_DEFECTS = 200


class StationDefect(StrictModel):
    cls: DefectClass = Field(alias="class")
    zone: Literal["A", "B", "C"]
    length_mm: Size = 0.0
    width_mm: Size = 0.0
    diameter_mm: Size = 0.0
    x_mm: Position = Field(description="centre, from the glass outline's left edge")
    y_mm: Position = Field(description="centre, from the glass outline's top edge")
    score: Annotated[float, Field(allow_inf_nan=False)] | None = None


class StationResultIn(StrictModel):
    """The defects the station's vision system found; Forgeline decides the verdict."""

    at: AwareDatetime | None = Field(None, description="when inspected; now if left out")
    vision_system: Annotated[str, StringConstraints(max_length=200)] | None = None
    defects: list[StationDefect] = Field(default_factory=list, max_length=MAX_DEFECTS)


class DefectOut(StrictModel):
    seq: int
    defect_class: str
    defect_code: str
    zone: str | None
    bbox: list[int] | None
    area_px: int | None
    score: float | None
    length_mm: float
    width_mm: float
    diameter_mm: float
    x_mm: float
    y_mm: float
    violates: bool


class ResultOut(StrictModel):
    id: int
    uid: str
    station_code: str
    inspected_at: datetime
    source: str
    verdict: str = Field(description="pass, reclean or reject")
    track_out: str = Field(description="the track-out sent to production: pass, rework or fail")
    reasons: list[str]
    model_version: str | None
    model_digest: str | None
    image_digest: str | None
    image_width: int | None
    image_height: int | None
    outline_w_mm: float
    outline_h_mm: float
    timings_ms: dict[str, float]
    submitted_by: str
    defects: list[DefectOut] = Field(default_factory=list)
