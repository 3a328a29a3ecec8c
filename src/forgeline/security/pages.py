"""The provisioning console: IMEI range use per model, licence pools, devices provisioned
today, failures with reasons, and certificate lookup by IMEI or serial."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError
from forgeline.security import console, ledger, licences
from forgeline.security.identity import find_identity
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("security.read"))]


@router.get("/provisioning", response_class=HTMLResponse)
def provisioning_page(
    request: Request,
    session: SessionDep,
    _principal: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    context: dict[str, object] = {
        "q": q.strip(),
        "found": None,
        "error": None,
        "ranges": [],
        "pools": [],
        "today": [],
        "failures": [],
    }
    try:
        context["ranges"] = ledger.range_usage(session)
    except DomainError as exc:  # no plant loaded yet: the page still answers
        context["error"] = exc
    context["pools"] = licences.pools_status(session)
    context["today"] = console.provisioned_today(session)
    context["failures"] = console.failures_today(session)
    status = 200
    if context["q"]:
        try:
            context["found"] = find_identity(session, q.strip())
        except DomainError as exc:
            context["error"], status = exc, exc.kind.http_status
    return render(request, "security/provisioning.html", context, status_code=status)
