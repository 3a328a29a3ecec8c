"""The plant's page, /plant (the overview at / is production's).

It shows the current plant-definition revision, read-only; changes go through
`forgeline plant load` or the API, which validate and audit them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.plant.definition import Line, PlantDefinition, StationSpec
from forgeline.plant.service import find_current_revision
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
PlantReader = Annotated[Principal, Depends(require("plant.read"))]


@dataclass(frozen=True)
class PlantView:
    """What the plant templates show: the definition plus the revision's bookkeeping."""

    plant: PlantDefinition
    revision_number: int
    loaded_at: datetime | None
    loaded_by: str | None
    specs: dict[str, StationSpec]  # station code -> resolved capacity, cycle time, batch size
    customers: dict[str, str]  # customer code -> name

    @property
    def line_count(self) -> int:
        return sum(len(area.lines) for area in self.plant.areas)

    @staticmethod
    def station_types_in(line: Line) -> list[tuple[str, int]]:
        """(station type, how many) in the order the line first uses each type."""
        return list(Counter(station.type for station in line.stations).items())


def current_plant_view(session: Session) -> PlantView | None:
    """The current revision ready for a template, or None when no plant has been loaded."""
    revision = find_current_revision(session)
    if revision is None:
        return None
    plant = revision.definition
    return PlantView(
        plant=plant,
        revision_number=revision.number,
        loaded_at=revision.loaded_at,
        loaded_by=revision.loaded_by,
        specs={spec.code: spec for spec in plant.station_specs()},
        customers={customer.code: customer.name for customer in plant.customers},
    )


@router.get("/plant", response_class=HTMLResponse)
def plant_page(request: Request, session: SessionDep, principal: PlantReader) -> HTMLResponse:
    """The loaded plant definition: site, equipment, products, routings, quality master data."""
    return render(
        request, "plant/index.html", {"view": current_plant_view(session), "principal": principal}
    )
