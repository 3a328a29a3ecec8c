"""The trace page, as a quality engineer uses it: scan an ID, follow links both ways."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.production.tables import Measurement, OperationRecord
from tests.trace.conftest import G1, H1, Genealogy, hours


def test_empty_search_invites_a_scan(client: TestClient, as_role: object) -> None:
    page = client.get("/trace", headers=as_role("quality"))  # type: ignore[operator]
    assert page.status_code == 200
    assert "Nothing traced yet" in page.text


def test_handset_shows_glass_sheet_lot_and_bath(
    client: TestClient, genealogy: Genealogy, as_role: object
) -> None:
    headers = as_role("support")  # type: ignore[operator]
    page = client.get(f"/trace?q={quote(H1)}", headers=headers)
    assert page.status_code == 200, page.text
    for expected in (H1, "(21)G0001", "SHEET-LOT-1", "IOX-RUN-1", "BATH-A", "BATT-LOT-1"):
        assert expected in page.text
    # Links both ways: the handset page links to the glass, whose page links back to the handset.
    assert f"/trace?q={quote(G1, safe='')}" in page.text
    glass = client.get(f"/trace?q={quote(G1)}", headers=headers)
    assert f"/trace?q={quote(H1, safe='')}" in glass.text


def test_forward_from_the_bath_lists_the_pieces(
    client: TestClient, genealogy: Genealogy, as_role: object
) -> None:
    page = client.get("/trace?q=BATH-A", headers=as_role("quality"))  # type: ignore[operator]
    assert page.status_code == 200
    assert "(21)G0001" in page.text
    assert "forward.csv" in page.text


def test_unknown_identifier_is_a_404_with_the_reason(client: TestClient, as_role: object) -> None:
    page = client.get("/trace?q=NO-SUCH-THING", headers=as_role("quality"))  # type: ignore[operator]
    assert page.status_code == 404
    assert 'data-code="trace.not_found"' in page.text


def test_a_profile_of_readings_shows_as_its_range(
    client: TestClient, genealogy: Genealogy, db: Session, as_role: object
) -> None:
    """Many readings of one characteristic in one visit (a cycle's bath temperature profile)
    read as their count, range and mean, each reading a click away; a single one as itself."""
    unit = genealogy.units[G1]
    record = db.scalar(
        select(OperationRecord.id).where(
            OperationRecord.unit_id == unit, OperationRecord.operation_code == "AOI"
        )
    )
    for minute, value in enumerate((449.5, 450.5, 451.0, 458.5)):
        db.add(
            Measurement(
                unit_id=unit, record_id=record, operation_code="AOI", station_code="AOI-01",
                characteristic_code="IOX-TEMP", value=value, lsl=440.0, usl=455.0,
                in_spec=value <= 455.0, measured_at=hours(12 + minute / 60),
            )
        )  # fmt: skip
    db.commit()
    page = client.get(f"/trace?q={quote(G1)}", headers=as_role("quality"))  # type: ignore[operator]
    assert "IOX-TEMP &times; 4: 449.5 &ndash; 458.5, mean 452.375" in page.text
    assert page.text.count('<span class="tag tag-critical">458.5</span>') == 1
    assert "CS_MPA 812.0" in page.text
