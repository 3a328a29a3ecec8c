"""The plant's pages in a real browser, against the history in `plant_history`.

Tests share one server, so each works on its own units: the operator scans pieces waiting for
POLISH, the hold test releases the one open hold, the alarm test acknowledges the one SPC alarm,
the planner releases the planned order.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, save_screenshot, sign_in
from tests.e2e.plant_history import (
    HANDSET,
    HELD,
    OPERATOR,
    PASSWORD,
    PIECES,
    PLANNED_ORDER,
    PLANNER,
    QUALITY,
    WAITING,
)

pytestmark = pytest.mark.e2e


def _sign_in_at(page: Any, server: LiveServer, path: str, username: str, password: str) -> None:
    page.goto(path)
    sign_in(page, server, username, password)


def _refused(
    page: Any, server: LiveServer, path: str, form: dict[str, str], permission: str
) -> None:
    """Sending the form anyway, with a valid session and CSRF token, is refused: 403 naming the
    permission the signed-in role lacks."""
    csrf = page.locator("form.signout input[name=csrf_token]").get_attribute("value")
    answer = page.request.post(server.url(path), form={**form, "csrf_token": csrf}, max_redirects=0)
    assert answer.status == 403
    assert permission in answer.text()


def _as_admin(page: Any, server: LiveServer, path: str) -> None:
    _sign_in_at(page, server, path, server.admin_username, server.admin_password)


def test_overview_shows_the_plant_with_data(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    _as_admin(page, live_server, "/")
    expect(page).to_have_url(live_server.url("/"))
    tiles = page.locator(".station-tile")
    expect(tiles.filter(has_text="CNC-01")).to_have_class(re.compile("tile-productive"))
    expect(tiles.filter(has_text="CNC-02")).to_have_class(re.compile("tile-unscheduled-down"))
    wip = page.locator("#wip")
    # Three pieces wait for polishing, and the held one would be next there too.
    polish = wip.get_by_role("row", name=re.compile("^POLISH"))
    expect(polish.locator("td")).to_have_text(["4", "0", "1"])  # waiting, in process, held
    expect(page.locator("#oee tbody tr").first).to_be_visible()
    expect(page.locator("#plan")).to_contain_text("WO-2026-001")
    expect(page.locator("#holds")).to_contain_text(HELD)
    # The live part is an htmx fragment that polls; fetching it answers the same sections.
    live = page.request.get(live_server.url("/overview/live"))
    assert live.ok and 'id="overview-live"' in live.text() and "CNC-01" in live.text()
    save_screenshot(page, "overview")


def test_trace_from_a_glass_id_to_its_handset_and_back(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    _as_admin(page, live_server, "/trace")
    search = page.get_by_label("Identifier")
    search.fill(PIECES[0])
    search.press("Enter")
    expect(page.locator("#backward-title")).to_contain_text(PIECES[0])
    save_screenshot(page, "trace_glass")
    page.locator(".trace-unit").first.get_by_role("link", name=HANDSET).click()
    expect(page.locator("#backward-title")).to_contain_text(HANDSET)
    expect(page.locator("#trace-q")).to_have_value(HANDSET)
    save_screenshot(page, "trace_handset")
    # Back down the tree: the handset's cover glass links to the glass.
    page.locator(".trace-tree .trace-tree").get_by_role("link", name=PIECES[0]).first.click()
    expect(page.locator("#backward-title")).to_contain_text(PIECES[0])
    expect(page.locator("#forward-title")).to_be_visible()


def test_operator_scans_measures_passes_and_is_refused_out_of_route(
    page: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in_at(page, live_server, "/station/POL-01", OPERATOR, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("POL-01")
    scan = page.get_by_label("Scan a unit or carrier")
    expect(scan).to_be_focused()
    # A keyboard-wedge scanner types the ID and Enter.
    scan.press_sequentially(WAITING[0])
    scan.press("Enter")
    form = page.locator(".visit-form")
    expect(form).to_contain_text("POLISH")
    expect(form.locator("#lim-THK")).to_contain_text("mm")
    form.get_by_label(re.compile("^THK")).fill("0.55")
    save_screenshot(page, "station_visit")
    form.get_by_role("button", name="Pass").click()
    good = page.locator(".feedback-good")
    expect(good).to_contain_text("PASS")
    expect(good).to_contain_text("CLN1")
    save_screenshot(page, "station_passed")
    # The same piece again: the route now expects CLN1, not polishing.
    scan = page.get_by_label("Scan a unit or carrier")
    scan.fill(WAITING[0])
    scan.press("Enter")
    bad = page.locator(".feedback-bad")
    expect(bad).to_be_visible()
    expect(bad).to_have_attribute("data-code", re.compile(r"^routing\."))
    expect(bad).to_contain_text("CLN1")
    save_screenshot(page, "station_refused")


def test_hold_is_refused_to_a_planner_and_released_by_quality(
    page: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    _sign_in_at(page, live_server, "/holds", PLANNER, PASSWORD)
    card = page.locator("article.hold").filter(has_text=HELD)
    expect(card).to_contain_text("Only the quality role releases holds.")
    expect(card.get_by_role("button")).to_have_count(0)
    hold_id = card.get_attribute("id").removeprefix("hold-")
    _refused(page, live_server, f"/holds/{hold_id}/release", {"note": "looks fine"}, "hold.release")
    save_screenshot(page, "hold_planner")
    page.get_by_role("button", name="Sign out").click()

    _sign_in_at(page, live_server, "/holds", QUALITY, PASSWORD)
    card = page.locator("article.hold").filter(has_text=HELD)
    card.get_by_label("Release note").fill("chip within limit after 10x loupe check")
    card.get_by_role("button", name=re.compile("Release hold")).click()
    expect(page.locator(".alert-success")).to_contain_text(f"Hold #{hold_id} released")
    expect(page.locator("article.hold").filter(has_text=HELD)).to_have_count(0)
    page.goto("/holds?show=released")
    expect(page.locator(f"#hold-{hold_id}")).to_contain_text("user:asha")
    save_screenshot(page, "hold_released")


def test_alarm_is_refused_to_a_planner_and_acknowledged_by_quality(
    page: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    _sign_in_at(page, live_server, "/quality/alarms", PLANNER, PASSWORD)
    card = page.locator("article.card").filter(has_text="IOX-TEMP")
    expect(card).to_contain_text("IOX-01")
    expect(card).to_contain_text("we1")
    expect(card).to_contain_text("Only the quality role acknowledges alarms.")
    expect(card.get_by_label("Assignable cause")).to_have_count(0)
    alarm_id = card.get_attribute("id").removeprefix("alarm-")
    form = {"cause": "none", "action": "none"}
    _refused(page, live_server, f"/quality/alarms/{alarm_id}/acknowledge", form, "spc.acknowledge")
    save_screenshot(page, "alarm_planner")
    page.get_by_role("button", name="Sign out").click()

    _sign_in_at(page, live_server, "/quality/alarms", QUALITY, PASSWORD)
    card = page.locator(f"#alarm-{alarm_id}")
    card.get_by_label("Assignable cause").fill("thermocouple TC-2 drifted after element change")
    card.get_by_label("Action taken").fill("TC-2 replaced and furnace re-profiled")
    card.get_by_role("button", name=f"Acknowledge alarm #{alarm_id}").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Alarm #{alarm_id} acknowledged")
    expect(page.locator(f"#alarm-{alarm_id}")).to_have_count(0)  # no longer open
    page.goto("/quality/alarms?show=acknowledged")
    done = page.locator(f"#alarm-{alarm_id}")
    expect(done).to_contain_text("user:asha")
    expect(done).to_contain_text("TC-2 replaced and furnace re-profiled")
    save_screenshot(page, "alarm_acknowledged")


def test_planner_releases_a_work_order(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    _sign_in_at(page, live_server, f"/work-orders/{PLANNED_ORDER}", PLANNER, PASSWORD)
    expect(page.locator("#ops-title")).to_be_visible()
    page.get_by_label("Release to line").select_option("FAB-1")
    page.get_by_role("button", name="Release").click()
    expect(page.locator(".alert-success")).to_contain_text("Released to line FAB-1")
    page.goto("/work-orders")
    expect(page.get_by_role("row", name=re.compile(PLANNED_ORDER))).to_contain_text("released")
    save_screenshot(page, "work_orders")


def test_yield_charts_click_through_to_units(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    _as_admin(page, live_server, "/yield?days=7")
    chart = page.locator("#chart-pareto-defect")
    expect(chart.locator("svg.main-svg").first).to_be_visible()
    expect(page.locator("#chart-rty svg.main-svg").first).to_be_visible()
    save_screenshot(page, "yield")
    bar = chart.locator(".bars path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    # Plotly reports a click on the point under the pointer: hover first, as a person does.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".hoverlayer .hovertext").first).to_be_visible()
    page.mouse.down()
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"/units\?.*defect=FILM-BUB"))
    expect(page.locator("tbody")).to_contain_text(PIECES[3])
    save_screenshot(page, "yield_units")


def test_audit_log_filters_and_verifies(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    _as_admin(page, live_server, "/audit")
    expect(page.locator(".verify-ok")).to_contain_text("Intact")
    page.get_by_label("Action").fill("workorder.released")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows.first).to_contain_text("workorder.released")
    for text in rows.all_inner_texts():
        assert "workorder.released" in text
    save_screenshot(page, "audit")
