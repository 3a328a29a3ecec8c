"""Holds: what is held now and why, and release (the quality role only, with a note)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError
from forgeline.production import holds
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("production.read"))]
Releaser = Annotated[Principal, Depends(require("hold.release"))]
PAGE_SIZE = 100
UNITS_SHOWN = 20


def _holds_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    show: str,
    error: DomainError | None = None,
    released: int | None = None,
) -> HTMLResponse:
    active = {"open": True, "released": False}.get(show)
    rows, total = holds.active_holds(session, active=active, limit=PAGE_SIZE)
    units = {hold.id: holds.units_on_hold(session, hold.id, limit=UNITS_SHOWN) for hold, _ in rows}
    return render(
        request,
        "production/holds.html",
        {
            "rows": rows,
            "total": total,
            "units": units,
            "units_shown": UNITS_SHOWN,
            "show": show,
            "error": error,
            "released": released,
            "principal": principal,
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/holds", response_class=HTMLResponse)
def holds_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    show: Annotated[str, Query(pattern="^(open|released|all)$")] = "open",
    released: int | None = None,
) -> HTMLResponse:
    """Holds newest first, each with the units it caught."""
    return _holds_page(request, session, principal, show, released=released)


@router.post("/holds/{hold_id}/release")
def release_hold_form(
    hold_id: int,
    request: Request,
    session: SessionDep,
    principal: Releaser,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Release with a note; refusals (no note, released already) show on the holds page."""
    try:
        holds.release_hold(
            session, hold_id, actor=principal.actor, note=note, roles=principal.roles
        )
    except DomainError as exc:
        if exc.code == "hold.not_found":
            raise
        return _holds_page(request, session, principal, "open", error=exc)
    return RedirectResponse(f"/holds?released={hold_id}", status_code=303)
