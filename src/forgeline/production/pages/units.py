"""The units behind a figure: every chart, WIP row and count on the production pages links here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import invalid
from forgeline.production.order_progress import UNIT_LIST_LIMIT, UnitFilter, list_units
from forgeline.production.performance import plant_stations
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("production.read"))]
Code = Annotated[str | None, Query(max_length=80)]


@router.get("/units", response_class=HTMLResponse)
def units_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    status: Code = None,
    next_operation: Code = None,
    product: Code = None,
    routing: Code = None,
    work_order: Code = None,
    operation: Code = None,
    station: Code = None,
    station_type: Code = None,
    result: Code = None,
    not_passed: bool = False,
    first_visit: bool = False,
    defect: Code = None,
    origin: Code = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> HTMLResponse:
    """Units matching the filters in the address, newest first."""
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise invalid("units.naive_time", "since and until need a time zone")
    types: tuple[str, ...] = ()
    if station_type:
        types = tuple(
            code for code, s in plant_stations(session).items() if s.station_type == station_type
        ) or ("",)
    where = UnitFilter(
        status, next_operation, product, routing, work_order, operation, station, types,
        result, not_passed, first_visit, defect, origin, since, until,
    )  # fmt: skip
    units, more = list_units(session, where)
    filters = {
        "status": status, "waiting for": next_operation, "product": product,
        "routing": routing, "work order": work_order, "operation": operation,
        "station": station, "station type": station_type, "result": result,
        "not passed": "yes" if not_passed else None, "first visit": "yes" if first_visit else None,
        "defect": defect, "origin": origin,
        "from": since.isoformat(timespec="minutes") if since else None,
        "before": until.isoformat(timespec="minutes") if until else None,
    }  # fmt: skip
    return render(
        request,
        "production/units.html",
        {
            "units": units,
            "more": more,
            "limit": UNIT_LIST_LIMIT,
            "filters": {k: v for k, v in filters.items() if v},
            "principal": principal,
        },
    )
