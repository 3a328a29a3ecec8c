"""NCR and 8D pages as a quality engineer uses them: open, contain, disposition, close."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.quality.conftest import FINISHED, Plant

Headers = Callable[[str], dict[str, str]]


def test_ncr_from_form_to_closure(client: TestClient, as_role: Headers, plant: Plant) -> None:
    quality = as_role("quality")
    empty = client.get("/quality/ncr", headers=quality)
    assert empty.status_code == 200 and "No nonconformance records" in empty.text
    assert 'action="/quality/ncr"' in empty.text and 'name="contain"' in empty.text
    opened = client.post(
        "/quality/ncr",
        data={"source": "inspection", "title": "Edge chips", "description": "found at FQC",
              "units": "\n".join(FINISHED[:2]), "contain": "yes"},
        headers=quality,
        follow_redirects=False,
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    detail_url = opened.headers["location"]
    assert detail_url == "/quality/ncr/NCR-000001" or detail_url.startswith("/quality/ncr/NCR-")
    page = client.get(detail_url, headers=quality)
    assert "Edge chips" in page.text and FINISHED[0] in page.text and "on hold #" in page.text
    assert "Material review" in page.text

    code = detail_url.rsplit("/", 1)[1]
    refused = client.post(f"/quality/ncr/{code}/close", data={"note": "x"}, headers=quality)
    assert refused.status_code == 409 and "ncr.not_dispositioned" in refused.text
    done = client.post(
        f"/quality/ncr/{code}/disposition",
        data={"disposition": "scrap", "note": "cracks"},
        headers=quality,
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(detail_url, headers=quality)
    assert "scrap" in page.text and "kept" in page.text and "Not done" in page.text
    client.post(f"/quality/ncr/{code}/close", data={"note": "binned"}, headers=quality)
    listed = client.get("/quality/ncr?status=closed", headers=quality)
    assert code in listed.text


def test_bad_form_shows_the_reason_and_keeps_the_input(
    client: TestClient, as_role: Headers, plant: Plant
) -> None:
    page = client.post(
        "/quality/ncr",
        data={"source": "inspection", "title": "Chips", "description": "d", "units": "NOPE-1"},
        headers=as_role("operator"),
    )
    assert page.status_code == 404 and 'data-code="unit.unknown"' in page.text
    assert "NOPE-1" in page.text and 'value="Chips"' in page.text


def test_reader_sees_no_forms(client: TestClient, as_role: Headers, plant: Plant) -> None:
    auditor = as_role("auditor")
    page = client.get("/quality/ncr", headers=auditor)
    assert page.status_code == 200 and 'action="/quality/ncr"' not in page.text
    assert 'action="/quality/8d"' not in client.get("/quality/8d", headers=auditor).text


def test_eight_d_form_and_detail(client: TestClient, as_role: Headers, plant: Plant) -> None:
    quality = as_role("quality")
    form = client.get("/quality/8d", headers=quality)
    assert form.status_code == 200 and "AURORA" in form.text
    opened = client.post(
        "/quality/8d",
        data={"title": "Cracks after drop", "customer": "AURORA", "complaint_ref": "AUR-7",
              "d2_problem": "Corner cracks", "units": FINISHED[0]},
        headers=quality,
        follow_redirects=False,
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    url = opened.headers["location"]
    saved = client.post(
        url, data={"d1_team": "QE, IOX lead", "d4_root_cause": "Bath Na high"},
        headers=quality, follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    page = client.get(url, headers=quality)
    assert "Bath Na high" in page.text and "Corner cracks" in page.text and FINISHED[0] in page.text
    incomplete = client.post(url, data={"close": "yes"}, headers=quality)
    assert incomplete.status_code == 422 and "eightd.incomplete" in incomplete.text


def test_certificates_page_issues_lists_and_verifies(
    client: TestClient, as_role: Headers, plant: Plant
) -> None:
    quality = as_role("quality")
    issued = client.post(
        "/quality/certificates",
        data={"customer": "AURORA", "work_order": plant.work_order},
        headers=quality,
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text
    page = client.get("/quality/certificates", headers=quality)
    assert "COC-" in page.text and plant.work_order in page.text
    code = page.text.split("/api/v1/quality/certificates/", 1)[1].split("/pdf", 1)[0]
    pdf = client.get(f"/api/v1/quality/certificates/{code}/pdf", headers=quality).content
    good = client.post(
        "/quality/certificates/verify",
        files={"file": ("coc.pdf", pdf, "application/pdf")},
        headers=quality,
    )
    assert good.status_code == 200 and 'data-verified="yes"' in good.text and code in good.text
    bad = client.post(
        "/quality/certificates/verify",
        files={"file": ("coc.pdf", pdf + b"%x", "application/pdf")},
        headers=quality,
    )
    assert 'data-verified="no"' in bad.text
    wrong = client.post(
        "/quality/certificates",
        data={"customer": "KESTREL", "work_order": plant.work_order},
        headers=quality,
    )
    assert wrong.status_code == 422 and "certificate.wrong_customer" in wrong.text
