"""The operator station screen, /station/<code>: scan, see what the route expects, finish.

Made for a 1280x800 touchscreen and a keyboard-wedge scanner: the scan field has the focus, a
scanner types the ID and Enter, and the answer replaces the panel under it (htmx) in green or
red. The signed-in person is the operator: the screen checks their skills for the station type
up front, and every event goes through production's ingest with them as the operator, so the
rules are those a station's own events meet.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.db.base import utcnow
from forgeline.production.station_desk import (
    RESULTS,
    Desk,
    Finished,
    Refusal,
    Visit,
    desk,
    visit_here,
)
from forgeline.production.station_desk import finish as finish_visit
from forgeline.production.station_desk import scan as scan_subject
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Operator = Annotated[Principal, Depends(require("events.ingest"))]
MEASUREMENT_PREFIX = "m_"


async def measurement_values(request: Request) -> dict[str, str]:
    """The form's m_<characteristic> fields (their names depend on the step)."""
    form = await request.form()
    return {
        key[len(MEASUREMENT_PREFIX) :]: value
        for key, value in form.items()
        if key.startswith(MEASUREMENT_PREFIX) and isinstance(value, str)
    }


Values = Annotated[dict[str, str], Depends(measurement_values)]


def _answer(
    request: Request,
    station: Desk,
    principal: Principal,
    *,
    visit: Visit | None = None,
    refusal: Refusal | None = None,
    finished: Finished | None = None,
    scanned: str = "",
) -> HTMLResponse:
    context = {
        "station": station,
        "visit": visit,
        "refusal": refusal,
        "finished": finished,
        "scanned": scanned,
        "results": RESULTS,
        "principal": principal,
    }
    # htmx swaps the panel only; a browser without script gets the whole screen back.
    template = "production/_station_panel.html"
    if request.headers.get("HX-Request") != "true":
        template = "production/station.html"
    return render(request, template, context)


@router.get("/station/{code}", response_class=HTMLResponse)
def station_page(
    code: str, request: Request, session: SessionDep, principal: Operator
) -> HTMLResponse:
    """The station's screen, ready for a scan."""
    station = desk(session, code, principal, utcnow().date())
    return _answer(request, station, principal)


@router.post("/station/{code}/scan", response_class=HTMLResponse)
def station_scan(
    code: str,
    request: Request,
    session: SessionDep,
    principal: Operator,
    scan: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Track the scanned unit or carrier in here; the refusal reason in red if the route says no."""
    station = desk(session, code, principal, utcnow().date())
    if not station.may_work:
        denied = Refusal("operator.unqualified", "you may not work at this station")
        return _answer(request, station, principal, refusal=denied, scanned=scan)
    visit, refusal = scan_subject(session, station, principal, scan)
    return _answer(request, station, principal, visit=visit, refusal=refusal, scanned=scan)


@router.post("/station/{code}/finish", response_class=HTMLResponse)
def station_finish(
    code: str,
    request: Request,
    session: SessionDep,
    principal: Operator,
    values: Values,
    subject: Annotated[str, Form(max_length=200)] = "",
    is_carrier: Annotated[bool, Form()] = False,
    operation: Annotated[str, Form(max_length=40)] = "",
    result: Annotated[str, Form(max_length=10)] = "",
    defect: Annotated[str, Form(max_length=40)] = "",
    token: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """End the visit: measurements, an optional defect and the result, all or nothing."""
    station = desk(session, code, principal, utcnow().date())
    finished, refusal = finish_visit(
        session, station, principal, subject=subject, is_carrier=is_carrier,
        operation=operation, result=result, values=values, defect=defect or None, token=token,
    )  # fmt: skip
    # Refused: the unit is still in process here, so the form comes back to try again.
    visit = visit_here(session, station, subject) if refusal and not is_carrier else None
    return _answer(request, station, principal, visit=visit, refusal=refusal, finished=finished)
