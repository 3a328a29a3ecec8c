"""The trace API: GS1 identifiers in the path, forward JSON and CSV, errors and permissions."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.trace.conftest import G1, G2, H1, S1, Genealogy

API = "/api/v1/trace"
Headers = Callable[[str], dict[str, str]]


@pytest.fixture
def quality(as_role: Headers) -> dict[str, str]:
    return as_role("quality")


def test_backward_of_a_gs1_identifier_with_parentheses(
    client: TestClient, genealogy: Genealogy, quality: dict[str, str]
) -> None:
    for path in (f"{API}/{G1}", f"{API}/{quote(G1, safe='')}"):
        answer = client.get(path, headers=quality)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["subject"] == {
            "kind": "unit",
            "code": G1,
            "id": genealogy.units[G1],
            "unit_kind": "glass",
        }
        assert body["unit"]["assembled_into"] == H1
        iox = next(o for o in body["unit"]["operations"] if o["operation_code"] == "IOX")
        assert iox["batch_run"]["chemistry"]["values"] == {"na_wt_pct": 0.25}


def test_backward_of_a_handset_nests_the_glass_and_the_sheet(
    client: TestClient, genealogy: Genealogy, quality: dict[str, str]
) -> None:
    body = client.get(f"{API}/{H1}", headers=quality).json()
    glass = body["unit"]["components"][0]
    assert glass["uid"] == G1
    assert glass["split_from"]["uid"] == S1
    assert glass["split_from"]["lot"]["code"] == "SHEET-LOT-1"
    assert [e["operation_code"] for e in body["timeline"]][:2] == ["SCRIBE", "CNC"]


def test_forward_json_with_a_window(
    client: TestClient, genealogy: Genealogy, quality: dict[str, str]
) -> None:
    answer = client.get(
        f"{API}/CNC-01/forward",
        params={"since": "2025-03-03T06:00:00Z", "until": "2025-03-04T06:00:00+00:00"},
        headers=quality,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["subject"]["kind"] == "station"
    assert {p["uid"] for p in body["pieces"]} == {G1, G2}
    assert [h["uid"] for h in body["handsets"]] == [H1]
    assert body["piece_counts"] == {"finished": 1, "on_hold": 1}


def test_forward_csv_lists_pieces_then_handsets(
    client: TestClient, genealogy: Genealogy, quality: dict[str, str]
) -> None:
    answer = client.get(f"{API}/IOX-RUN-1/forward.csv", headers=quality)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="recall-IOX-RUN-1.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["role"], r["uid"], r["status"]) for r in rows] == [
        ("piece", G1, "finished"),
        ("piece", G2, "on_hold"),
        ("handset", H1, "finished"),
    ]
    assert rows[0]["handset_uid"] == H1


def test_unknown_identifier_is_a_404_envelope(
    client: TestClient, genealogy: Genealogy, quality: dict[str, str]
) -> None:
    for path in (f"{API}/(01)00000000000000(21)X", f"{API}/NOPE/forward"):
        answer = client.get(path, headers=quality)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "trace.not_found"


def test_bad_windows_are_422(
    client: TestClient, genealogy: Genealogy, quality: dict[str, str]
) -> None:
    backwards = client.get(
        f"{API}/CNC-01/forward",
        params={"since": "2025-03-04T00:00:00Z", "until": "2025-03-03T00:00:00Z"},
        headers=quality,
    )
    assert backwards.json()["error"]["code"] == "trace.bad_window"
    naive = client.get(
        f"{API}/CNC-01/forward", params={"since": "2025-03-04T00:00:00"}, headers=quality
    )
    assert (naive.status_code, naive.json()["error"]["code"]) == (422, "trace.naive_time")
    garbage = client.get(f"{API}/CNC-01/forward", params={"since": "soon"}, headers=quality)
    assert (garbage.status_code, garbage.json()["error"]["code"]) == (422, "request.invalid")


@pytest.mark.parametrize(("role", "status"), [("auditor", 200), ("support", 200), ("station", 403)])
def test_trace_read_is_for_people_not_stations(
    client: TestClient, genealogy: Genealogy, as_role: Headers, role: str, status: int
) -> None:
    assert client.get(f"{API}/{H1}", headers=as_role(role)).status_code == status
    assert client.get(f"{API}/{H1}/forward").status_code == 401
