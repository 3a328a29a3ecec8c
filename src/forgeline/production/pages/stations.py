"""/stations: every station by line with its state now, each opening its operator screen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.production.dashboard import current_catalog, lines_now
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("production.read"))]


@router.get("/stations", response_class=HTMLResponse)
def stations_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """Pick a station to work at."""
    catalog = current_catalog(session)
    lines = lines_now(session, catalog) if catalog else []
    return render(request, "production/stations.html", {"lines": lines, "principal": principal})
