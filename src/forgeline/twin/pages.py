"""The capacity plan page: equipment per station group and ramp year for the loaded plant.

The analytic plan (utilisation from cycle times, availability and yields) answers at once; the
simulated confirmation runs the twin on a slice of each year's plant and takes about half a
minute, so the page runs it only when asked (``confirm=1``), as `forgeline plan capacity` does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError, invalid
from forgeline.plant.service import current_revision
from forgeline.twin.plan import CapacityPlan, parse_ramp, plan
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("plant.read"))]
DEFAULT_RAMP = "0.3,0.6,0.9,1.0,2.0"
MAX_NAMEPLATE = 1_000_000_000
# A plan is a pure function of the plant revision and the question: computed once (0.2-0.3 s
# analytic, ~30 s confirmed) and kept for this process; a new revision has a new key.
_PLANS: dict[tuple[str, int, tuple[float, ...], bool], CapacityPlan] = {}
_MAX_PLANS = 32


def _plan(session: SessionDep, nameplate: int, shares: list[float], confirm: bool) -> CapacityPlan:
    revision = current_revision(session)
    key = (revision.content_sha256, nameplate, tuple(shares), confirm)
    found = _PLANS.get(key)
    if found is None:
        found = plan(revision.definition, nameplate, shares, confirm=confirm)
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = found
    return found


def needed_figure(result: CapacityPlan) -> dict[str, Any]:
    """Stations needed per group (a bar per year) against the stations placed now."""
    groups = [g.key for g in result.years[0].groups]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": f"year {y.year} ({y.share:g}x)",
            "x": groups,
            "y": [next(g.needed for g in y.groups if g.key == k) for k in groups],
        }
        for y in result.years
    ]
    data.append(
        {
            "type": "scatter", "mode": "markers", "name": "placed now", "x": groups,
            "y": [g.placed for g in result.years[0].groups],
            "marker": {"symbol": "line-ew-open", "size": 22, "color": "#111827"},
        }
    )  # fmt: skip
    return {
        "data": data,
        "layout": {
            "barmode": "group", "height": 420, "margin": {"l": 50, "r": 20, "t": 30, "b": 120},
            "yaxis": {"title": {"text": "stations needed"}}, "legend": {"orientation": "h"},
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }  # fmt: skip


@router.get("/plant/capacity", response_class=HTMLResponse)
def capacity_page(
    request: Request,
    session: SessionDep,
    _: Reader,
    nameplate: Annotated[int, Query(ge=1, le=MAX_NAMEPLATE)] = 30_000_000,
    ramp: Annotated[str, Query(max_length=200)] = DEFAULT_RAMP,
    confirm: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """The ramp plan for the loaded plant definition; `confirm` adds the simulated check."""
    error: DomainError | None = None
    result: CapacityPlan | None = None
    try:
        shares = parse_ramp(ramp)
        if not shares:
            raise invalid("plan.ramp_invalid", "give the ramp as shares of nameplate: 0.3,0.6,1")
        result = _plan(session, nameplate, shares, confirm)
    except DomainError as exc:
        error = exc
    return render(
        request,
        "twin/capacity.html",
        {
            "result": result,
            "nameplate": nameplate,
            "ramp": ramp,
            "confirm": confirm,
            "error": error,
            "figures": {"needed": needed_figure(result)} if result else {},
        },
        status_code=error.kind.http_status if error else 200,
    )
