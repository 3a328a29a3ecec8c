"""The trace page, as a quality engineer uses it: scan an ID, follow links both ways."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.trace.conftest import G1, H1, Genealogy


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
