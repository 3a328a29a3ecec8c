"""Work orders: the list with progress, one order's progress per operation, and release."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError
from forgeline.production.dashboard import current_catalog
from forgeline.production.masterdata import (
    get_work_order,
    list_work_orders,
    release_work_order,
    work_order_progress,
)
from forgeline.production.order_progress import delivered_counts, operation_progress
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("production.read"))]
Planner = Annotated[Principal, Depends(require("workorder.manage"))]
STATUSES = ("planned", "released", "closed")
PAGE_SIZE = 100


def _lines(session: SessionDep) -> list[tuple[str, str]]:
    catalog = current_catalog(session)
    if catalog is None:
        return []
    return [(line.code, line.name) for area in catalog.definition.areas for line in area.lines]


@router.get("/work-orders", response_class=HTMLResponse)
def work_orders_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    status: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    """Work orders by due date with how many of their units are in each state."""
    chosen = status if status in STATUSES else None
    orders, total = list_work_orders(session, status=chosen, limit=PAGE_SIZE)
    delivered = delivered_counts(session, [v.work_order.id for v in orders])
    return render(
        request,
        "production/work_orders.html",
        {
            "orders": orders,
            "delivered": delivered,
            "total": total,
            "status": chosen or "",
            "statuses": STATUSES,
            "lines": _lines(session),
            "principal": principal,
        },
    )


def _order_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    code: str,
    error: DomainError | None = None,
) -> HTMLResponse:
    order = get_work_order(session, code)
    progress = work_order_progress(session, [order.id]).get(order.id, {})
    return render(
        request,
        "production/work_order.html",
        {
            "order": order,
            "progress": progress,
            "operations": operation_progress(session, order),
            "lines": _lines(session),
            "error": error,
            "principal": principal,
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/work-orders/{code}", response_class=HTMLResponse)
def work_order_page(
    code: str, request: Request, session: SessionDep, principal: Reader
) -> HTMLResponse:
    """One order: its units by state and its progress through each operation."""
    return _order_page(request, session, principal, code)


@router.post("/work-orders/{code}/release")
def release_work_order_form(
    code: str,
    request: Request,
    session: SessionDep,
    principal: Planner,
    line_code: Annotated[str, Form(max_length=40)],
) -> Response:
    """Release a planned order to a line; back to the order, or the order with the refusal."""
    try:
        release_work_order(session, code, line_code=line_code, actor=principal.actor)
    except DomainError as exc:
        if exc.code == "workorder.not_found":
            raise
        return _order_page(request, session, principal, code, exc)
    return RedirectResponse(f"/work-orders/{quote(code, safe='')}?released=1", status_code=303)
