"""The audit API: listing, single entries, inclusion proofs a client can check, head, verify."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from forgeline.audit import merkle
from forgeline.audit.checkpoint import checkpoint
from forgeline.config import Settings
from tests.audit.conftest import fill
from tests.identities import make_user, signed_in_headers

API = "/api/v1/audit"


@pytest.fixture
def auditor(db: Session, settings: Settings) -> dict[str, str]:
    make_user(db, "ines", ["auditor"])
    return signed_in_headers(db, settings, "ines")


@pytest.fixture
def admin(db: Session, settings: Settings) -> dict[str, str]:
    make_user(db, "root", ["admin"])
    return signed_in_headers(db, settings, "root")


def _leaf_from_api_entry(entry: dict[str, object]) -> bytes:
    """What a client does with an entry from the API: rebuild the leaf per docs/audit.md."""
    document = {
        key: entry[key]
        for key in (
            "seq",
            "actor",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
            "request_id",
        )
    }
    # The API may write UTC as Z; the leaf uses Python's isoformat, +00:00.
    at = datetime.fromisoformat(str(entry["at"]).replace("Z", "+00:00"))
    document["at"] = at.isoformat(timespec="microseconds")
    data = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return merkle.leaf_hash(data.encode())


def test_entries_are_listed_newest_first_and_filtered(
    client: TestClient, db: Session, auditor: dict[str, str]
) -> None:
    fill(db, 10)
    db.commit()
    body = client.get(f"{API}/entries", params={"limit": 3}, headers=auditor).json()
    seqs = [item["seq"] for item in body["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert (body["limit"], body["offset"]) == (3, 0)
    assert body["total"] >= 10

    body = client.get(
        f"{API}/entries",
        params={"object_type": "unit", "object_id": "CG-000004"},
        headers=auditor,
    ).json()
    assert [(i["object_id"], i["action"]) for i in body["items"]] == [
        ("CG-000004", "unit.track_out")
    ]

    body = client.get(
        f"{API}/entries",
        params={"action": "unit.track_in", "actor": "station:CNC-01"},
        headers=auditor,
    ).json()
    assert body["total"] == 2  # entries 1 and 7 of the fill
    assert {i["object_id"] for i in body["items"]} == {"CG-000001", "CG-000007"}


def test_time_filters_need_a_timezone(client: TestClient, auditor: dict[str, str]) -> None:
    answer = client.get(f"{API}/entries", params={"since": "2024-01-01T00:00:00"}, headers=auditor)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "audit.naive_time"
    answer = client.get(f"{API}/entries", params={"since": "2000-01-01T00:00:00Z"}, headers=auditor)
    assert answer.status_code == 200


def test_missing_entry_is_404(client: TestClient, auditor: dict[str, str]) -> None:
    answer = client.get(f"{API}/entries/999999", headers=auditor)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "audit.entry_not_found"


def test_inclusion_proof_checks_out_for_a_client(
    client: TestClient, db: Session, settings: Settings, auditor: dict[str, str]
) -> None:
    fill(db, 9)
    signed = checkpoint(db, settings, "user:root").checkpoint
    db.commit()
    for seq in (1, 5, signed.tree_size):
        entry = client.get(f"{API}/entries/{seq}", headers=auditor).json()
        proof = client.get(f"{API}/entries/{seq}/proof", headers=auditor).json()
        leaf = _leaf_from_api_entry(entry)
        assert leaf.hex() == entry["leaf_hash"] == proof["leaf_hash"]
        assert proof["tree_size"] == signed.tree_size
        assert proof["checkpoint"]["root_hash"] == proof["root_hash"] == signed.root_hash.hex()
        assert merkle.verify_inclusion(
            proof["leaf_index"],
            proof["tree_size"],
            leaf,
            [bytes.fromhex(p) for p in proof["audit_path"]],
            bytes.fromhex(proof["root_hash"]),
        )


def test_proof_against_a_size_outside_the_log_is_refused(
    client: TestClient, db: Session, auditor: dict[str, str]
) -> None:
    fill(db, 4)
    db.commit()
    answer = client.get(f"{API}/entries/3/proof", params={"tree_size": 2}, headers=auditor)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "audit.tree_size_invalid"


def test_admin_checkpoints_and_head_reports_it(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    fill(db, 3)
    db.commit()
    answer = client.post(f"{API}/checkpoints", headers=admin)
    assert answer.status_code == 201, answer.text
    signed = answer.json()
    head = client.get(f"{API}/head", headers=admin).json()
    assert head["latest_checkpoint"] == signed
    assert head["tree_size"] == signed["tree_size"] + 1  # the checkpoint's own entry
    entry = client.get(f"{API}/entries/{head['tree_size']}", headers=admin).json()
    assert (entry["action"], entry["actor"]) == ("audit.checkpoint", "user:root")


def test_auditor_may_read_but_not_checkpoint(client: TestClient, auditor: dict[str, str]) -> None:
    assert client.get(f"{API}/head", headers=auditor).status_code == 200
    answer = client.post(f"{API}/checkpoints", headers=auditor)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "auth.forbidden"


def test_operator_may_not_read_the_log(client: TestClient, db: Session, settings: Settings) -> None:
    make_user(db, "otto", ["operator"])
    headers = signed_in_headers(db, settings, "otto")
    assert client.get(f"{API}/entries", headers=headers).status_code == 403
    assert client.get(f"{API}/entries").status_code == 401


def test_verify_endpoint_names_the_edited_entry(
    client: TestClient, db: Session, settings: Settings, auditor: dict[str, str]
) -> None:
    fill(db, 6)
    checkpoint(db, settings, "user:root")
    db.commit()
    assert client.get(f"{API}/verify", headers=auditor).json()["ok"] is True
    seq = db.execute(text("SELECT seq FROM audit_entry WHERE object_id = 'CG-000003'")).scalar()
    db.execute(text("UPDATE audit_entry SET after = NULL WHERE seq = :s"), {"s": seq})
    db.commit()
    report = client.get(f"{API}/verify", headers=auditor).json()
    assert report["ok"] is False
    assert report["first"] == {
        "kind": "edited",
        "first_seq": seq,
        "last_seq": seq,
        "message": f"entry {seq} was edited",
    }
