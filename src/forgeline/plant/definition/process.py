"""What is made and how: customers, products, characteristics, defect codes and routings."""

from __future__ import annotations

from pydantic import Field

from forgeline.plant.definition.types import (
    Code,
    DefectCategory,
    DefinitionModel,
    Description,
    Fraction,
    Gtin,
    Name,
    PositiveSeconds,
    ProductKind,
    SamplingUnit,
    Severity,
    Slug,
    Tac,
    Territory,
    ZoneCode,
)


class Customer(DefinitionModel):
    code: Code
    name: Name


class Limits(DefinitionModel):
    """Specification limits; either side may be open (one-sided characteristics)."""

    lsl: float | None = None
    target: float | None = None
    usl: float | None = None


class Sampling(DefinitionModel):
    """How often a characteristic is measured: `size` pieces of every `every`-th unit."""

    per: SamplingUnit = "piece"
    size: int = Field(1, gt=0, description="pieces measured per sampled unit")
    every: int = Field(1, gt=0, description="sample one unit in this many")
    destructive: bool = False


class Spc(DefinitionModel):
    """Statistical process control for a characteristic.

    `contexts` name the dimensions a chart is kept per: station, line, product, customer, shift,
    bath, or a station type code (the station of that type the piece went through, e.g.
    ion_exchange for "per furnace").
    """

    contexts: list[str] = Field(min_length=1)
    subgroup_size: int = Field(1, ge=1, le=25)
    hold_on_violation: bool = False


class Characteristic(Limits):
    code: Code
    name: Name
    unit: str = Field(min_length=1, max_length=20)
    critical: bool = False
    sampling: Sampling = Field(default_factory=Sampling)
    spc: Spc | None = None
    description: Description = ""


class ZoneLimit(DefinitionModel):
    """What AOI and inspectors may accept in one zone; an absent bound is not checked."""

    max_count: int = Field(0, ge=0)
    max_length_mm: float | None = Field(None, ge=0)
    max_width_mm: float | None = Field(None, ge=0)
    max_diameter_mm: float | None = Field(None, ge=0)


class InspectionZone(DefinitionModel):
    code: ZoneCode
    name: Name
    description: Description = ""


class DefectCode(DefinitionModel):
    """A defect class. A zone listed without limits tolerates no occurrence at all."""

    code: Code
    name: Name
    category: DefectCategory
    severity: Severity = "major"
    cleanable: bool = Field(False, description="removable by cleaning; not a reject")
    zones: list[ZoneCode] = Field(default_factory=list)
    zone_limits: dict[ZoneCode, ZoneLimit] = Field(default_factory=dict)
    likely_origins: list[Code] = Field(default_factory=list, description="operation codes")


class CoverGlass(DefinitionModel):
    """A cover-glass SKU made for one brand customer."""

    code: Code
    name: Name
    customer: Code
    gtin: Gtin
    routing: Code
    glass: str = Field("aluminosilicate", min_length=1, max_length=60)
    thickness_mm: float = Field(gt=0, le=5)
    length_mm: float = Field(gt=0)
    width_mm: float = Field(gt=0)
    limits: dict[Code, Limits] = Field(
        default_factory=dict, description="per-SKU limits overriding the characteristic's"
    )


class Handset(DefinitionModel):
    """A handset model with its TAC pool(s), SIM count and licensed territories."""

    code: Code
    name: Name
    customer: Code
    gtin: Gtin
    routing: Code
    tacs: list[Tac] = Field(min_length=1)
    dual_sim: bool
    territories: list[Territory] = Field(min_length=1)
    cover_glass: Code | None = Field(None, description="the cover-glass SKU it is built with")
    limits: dict[Code, Limits] = Field(default_factory=dict)


class Products(DefinitionModel):
    cover_glass: list[CoverGlass] = Field(default_factory=list)
    handsets: list[Handset] = Field(default_factory=list)


class Rework(DefinitionModel):
    """An allowed loop back to an earlier (or the same) operation, at most `max_count` times."""

    to: Code
    max_count: int = Field(gt=0)
    defects: list[Code] = Field(default_factory=list, description="defect codes that trigger it")


class Operation(DefinitionModel):
    code: Code
    name: Name
    station_type: Slug
    stations: list[Code] = Field(
        default_factory=list, description="restrict to these stations; empty: any of the type"
    )
    measurements: list[Code] = Field(default_factory=list)
    rework: list[Rework] = Field(default_factory=list)
    rework_only: bool = Field(False, description="entered only through a rework loop")
    ideal_cycle_s: PositiveSeconds | None = None
    expected_yield: Fraction | None = Field(None, description="simulation hint")


class Routing(DefinitionModel):
    code: Code
    name: Name
    product_kind: ProductKind
    operations: list[Operation] = Field(min_length=1)
    description: Description = ""
