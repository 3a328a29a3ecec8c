"""The first walk through the app in a real browser: sign in, overview, plant page, sign out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, save_screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_sign_in_see_the_plant_and_sign_out(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    # Anonymous: the overview sends the browser to the sign-in page, remembering where it was.
    page.goto("/")
    expect(page).to_have_url(live_server.url("/login?next=/"))
    expect(page.get_by_role("heading", name="Sign in to Forgeline")).to_be_visible()
    save_screenshot(page, "smoke_1_login")

    sign_in(page, live_server, live_server.admin_username, live_server.admin_password)
    expect(page).to_have_url(live_server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sriperumbudur")
    expect(page.locator(".station-tile").first).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Ada Admin")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    save_screenshot(page, "smoke_2_overview")

    nav.get_by_role("link", name="Plant").click()
    expect(page).to_have_url(live_server.url("/plant"))
    expect(nav.get_by_role("link", name="Plant")).to_have_attribute("aria-current", "page")
    equipment = page.locator("#equipment")
    expect(equipment.get_by_role("heading", level=3).first).to_be_visible()
    first_line = equipment.locator("details.fold").first
    expect(first_line.locator("summary")).to_contain_text("Line")
    first_line.locator("summary").click()  # a line unfolds into its stations
    expect(first_line.locator("tbody tr").first).to_be_visible()
    routings = page.locator("#routings")
    expect(routings.locator("table").first).to_be_visible()
    expect(routings.locator("tbody tr").first).to_contain_text("1")
    expect(page.locator("#characteristics table")).to_be_visible()
    save_screenshot(page, "smoke_3_plant")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server.url("/login"))
    # Signed out means signed out: the plant page asks for sign-in again.
    page.goto("/plant")
    expect(page).to_have_url(live_server.url("/login?next=/plant"))


def test_unknown_page_shows_the_error_page(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    response = page.goto("/no-such-page")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the overview")).to_be_visible()


def test_plant_page_reads_well_on_a_phone(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/plant")
    sign_in(page, live_server, live_server.admin_username, live_server.admin_password)
    expect(page).to_have_url(live_server.url("/plant"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The page itself must not scroll sideways; wide tables scroll inside their own box.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
