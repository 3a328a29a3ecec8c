"""The plant overview at "/": station states, WIP, output against plan, OEE, yield, holds.

The page embeds the live part, which htmx re-fetches from /overview/live every few seconds, so
the screen on the shop-floor wall stays current without reloading. Later domains add their own
sections (quality: open alarms) with `add_overview_panel`; a panel whose context function
answers None shows nothing, so an empty alarm list takes no room.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.production.dashboard import plant_overview
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("production.read"))]
REFRESH_SECONDS = 15


@dataclass(frozen=True)
class OverviewPanel:
    """A section another domain adds to the overview's live part."""

    name: str
    template: str  # rendered with the panel's context merged into the page's
    context: Callable[[Session], Mapping[str, Any] | None]  # None: nothing to show now


_PANELS: dict[str, OverviewPanel] = {}


def add_overview_panel(panel: OverviewPanel) -> None:
    """Register (or replace, by name) a section of the overview."""
    _PANELS[panel.name] = panel


def panels_to_show(session: Session) -> list[tuple[str, Mapping[str, Any]]]:
    shown = []
    for panel in _PANELS.values():
        context = panel.context(session)
        if context is not None:
            shown.append((panel.template, context))
    return shown


def _context(session: Session) -> dict[str, object]:
    return {
        "view": plant_overview(session),
        "panels": panels_to_show(session),
        "refresh_seconds": REFRESH_SECONDS,
    }


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """The plant at a glance."""
    return render(
        request, "production/overview.html", {**_context(session), "principal": principal}
    )


@router.get("/overview/live", response_class=HTMLResponse)
def overview_live(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """The overview's live part alone, for htmx polling."""
    return render(
        request, "production/_overview_live.html", {**_context(session), "principal": principal}
    )
