"""Nonconformance pages: NCR list, form and detail (disposition, close); 8D list, form, detail.

Forms post here; a success answers with a redirect to the record (post/redirect/get), a refusal
shows the page again with the reason beside the form and the error's 4xx status. Each action runs
in a savepoint, so a refusal leaves nothing half written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError
from forgeline.quality import eightd, ncr
from forgeline.quality.certificate_pages import router as certificate_router
from forgeline.quality.ncr import Disposition, Source
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("quality.read"))]
Opener = Annotated[Principal, Depends(require("ncr.open"))]
Manager = Annotated[Principal, Depends(require("ncr.manage"))]
EightDManager = Annotated[Principal, Depends(require("eightd.manage"))]
LISTED = 100
Text = Annotated[str, Form(max_length=20_000)]


def _lines(text: str) -> list[str]:
    """Identifiers typed or scanned one per line (commas and spaces separate too)."""
    return [part for part in text.replace(",", " ").split() if part]


def _attempt(
    session: Session, action: Callable[[], str], on_error: Callable[[DomainError], Response]
) -> Response:
    try:
        with session.begin_nested():
            target = action()
    except DomainError as exc:
        return on_error(exc)
    return RedirectResponse(target, status_code=303)


def _ncr_list(
    request: Request, session: Session, *, status: str | None, error: DomainError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    rows, total = ncr.list_ncrs(session, status=status or None, limit=LISTED)
    return render(
        request,
        "quality/ncr_list.html",
        {
            "rows": rows,
            "total": total,
            "status": status or "",
            "sources": [s.value for s in Source],
            "error": error,
            "form": form or {},
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/quality/ncr", response_class=HTMLResponse)
def ncr_list(
    request: Request,
    session: SessionDep,
    _p: Reader,
    status: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    try:
        return _ncr_list(request, session, status=status)
    except DomainError as exc:
        return _ncr_list(request, session, status=None, error=exc)


@router.post("/quality/ncr")
def ncr_open(
    request: Request,
    session: SessionDep,
    principal: Opener,
    source: Annotated[str, Form(max_length=16)],
    title: Annotated[str, Form(max_length=200)],
    description: Text,
    units: Text = "",
    lot: Annotated[str, Form(max_length=64)] = "",
    contain: Annotated[str, Form(max_length=3)] = "",
    alarm_id: Annotated[int | None, Form()] = None,
) -> Response:
    form = {"source": source, "title": title, "description": description, "units": units,
            "lot": lot, "contain": contain}  # fmt: skip

    def action() -> str:
        row = ncr.open_ncr(
            session, source=source, title=title, description=description, actor=principal.actor,
            roles=principal.roles, units=_lines(units), lot=lot or None, contain=contain == "yes",
            alarm_id=alarm_id,
        )  # fmt: skip
        return f"/quality/ncr/{row.code}"

    return _attempt(
        session, action, lambda exc: _ncr_list(request, session, status=None, error=exc, form=form)
    )


def _ncr_detail(
    request: Request, session: Session, code: str, error: DomainError | None = None
) -> Response:
    row = ncr.get_ncr(session, code)
    return render(
        request,
        "quality/ncr_detail.html",
        {
            "ncr": row,
            "units": ncr.ncr_units(session, row.id),
            "dispositions": [d.value for d in Disposition],
            "reports": eightd.reports_for_ncr(session, row.id),
            "error": error,
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/quality/ncr/{code}", response_class=HTMLResponse)
def ncr_detail(request: Request, session: SessionDep, _p: Reader, code: str) -> Response:
    return _ncr_detail(request, session, code)


@router.post("/quality/ncr/{code}/disposition")
def ncr_disposition(
    request: Request,
    session: SessionDep,
    principal: Manager,
    code: str,
    disposition: Annotated[str, Form(max_length=24)],
    note: Text,
) -> Response:
    def action() -> str:
        ncr.disposition_ncr(
            session, code, disposition=disposition, note=note, actor=principal.actor,
            roles=principal.roles,
        )  # fmt: skip
        return f"/quality/ncr/{code}"

    return _attempt(session, action, lambda exc: _ncr_detail(request, session, code, exc))


@router.post("/quality/ncr/{code}/close")
def ncr_close(
    request: Request, session: SessionDep, principal: Manager, code: str, note: Text
) -> Response:
    def action() -> str:
        ncr.close_ncr(session, code, note=note, actor=principal.actor)
        return f"/quality/ncr/{code}"

    return _attempt(session, action, lambda exc: _ncr_detail(request, session, code, exc))


def _eight_d_list(
    request: Request, session: Session, error: DomainError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    rows, total = eightd.list_eight_ds(session, limit=LISTED)
    return render(
        request,
        "quality/eightd_list.html",
        {
            "rows": rows,
            "total": total,
            "customers": eightd.customer_codes(session),
            "disciplines": eightd.DISCIPLINES,
            "error": error,
            "form": form or {},
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/quality/8d", response_class=HTMLResponse)
def eight_d_list(request: Request, session: SessionDep, _p: Reader) -> Response:
    return _eight_d_list(request, session)


@router.post("/quality/8d")
def eight_d_open(
    request: Request,
    session: SessionDep,
    principal: EightDManager,
    title: Annotated[str, Form(max_length=200)],
    customer: Annotated[str, Form(max_length=64)],
    complaint_ref: Annotated[str, Form(max_length=80)] = "",
    d2_problem: Text = "",
    ncrs: Text = "",
    units: Text = "",
) -> Response:
    form = {"title": title, "customer": customer, "complaint_ref": complaint_ref,
            "d2_problem": d2_problem, "ncrs": ncrs, "units": units}  # fmt: skip

    def action() -> str:
        row = eightd.open_eight_d(
            session, title=title, customer=customer, complaint_ref=complaint_ref,
            disciplines={"d2_problem": d2_problem}, ncrs=_lines(ncrs), units=_lines(units),
            actor=principal.actor,
        )  # fmt: skip
        return f"/quality/8d/{row.code}"

    return _attempt(
        session, action, lambda exc: _eight_d_list(request, session, error=exc, form=form)
    )


def _eight_d_detail(
    request: Request, session: Session, code: str, error: DomainError | None = None
) -> Response:
    row = eightd.get_eight_d(session, code)
    ncrs, units = eightd.linked(session, row.id)
    return render(
        request,
        "quality/eightd_detail.html",
        {
            "report": row,
            "ncrs": ncrs,
            "units": units,
            "disciplines": eightd.DISCIPLINES,
            "error": error,
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/quality/8d/{code}", response_class=HTMLResponse)
def eight_d_detail(request: Request, session: SessionDep, _p: Reader, code: str) -> Response:
    return _eight_d_detail(request, session, code)


@router.post("/quality/8d/{code}")
async def eight_d_update(
    request: Request, session: SessionDep, principal: EightDManager, code: str
) -> Response:
    """Save the disciplines, link NCRs and units; `close=yes` closes the report."""
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name)
        return value[:20_000] if isinstance(value, str) else ""

    def action() -> str:
        eightd.update_eight_d(
            session, code, actor=principal.actor,
            disciplines={f: field(f) for f in eightd.DISCIPLINES if f in form},
            add_ncrs=_lines(field("add_ncrs")), add_units=_lines(field("add_units")),
            close=field("close") == "yes",
        )  # fmt: skip
        return f"/quality/8d/{code}"

    return _attempt(session, action, lambda exc: _eight_d_detail(request, session, code, exc))


router.include_router(certificate_router)
