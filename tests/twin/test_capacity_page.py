"""The capacity plan page: the analytic plan for the loaded plant, and bad input."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file


def test_the_page_shows_equipment_per_year_and_the_bottleneck(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    load_definition_file(db, DEFAULT_PLANT, SYSTEM_ACTOR)
    page = client.get("/plant/capacity?ramp=0.5,1", headers=as_role("planner"))
    assert page.status_code == 200, page.text
    assert "Year 1" in page.text and "Year 2" in page.text and "Year 3" not in page.text
    assert "bottleneck <strong>" in page.text and "figure-needed" in page.text
    assert "15,000,000 good pieces a year" in page.text  # half of the 30 M nameplate


def test_a_bad_ramp_is_refused_with_its_reason(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    load_definition_file(db, DEFAULT_PLANT, SYSTEM_ACTOR)
    page = client.get("/plant/capacity?ramp=half,1", headers=as_role("planner"))
    assert page.status_code == 422 and 'data-code="plan.ramp_invalid"' in page.text
