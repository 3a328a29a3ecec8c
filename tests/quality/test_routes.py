"""The quality API: NCRs, 8Ds, sampling, certificates and Q-DAS, each refusal a coded 4xx."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.quality.conftest import FINISHED, HELD, Plant

API = "/api/v1/quality"
Headers = Callable[[str], dict[str, str]]


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def test_ncr_lifecycle(client: TestClient, as_role: Headers, plant: Plant) -> None:
    quality, support = as_role("quality"), as_role("support")
    body = {
        "source": "inspection",
        "title": "Chipped edge",
        "description": "0.2 mm chip",
        "units": FINISHED[:2],
        "contain": True,
    }
    created = client.post(f"{API}/ncrs", json=body, headers=quality)
    assert created.status_code == 201, created.text
    ncr = created.json()
    code = ncr["code"]
    assert ncr["status"] == "open" and ncr["unit_count"] == 2
    assert all(u["held"] for u in ncr["units"])

    field = {"source": "field_return", "title": "Returned", "description": "RMA 7"}
    assert client.post(f"{API}/ncrs", json=field, headers=support).status_code == 201
    manual = {**field, "source": "manual"}
    assert error(client.post(f"{API}/ncrs", json=manual, headers=support), 403) == (
        "ncr.source_forbidden"
    )
    # Support opens, but material review is quality's.
    refused = client.post(
        f"{API}/ncrs/{code}/disposition",
        json={"disposition": "scrap", "note": "x"},
        headers=support,
    )
    assert refused.status_code == 403

    patched = client.patch(f"{API}/ncrs/{code}", json={"add_units": [FINISHED[2]]}, headers=quality)
    assert patched.status_code == 200 and patched.json()["unit_count"] == 3
    bad = client.post(
        f"{API}/ncrs/{code}/disposition", json={"disposition": "bin", "note": "x"}, headers=quality
    )
    assert error(bad, 422) == "ncr.unknown_disposition"
    done = client.post(
        f"{API}/ncrs/{code}/disposition",
        json={"disposition": "use_as_is", "note": "within limits"},
        headers=quality,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "dispositioned"
    assert done.json()["production_effect"]["holds_released"]
    closed = client.post(f"{API}/ncrs/{code}/close", json={"note": "done"}, headers=quality)
    assert closed.json()["status"] == "closed"

    listed = client.get(f"{API}/ncrs?status=closed", headers=as_role("auditor")).json()
    assert [n["code"] for n in listed["items"]] == [code] and listed["items"][0]["units"] is None
    assert error(client.get(f"{API}/ncrs/NCR-999999", headers=quality), 404) == "ncr.not_found"
    assert error(client.get(f"{API}/ncrs?status=weird", headers=quality), 422) == (
        "ncr.unknown_status"
    )
    extra = client.post(f"{API}/ncrs", json={**body, "colour": "red"}, headers=quality)
    assert error(extra, 422) == "request.invalid"


def test_eight_d(client: TestClient, as_role: Headers, plant: Plant) -> None:
    quality = as_role("quality")
    ncr = client.post(
        f"{API}/ncrs",
        headers=quality,
        json={"source": "field_return", "title": "Cracks", "description": "3 returns"},
    ).json()
    body = {
        "title": "Cracked covers at Aurora",
        "customer": "AURORA",
        "complaint_ref": "AUR-41",
        "d2_problem": "Corner cracks after drop",
        "ncrs": [ncr["code"]],
        "units": [FINISHED[0]],
    }
    created = client.post(f"{API}/8d", json=body, headers=quality)
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["ncrs"] == [ncr["code"]] and report["units"] == [FINISHED[0]]
    code = report["code"]
    early = client.patch(f"{API}/8d/{code}", json={"close": True}, headers=quality)
    assert error(early, 422) == "eightd.incomplete"
    full = {
        f"d{i}_{name}": f"text {i}"
        for i, name in enumerate(
            [
                "team",
                "problem",
                "containment",
                "root_cause",
                "corrective_action",
                "implementation",
                "prevention",
                "closure",
            ],
            start=1,
        )
    }
    closed = client.patch(
        f"{API}/8d/{code}",
        json={**full, "add_units": [FINISHED[1]], "close": True},
        headers=quality,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and len(closed.json()["units"]) == 2
    again = client.patch(f"{API}/8d/{code}", json={"d1_team": "x"}, headers=quality)
    assert error(again, 409) == "eightd.closed"
    assert (
        error(client.post(f"{API}/8d", json={**body, "customer": "ACME"}, headers=quality), 404)
        == "customer.unknown"
    )
    assert client.post(f"{API}/8d", json=body, headers=as_role("support")).status_code == 403


def test_sampling_plan_and_results(client: TestClient, as_role: Headers, plant: Plant) -> None:
    reader = as_role("auditor")
    found = client.get(f"{API}/sampling/plan?lot_size=1000&aql=1.0&nonconforming=3", headers=reader)
    assert found.status_code == 200
    assert {
        k: found.json()[k] for k in ("code_letter", "sample_size", "accept", "reject", "decision")
    } == {"code_letter": "J", "sample_size": 80, "accept": 2, "reject": 3, "decision": "reject"}
    bad = client.get(f"{API}/sampling/plan?lot_size=1000&aql=0.3", headers=reader)
    assert error(bad, 422) == "sampling.unknown_aql"

    body = {
        "subject_type": "batch",
        "subject": plant.batch,
        "test": "ring-on-ring",
        "lot_size": 3000,
        "aql": "0.65",
        "nonconforming": 2,
        "characteristic": "ROR",
    }
    recorded = client.post(f"{API}/sampling/results", json=body, headers=as_role("operator"))
    assert recorded.status_code == 201, recorded.text
    assert (recorded.json()["sample_size"], recorded.json()["decision"]) == (125, "accept")
    missing = client.post(
        f"{API}/sampling/results", json={**body, "subject": "NOPE"}, headers=as_role("quality")
    )
    assert error(missing, 404) == "sampling.subject_not_found"
    listed = client.get(f"{API}/sampling/results?subject={plant.batch}", headers=reader).json()
    assert listed["total"] == 1


def test_certificate_issue_download_verify(
    client: TestClient, as_role: Headers, plant: Plant
) -> None:
    quality = as_role("quality")
    issued = client.post(
        f"{API}/certificates",
        json={"customer": "AURORA", "work_order": plant.work_order},
        headers=quality,
    )
    assert issued.status_code == 201, issued.text
    cert = issued.json()
    assert cert["unit_count"] == 6
    pdf = client.get(cert["pdf_url"], headers=as_role("logistics"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-content-sha256"] == cert["sha256"]
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert cert["code"] in text and "Aurora Mobile" in text

    reader = as_role("auditor")
    verified = client.post(
        f"{API}/certificates/verify",
        content=pdf.content,
        headers={**reader, "Content-Type": "application/pdf"},
    )
    assert verified.json()["valid"] is True and verified.json()["certificate"] == cert["code"]
    forged = client.post(
        f"{API}/certificates/verify",
        content=pdf.content + b"%x",
        headers={**reader, "Content-Type": "application/pdf"},
    )
    assert forged.json()["valid"] is False
    not_pdf = client.post(f"{API}/certificates/verify", content=b"hello", headers=reader)
    assert error(not_pdf, 422) == "certificate.not_a_pdf"

    held = client.post(
        f"{API}/certificates", json={"customer": "AURORA", "units": [HELD]}, headers=quality
    )
    assert error(held, 422) == "certificate.units_not_conforming"
    assert (
        client.post(
            f"{API}/certificates",
            json={"customer": "AURORA", "units": FINISHED},
            headers=reader,
        ).status_code
        == 403
    )
    assert (
        client.get(f"{API}/certificates/{cert['code']}", headers=reader).json()["sha256"]
        == (cert["sha256"])
    )


def test_qdas_export(client: TestClient, as_role: Headers, plant: Plant) -> None:
    reader = as_role("auditor")
    answer = client.post(
        f"{API}/qdas",
        json={"work_order": plant.work_order, "characteristics": ["CS", "DOL"]},
        headers=reader,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].endswith('CG-AUR-A55.dfq"')
    lines = answer.content.decode("latin-1").split("\r\n")
    assert lines[0] == "K0100 2" and "K2001/2 DOL" in lines
    assert sum(1 for line in lines if line.startswith("K0001/1 ")) == 6
    both = client.post(
        f"{API}/qdas", json={"work_order": plant.work_order, "units": FINISHED}, headers=reader
    )
    assert error(both, 422) == "qdas.scope_required"
