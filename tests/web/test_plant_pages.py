"""The plant page and the overview's shell, through the real app: guard, empty state, content."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from tests.web.conftest import sign_in_as


def test_anonymous_visitors_are_sent_to_sign_in(page_client: TestClient) -> None:
    for path in ("/", "/plant"):
        response = page_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


def test_without_a_plant_both_pages_say_how_to_load_one(
    page_client: TestClient, db: Session
) -> None:
    sign_in_as(page_client, db, "olga", ["operator"])
    for path in ("/", "/plant"):
        response = page_client.get(path)
        assert response.status_code == 200
        assert "No plant loaded" in response.text
        assert "forgeline plant load FILE" in response.text


def test_plant_page_shows_the_loaded_definition(page_client: TestClient, db: Session) -> None:
    revision = load_definition_file(db, DEFAULT_PLANT, "test")
    plant = revision.definition
    sign_in_as(page_client, db, "olga", ["operator"])
    html = page_client.get("/plant").text
    assert plant.name in html
    for _area, line, station in plant.placed_stations():
        assert line.code in html
        assert f'<th scope="row">{station.code}</th>' in html
    for routing in plant.routings:
        assert f'id="routing-{routing.code}"' in html
        for operation in routing.operations:
            assert operation.code in html
    for product in plant.all_products():
        assert product.gtin in html
    for handset in plant.products.handsets:
        assert all(tac in html for tac in handset.tacs)
    for characteristic in plant.characteristics:
        assert f'id="char-{characteristic.code}"' in html
    for defect in plant.defect_codes:
        assert defect.code in html


def test_overview_shows_every_line_and_station(page_client: TestClient, db: Session) -> None:
    revision = load_definition_file(db, DEFAULT_PLANT, "test")
    plant = revision.definition
    sign_in_as(page_client, db, "olga", ["operator"])
    html = page_client.get("/").text
    for _area, line, station in plant.placed_stations():
        assert f'<span class="code">{line.code}</span>' in html
        assert f'<span class="tile-code">{station.code}</span>' in html
    # Nothing has reported a state yet: every station says so rather than showing a colour.
    assert html.count("no state yet") == len(plant.station_specs())


def test_navigation_follows_the_viewers_roles(page_client: TestClient, db: Session) -> None:
    sign_in_as(page_client, db, "olga", ["operator"])
    html = page_client.get("/plant").text
    assert '<a class="nav-link" href="/plant" aria-current="page">Plant</a>' in html
    assert 'href="/admin"' not in html  # operators may not read users
