"""The navigation: one entry per area of the plant, as data.

A domain that ships its pages flips its entry to ``ready=True`` (and nothing else changes here).
Ready entries are shown to a viewer whose roles allow the entry's action. Entries still to come
are shown, disabled and marked "coming", to every signed-in viewer: their actions do not exist
in the permission table yet, so there is nothing to check, and a visible roadmap beats links
that 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class Viewer(Protocol):
    """Whoever looks at a page. Auth's Principal satisfies this; the shell needs no more."""

    @property
    def name(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def roles(self) -> Iterable[object]: ...

    def can(self, action: str) -> bool: ...


@dataclass(frozen=True)
class NavEntry:
    """One link in the sidebar."""

    label: str
    path: str
    action: str  # the permission action ("plant.read") a viewer needs to see a ready entry
    ready: bool

    def is_current(self, request_path: str) -> bool:
        """True when the request is on this entry's page or below it ("/" only matches itself)."""
        if self.path == "/":
            return request_path == "/"
        return request_path == self.path or request_path.startswith(self.path + "/")


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("Overview", "/", "production.read", ready=True),
    NavEntry("Plant", "/plant", "plant.read", ready=True),
    NavEntry("Work orders", "/work-orders", "production.read", ready=True),
    NavEntry("Stations", "/stations", "production.read", ready=True),
    NavEntry("Holds", "/holds", "production.read", ready=True),
    NavEntry("Yield and scrap", "/yield", "production.read", ready=True),
    NavEntry("Trace", "/trace", "trace.read", ready=True),
    NavEntry("Quality / SPC", "/quality", "quality.read", ready=True),
    NavEntry("NCR / 8D", "/quality/ncr", "quality.read", ready=True),
    NavEntry("Inspection", "/inspection", "inspection.read", ready=True),
    NavEntry("Provisioning", "/provisioning", "security.read", ready=True),
    NavEntry("Logistics", "/logistics", "logistics.read", ready=False),
    NavEntry("Service", "/service", "service.read", ready=False),
    NavEntry("Audit", "/audit", "audit.read", ready=True),
    NavEntry("Admin", "/admin", "user.read", ready=True),
)


def visible_entries(
    viewer: Viewer | None, entries: Iterable[NavEntry] = NAVIGATION
) -> list[NavEntry]:
    """The entries to show this viewer, in order; nothing at all to someone not signed in."""
    if viewer is None:
        return []
    return [entry for entry in entries if not entry.ready or viewer.can(entry.action)]
