"""Navigation: who sees which entries, and which entry is current."""

from __future__ import annotations

from forgeline.web.navigation import NAVIGATION, NavEntry, visible_entries
from tests.web.conftest import FakeViewer


def test_nobody_signed_in_sees_no_navigation() -> None:
    assert visible_entries(None) == []


def test_ready_entries_follow_permissions_and_coming_ones_show_to_everyone() -> None:
    viewer = FakeViewer(allowed=frozenset({"plant.read", "production.read"}))
    shown = {entry.label: entry for entry in visible_entries(viewer)}
    assert shown["Overview"].ready
    assert shown["Work orders"].ready
    assert shown["Plant"].ready
    assert "Admin" not in shown  # ready, but needs user.read
    assert "Trace" not in shown  # ready, but needs trace.read
    assert "Inspection" not in shown  # ready, but needs inspection.read
    assert not shown["Logistics"].ready  # coming: shown disabled to any signed-in viewer


def test_admin_entry_appears_with_its_permission() -> None:
    viewer = FakeViewer(allowed=frozenset({"plant.read", "user.read"}))
    assert "Admin" in {entry.label for entry in visible_entries(viewer)}


def test_entries_have_unique_local_paths() -> None:
    paths = [entry.path for entry in NAVIGATION]
    assert len(paths) == len(set(paths))
    assert all(path.startswith("/") for path in paths)


def test_current_entry_matches_its_subpages_but_overview_only_itself() -> None:
    plant = NavEntry("Plant", "/plant", "plant.read", ready=True)
    overview = NavEntry("Overview", "/", "plant.read", ready=True)
    assert plant.is_current("/plant")
    assert plant.is_current("/plant/routings")
    assert not plant.is_current("/plants")
    assert overview.is_current("/")
    assert not overview.is_current("/plant")
