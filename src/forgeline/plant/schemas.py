"""Request and response models of the plant API (and of `forgeline plant show --json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forgeline.api.schemas import StrictModel
from forgeline.plant.queries import LineStations
from forgeline.plant.tables import PlantProduct, PlantRevision, PlantRouting


class RevisionOut(StrictModel):
    number: int
    name: str
    definition_version: str
    format_version: int
    content_sha256: str
    loaded_at: datetime
    loaded_by: str


class RevisionDetail(RevisionOut):
    """A revision with its parsed definition (the YAML's content as JSON)."""

    definition: dict[str, Any]


class LoadResultOut(StrictModel):
    revision: RevisionOut
    created: bool


class StationOut(StrictModel):
    code: str
    name: str
    station_type: str
    mode: str
    capacity: int
    ideal_cycle_s: float
    batch_size: int | None


class LineOut(StrictModel):
    code: str
    name: str
    stations: list[StationOut]


class AreaOut(StrictModel):
    code: str
    name: str
    lines: list[LineOut]


class SiteOut(StrictModel):
    """The ISA-95 equipment hierarchy: site > areas > lines > stations."""

    code: str
    name: str
    timezone: str
    country: str | None
    areas: list[AreaOut]


class ProductOut(StrictModel):
    code: str
    kind: str
    name: str
    customer_code: str
    gtin: str
    routing_code: str
    attributes: dict[str, Any]


class OperationOut(StrictModel):
    position: int
    code: str
    name: str
    station_type: str
    rework_only: bool
    measurements: list[str]
    stations: list[str]
    rework: list[dict[str, Any]]
    ideal_cycle_s: float | None
    expected_yield: float | None


class RoutingOut(StrictModel):
    code: str
    name: str
    product_kind: str
    operations: list[OperationOut]


class PlantSummary(StrictModel):
    revision: RevisionOut
    site: SiteOut
    products: list[ProductOut]
    routings: list[RoutingOut]


def revision_detail(revision: PlantRevision) -> RevisionDetail:
    return RevisionDetail(
        **RevisionOut.model_validate(revision).model_dump(), definition=revision.definition_json
    )


def plant_summary(
    revision: PlantRevision,
    lines: list[LineStations],
    products: list[PlantProduct],
    routings: list[PlantRouting],
) -> PlantSummary:
    """Areas built from the lines (which carry their area), in definition order."""
    areas: dict[str, AreaOut] = {}
    for entry in lines:
        area = areas.setdefault(
            entry.line.area_code,
            AreaOut(code=entry.line.area_code, name=entry.line.area_name, lines=[]),
        )
        area.lines.append(
            LineOut(
                code=entry.line.code,
                name=entry.line.name,
                stations=[StationOut.model_validate(s) for s in entry.stations],
            )
        )
    site = revision.definition.site
    return PlantSummary(
        revision=RevisionOut.model_validate(revision),
        site=SiteOut(
            code=site.code,
            name=site.name,
            timezone=site.timezone,
            country=site.country,
            areas=list(areas.values()),
        ),
        products=[ProductOut.model_validate(p) for p in products],
        routings=[RoutingOut.model_validate(r) for r in routings],
    )
