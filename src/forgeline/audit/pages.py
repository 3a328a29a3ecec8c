"""The audit log's page: entries with filters, the tree head, and the log's verification.

Verification recomputes the whole log, so the page loads it separately (htmx, on load) and
shows the entries at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.audit import queries
from forgeline.audit.checkpoint import SignedCheckpoint, current_head
from forgeline.audit.verify import verify
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import invalid
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("audit.read"))]
PAGE_SIZE = 50
Text = Annotated[str, Query(max_length=200)]


def _moment(text: str, name: str) -> datetime | None:
    """A filter field's time: empty means no bound; it must carry a time zone."""
    if not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid(
            "audit.bad_time", f"{name} {text!r} is not a time like 2026-05-01T06:00Z"
        ) from None
    if value.tzinfo is None:
        raise invalid("audit.naive_time", f"{name} needs a time zone, e.g. 2026-05-01T06:00Z")
    return value


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    action: Text = "",
    object_type: Text = "",
    object_id: Text = "",
    actor: Text = "",
    since: Text = "",
    until: Text = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Entries newest first, filtered; the tree head and the newest signed checkpoint."""
    where = queries.EntryFilter(
        action.strip() or None,
        object_type.strip() or None,
        object_id.strip() or None,
        actor.strip() or None,
        _moment(since, "since"),
        _moment(until, "until"),
    )
    entries, total = queries.list_entries(
        session, where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    latest = queries.latest_checkpoint(session)
    filters = {
        "action": action, "object_type": object_type, "object_id": object_id, "actor": actor,
        "since": since, "until": until,
    }  # fmt: skip
    return render(
        request,
        "audit/index.html",
        {
            "entries": entries,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": filters,
            "head": current_head(session),
            "checkpoint": SignedCheckpoint.from_row(latest) if latest else None,
            "principal": principal,
        },
    )


@router.get("/audit/verification", response_class=HTMLResponse)
def audit_verification(
    request: Request, session: SessionDep, settings: SettingsDep, principal: Reader
) -> HTMLResponse:
    """The whole log recomputed: intact, or the first problem found."""
    return render(
        request,
        "audit/_verification.html",
        {"report": verify(session, settings), "principal": principal},
    )
