"""Where work happens (ISA-95 equipment hierarchy): site > areas > lines > stations.

A station type is the equipment class (ion_exchange, cnc); it carries the defaults that its
stations share (capacity, ideal cycle time, batch size) and the skills an operator needs.
A station may override the defaults; `PlantDefinition.station_spec` gives the resolved values.
"""

from __future__ import annotations

from pydantic import Field

from forgeline.plant.definition.types import (
    ClockTime,
    Code,
    DefinitionModel,
    Description,
    Name,
    PositiveSeconds,
    Slug,
    StationMode,
)


class Shift(DefinitionModel):
    """A shift of the plant calendar; OEE's planned time is hours less breaks."""

    code: Code
    name: Name
    start: ClockTime = Field(description="local start time, quoted 'HH:MM'")
    hours: float = Field(gt=0, le=24)
    break_minutes: float = Field(0, ge=0, description="planned breaks, excluded from OEE")


class Site(DefinitionModel):
    code: Code
    name: Name
    enterprise: Name | None = None
    country: Code | None = None
    timezone: str = Field("UTC", description="IANA zone name, e.g. Asia/Kolkata")
    working_days_per_year: int = Field(350, ge=1, le=366)
    shifts: list[Shift] = Field(min_length=1)


class Skill(DefinitionModel):
    """A qualification an operator holds; station types name the skills they need."""

    code: Slug
    name: Name
    recertify_months: int | None = Field(None, ge=1)


class StationType(DefinitionModel):
    """An equipment class. Batch types process `batch_size` pieces per cycle per slot."""

    code: Slug
    name: Name
    mode: StationMode = "piece"
    capacity: int = Field(1, gt=0, description="pieces (or batches) processed at once")
    ideal_cycle_s: PositiveSeconds = Field(
        description="piece mode: seconds per piece per slot; batch mode: seconds per batch"
    )
    batch_size: int | None = Field(None, gt=0, description="pieces per batch (batch mode)")
    bath: bool = Field(False, description="holds a chemical bath tracked as a consumable lot")
    skills: list[Slug] = Field(default_factory=list)
    mtbf_h: float | None = Field(
        None, gt=0, description="simulation hint: mean time between failures"
    )
    mttr_h: float | None = Field(None, gt=0, description="simulation hint: mean time to repair")
    description: Description = ""


class Station(DefinitionModel):
    """A work unit. Unset capacity, cycle time and batch size come from its station type."""

    code: Code
    name: Name
    type: Slug
    capacity: int | None = Field(None, gt=0)
    ideal_cycle_s: PositiveSeconds | None = None
    batch_size: int | None = Field(None, gt=0)


class Line(DefinitionModel):
    code: Code
    name: Name
    stations: list[Station] = Field(min_length=1)


class Area(DefinitionModel):
    code: Code
    name: Name
    lines: list[Line] = Field(min_length=1)
