"""The whole plant definition, and look-ups other domains use to read it.

A `PlantDefinition` is immutable once parsed. The look-ups raise `DomainError` with NOT_FOUND
codes so callers can pass a code straight from a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import Field

from forgeline.errors import not_found
from forgeline.plant.definition.process import (
    Characteristic,
    CoverGlass,
    Customer,
    DefectCode,
    Handset,
    InspectionZone,
    Limits,
    Products,
    Routing,
)
from forgeline.plant.definition.site import Area, Line, Site, Skill, Station, StationType
from forgeline.plant.definition.types import DefinitionModel, Description, Name, StationMode

FORMAT_VERSION = 1


@dataclass(frozen=True)
class StationSpec:
    """A station with its type's defaults applied: what the simulator and OEE need."""

    code: str
    name: str
    area: str
    line: str
    station_type: str
    mode: StationMode
    capacity: int
    ideal_cycle_s: float
    batch_size: int | None
    skills: tuple[str, ...]
    mtbf_h: float | None
    mttr_h: float | None


class PlantDefinition(DefinitionModel):
    format_version: int = Field(description="schema version of this document format")
    name: Name
    version: str = Field(min_length=1, max_length=60, description="the author's own version")
    description: Description = ""
    site: Site
    skills: list[Skill] = Field(default_factory=list)
    station_types: list[StationType] = Field(min_length=1)
    areas: list[Area] = Field(min_length=1)
    customers: list[Customer] = Field(default_factory=list)
    zones: list[InspectionZone] = Field(default_factory=list)
    characteristics: list[Characteristic] = Field(default_factory=list)
    defect_codes: list[DefectCode] = Field(default_factory=list)
    routings: list[Routing] = Field(min_length=1)
    products: Products = Field(default_factory=Products)

    def placed_stations(self) -> Iterator[tuple[Area, Line, Station]]:
        for area in self.areas:
            for line in area.lines:
                for station in line.stations:
                    yield area, line, station

    def station_type(self, code: str) -> StationType:
        for station_type in self.station_types:
            if station_type.code == code:
                return station_type
        raise not_found(
            "plant.unknown_station_type", f"no station type {code!r}", station_type=code
        )

    def station_specs(self) -> list[StationSpec]:
        return [self._spec(a, ln, s) for a, ln, s in self.placed_stations()]

    def station_spec(self, code: str) -> StationSpec:
        for area, line, station in self.placed_stations():
            if station.code == code:
                return self._spec(area, line, station)
        raise not_found("plant.unknown_station", f"no station {code!r}", station=code)

    def _spec(self, area: Area, line: Line, station: Station) -> StationSpec:
        kind = self.station_type(station.type)
        return StationSpec(
            code=station.code,
            name=station.name,
            area=area.code,
            line=line.code,
            station_type=kind.code,
            mode=kind.mode,
            capacity=station.capacity or kind.capacity,
            ideal_cycle_s=station.ideal_cycle_s or kind.ideal_cycle_s,
            batch_size=station.batch_size or kind.batch_size,
            skills=tuple(kind.skills),
            mtbf_h=kind.mtbf_h,
            mttr_h=kind.mttr_h,
        )

    def characteristic(self, code: str) -> Characteristic:
        for characteristic in self.characteristics:
            if characteristic.code == code:
                return characteristic
        raise not_found(
            "plant.unknown_characteristic", f"no characteristic {code!r}", characteristic=code
        )

    def routing(self, code: str) -> Routing:
        for routing in self.routings:
            if routing.code == code:
                return routing
        raise not_found("plant.unknown_routing", f"no routing {code!r}", routing=code)

    def all_products(self) -> list[CoverGlass | Handset]:
        return [*self.products.cover_glass, *self.products.handsets]

    def product(self, code: str) -> CoverGlass | Handset:
        for product in self.all_products():
            if product.code == code:
                return product
        raise not_found("plant.unknown_product", f"no product {code!r}", product=code)

    def handset_for_tac(self, tac: str) -> Handset:
        for handset in self.products.handsets:
            if tac in handset.tacs:
                return handset
        raise not_found("plant.unknown_tac", f"no handset model has TAC {tac!r}", tac=tac)

    def defect_code(self, code: str) -> DefectCode:
        for defect in self.defect_codes:
            if defect.code == code:
                return defect
        raise not_found("plant.unknown_defect_code", f"no defect code {code!r}", defect_code=code)

    def limits_for(self, characteristic: str, product: str | None = None) -> Limits:
        """The limits that apply: the product's override when it has one, else the default."""
        base = self.characteristic(characteristic)
        if product is not None:
            override = self.product(product).limits.get(characteristic)
            if override is not None:
                return override
        return Limits(lsl=base.lsl, target=base.target, usl=base.usl)
