"""The trace page: one search box for any identifier; genealogy tree, timeline, recall list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError
from forgeline.trace.service import backward, forward, resolve
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
TraceReader = Annotated[Principal, Depends(require("trace.read"))]
# A forward trace of a bath or a lot can run to tens of thousands of pieces; the page lists the
# first ones and offers the full CSV.
PAGE_ROWS = 500


@router.get("/trace", response_class=HTMLResponse)
def trace_page(
    request: Request,
    session: SessionDep,
    _principal: TraceReader,
    q: Annotated[str, Query(max_length=200)] = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> HTMLResponse:
    """Backward history for a unit; forward (recall) list for anything else."""
    context: dict[str, object] = {
        "q": q.strip(),
        "since": since,
        "until": until,
        "subject": None,
        "history": None,
        "recall": None,
        "error": None,
        "page_rows": PAGE_ROWS,
    }
    if not context["q"]:
        return render(request, "trace/index.html", context)
    try:
        subject = resolve(session, q.strip())
        # The explicit "kind:code" form, so the second lookup cannot resolve differently.
        explicit = f"{subject.kind.value}:{subject.code}"
        context["subject"] = subject
        context["history"] = backward(session, explicit)
        context["recall"] = forward(session, explicit, since=since, until=until)
    except DomainError as exc:
        context["error"] = exc
        return render(request, "trace/index.html", context, status_code=exc.kind.http_status)
    return render(request, "trace/index.html", context)
