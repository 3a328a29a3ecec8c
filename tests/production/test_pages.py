"""Production's pages through the real app, on a few hours of history sent through ingest."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.config import Settings
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.tables import Hold, Measurement, Unit, WorkOrder
from tests.e2e.plant_history import (
    HELD,
    OPERATOR,
    PIECES,
    PLANNED_ORDER,
    RELEASED_ORDER,
    WAITING,
    build_plant_history,
)
from tests.identities import signed_in_headers

Headers = dict[str, str]
HX = {"HX-Request": "true"}


@pytest.fixture
def history(db: Session) -> None:
    load_definition_file(db, DEFAULT_PLANT, "test")
    build_plant_history(db)
    db.commit()


@pytest.fixture
def operator(history: None, db: Session, settings: Settings) -> Headers:
    return signed_in_headers(db, settings, OPERATOR)


def _unit(db: Session, uid: str) -> Unit:
    db.expire_all()
    return db.scalars(select(Unit).where(Unit.uid == uid)).one()


def test_overview_shows_states_plan_wip_and_holds(
    client: TestClient, history: None, as_role: Callable[[str], Headers]
) -> None:
    support = as_role("support")
    html = client.get("/", headers=support).text
    assert 'class="station-tile tile-unscheduled-down"' in html  # CNC-02 broke down
    assert 'class="station-tile tile-productive"' in html
    assert RELEASED_ORDER in html and "3 / 8" in html  # three pieces finished of eight
    assert HELD in html  # the open hold
    assert "/units?next_operation=POLISH" in html
    live = client.get("/overview/live", headers=support)
    assert live.status_code == 200
    assert live.text.lstrip().startswith('<div id="overview-live"') and "<html" not in live.text


def test_operator_scans_measures_and_passes(
    client: TestClient, operator: Headers, db: Session
) -> None:
    screen = client.get("/station/POL-01", headers=operator)
    assert screen.status_code == 200
    assert "autofocus" in screen.text and "not qualified" not in screen.text
    scanned = client.post("/station/POL-01/scan", data={"scan": WAITING[0]}, headers=operator | HX)
    assert 'class="visit-form' in scanned.text and "0.53 … 0.57 mm" in scanned.text
    assert _unit(db, WAITING[0]).status == "in_process"
    token = scanned.text.split('name="token" value="')[1].split('"')[0]
    form = {"subject": WAITING[0], "operation": "POLISH", "token": token, "result": "pass"}
    done = client.post(
        "/station/POL-01/finish", data=form | {"m_THK": "0.61"}, headers=operator | HX
    )
    assert "feedback-good" in done.text and "CLN1" in done.text
    assert "out of spec: THK" in done.text  # recorded, and said so
    unit = _unit(db, WAITING[0])
    assert (unit.status, unit.next_operation) == ("waiting", "CLN1")
    # A double tap sends the same event ids: nothing is recorded twice.
    again = client.post(
        "/station/POL-01/finish", data=form | {"m_THK": "0.61"}, headers=operator | HX
    )
    assert "feedback-bad" not in again.text
    assert (
        db.scalar(
            select(func.count()).select_from(Measurement).where(Measurement.unit_id == unit.id)
        )
        == 1
    )


def test_out_of_route_scan_is_refused_with_what_the_route_expects(
    client: TestClient, operator: Headers, db: Session
) -> None:
    refused = client.post("/station/CLN-02/scan", data={"scan": WAITING[1]}, headers=operator | HX)
    assert refused.status_code == 200  # htmx swaps only successful answers
    assert 'class="feedback feedback-bad"' in refused.text
    assert 'data-code="routing.' in refused.text and "<strong>POLISH</strong>" in refused.text
    assert _unit(db, WAITING[1]).status == "waiting"
    held = client.post("/station/POL-01/scan", data={"scan": HELD}, headers=operator | HX)
    assert 'data-code="unit.on_hold"' in held.text


def test_a_refused_visit_records_nothing_and_keeps_the_form(
    client: TestClient, operator: Headers, db: Session
) -> None:
    scanned = client.post("/station/POL-01/scan", data={"scan": WAITING[2]}, headers=operator | HX)
    token = scanned.text.split('name="token" value="')[1].split('"')[0]
    form = {"subject": WAITING[2], "operation": "POLISH", "token": token, "result": "scrap"}
    bad = client.post(
        "/station/POL-01/finish",
        data=form | {"m_THK": "0.55", "defect": "NO-SUCH-DEFECT"},
        headers=operator | HX,
    )
    assert "feedback-bad" in bad.text and 'class="visit-form' in bad.text
    unit = _unit(db, WAITING[2])
    assert unit.status == "in_process"  # the track-out was not kept either
    assert (
        db.scalar(
            select(func.count()).select_from(Measurement).where(Measurement.unit_id == unit.id)
        )
        == 0
    )
    typo = client.post(
        "/station/POL-01/finish", data=form | {"m_THK": "O.55"}, headers=operator | HX
    )
    assert 'data-code="measurement.invalid"' in typo.text


def test_an_unqualified_operator_cannot_scan(
    client: TestClient, history: None, as_role: Callable[[str], Headers], db: Session
) -> None:
    headers = as_role("operator")  # a new operator without any skill
    screen = client.get("/station/POL-01", headers=headers)
    assert "You are not qualified for polishing" in screen.text
    refused = client.post("/station/POL-01/scan", data={"scan": WAITING[0]}, headers=headers | HX)
    assert 'data-code="operator.unqualified"' in refused.text
    assert _unit(db, WAITING[0]).status == "waiting"


def test_unknown_station_is_a_404_page(client: TestClient, operator: Headers) -> None:
    page = client.get("/station/NOPE-01", headers=operator)
    assert page.status_code == 404 and "station.unknown" in page.text


def test_hold_release_needs_quality_and_a_note(
    client: TestClient, history: None, as_role: Callable[[str], Headers], db: Session
) -> None:
    hold_id = db.scalars(select(Hold.id).where(Hold.target_code == HELD)).one()
    planner = as_role("planner")
    page = client.get("/holds", headers=planner).text
    assert "Only the quality role releases holds." in page and "Release hold" not in page
    refused = client.post(f"/holds/{hold_id}/release", data={"note": "ok"}, headers=planner)
    assert refused.status_code == 403
    quality = as_role("quality")
    no_note = client.post(f"/holds/{hold_id}/release", data={"note": " "}, headers=quality)
    assert no_note.status_code == 422 and 'data-code="hold.note_required"' in no_note.text
    done = client.post(
        f"/holds/{hold_id}/release", data={"note": "within limit"}, headers=quality,
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    db.expire_all()
    assert db.get(Hold, hold_id).released_by == "user:quality-user"  # type: ignore[union-attr]
    assert _unit(db, HELD).hold_count == 0


def test_planner_releases_a_work_order_and_bad_lines_are_refused(
    client: TestClient, history: None, as_role: Callable[[str], Headers], db: Session
) -> None:
    planner = as_role("planner")
    listing = client.get("/work-orders", headers=planner).text
    assert PLANNED_ORDER in listing and 'action="/work-orders/WO-2026-002/release"' in listing
    wrong = client.post(
        f"/work-orders/{PLANNED_ORDER}/release", data={"line_code": "QA-1"}, headers=planner
    )
    assert wrong.status_code == 422 and "workorder.line_cannot_start" in wrong.text
    done = client.post(
        f"/work-orders/{PLANNED_ORDER}/release", data={"line_code": "FAB-1"}, headers=planner,
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    order = db.scalars(select(WorkOrder).where(WorkOrder.code == PLANNED_ORDER)).one()
    db.refresh(order)
    assert (order.status, order.line_code) == ("released", "FAB-1")
    detail = client.get(f"/work-orders/{RELEASED_ORDER}", headers=as_role("support")).text
    assert "Progress per operation" in detail and "POLISH" in detail


def test_units_behind_the_scrap_pareto(
    client: TestClient, history: None, as_role: Callable[[str], Headers]
) -> None:
    quality = as_role("quality")
    page = client.get("/units?result=scrap&defect=FILM-BUB", headers=quality).text
    assert PIECES[3] in page and PIECES[0] not in page
    origin = client.get("/units?result=scrap&origin=AOI", headers=quality).text
    assert PIECES[3] in origin
    naive = client.get("/units?since=2026-01-01T00:00", headers=quality)
    assert naive.status_code == 422


def test_yield_page_charts_link_to_their_units(
    client: TestClient, history: None, as_role: Callable[[str], Headers]
) -> None:
    page = client.get("/yield?days=7", headers=as_role("quality"))
    assert page.status_code == 200
    assert 'id="figure-pareto-defect"' in page.text and "/static/plotly/plotly.min.js" in page.text
    assert quote("FILM-BUB") in page.text and "/units?" in page.text
    plotly = client.get("/static/plotly/plotly.min.js")
    assert plotly.status_code == 200 and plotly.text.startswith("/**")
