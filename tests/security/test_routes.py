"""The station API over HTTP: issuance, refusals committed with their audit entry, pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.config import Settings
from forgeline.security import licences
from forgeline.security.handsets import model_named
from forgeline.security.manifest import sign_manifest
from forgeline.security.releases import add_release_key
from forgeline.security.tables import DeviceIdentity, EolCheck, ImeiRecord
from tests.identities import station_headers
from tests.security.kit import ACTOR, DUAL, add_handsets, csr_for, tampered_csr
from tests.security.test_flash_eol_royalty import RELEASE_KEY, _release

API = "/api/v1/security"


def _ready(db: Session, uids: list[str]) -> None:
    add_handsets(db, db.info["revision"], uids, DUAL)
    licences.grant_pool(
        db, code="POOL-IN", licensor="SECVENDOR", model=model_named(db, DUAL), territory="IN",
        valid_from=date(2020, 1, 1), valid_until=date(2099, 1, 1), units=10, actor=ACTOR,
    )  # fmt: skip
    db.commit()


def test_station_provisions_and_a_refusal_is_committed(
    client: TestClient, db: Session, settings: Settings, pki: int
) -> None:
    db.info["revision"] = pki
    _ready(db, ["A1", "A2"])
    headers = station_headers(db, settings, "PRV-01")
    answer = client.post(
        f"{API}/identities", json={"unit": "A1", "csr": csr_for("A1"), "territory": "IN"},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert len(body["imeis"]) == 2 and body["certificate_pem"].startswith("-----BEGIN CERT")
    again = client.post(
        f"{API}/identities", json={"unit": "A1", "csr": csr_for("A1"), "territory": "IN"},
        headers=headers,
    )  # fmt: skip
    assert again.status_code == 409 and again.json()["error"]["code"] == "identity.exists"
    bad = client.post(
        f"{API}/identities", json={"unit": "A2", "csr": tampered_csr("A2"), "territory": "IN"},
        headers=headers,
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "csr.bad_signature"
    refusals = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "identity.issue.refused")
        .order_by(AuditEntry.seq)  # PostgreSQL returns rows in no set order without it
    ).all()
    assert [(e.actor, e.after["code"]) for e in refusals] == [  # type: ignore[index]
        ("station:PRV-01", "identity.exists"),
        ("station:PRV-01", "csr.bad_signature"),
    ]
    assert db.scalar(select(func.count()).select_from(DeviceIdentity)) == 1
    assert db.scalar(select(func.count()).select_from(ImeiRecord)) == 2

    wrong = client.post(f"{API}/imeis/check", json={"imei": "358291040000004"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "imei.bad_check_digit"
    issued = client.post(f"{API}/imeis/check", json={"imei": body["imeis"][0]}, headers=headers)
    assert issued.json()["status"] == "issued" and issued.json()["unit"] == "A1"
    assert db.scalar(select(func.count()).where(AuditEntry.action == "imei.check.refused")) == 1


def test_batch_and_console(
    client: TestClient,
    db: Session,
    settings: Settings,
    pki: int,
    as_role: Callable[[str], dict[str, str]],
) -> None:
    db.info["revision"] = pki
    _ready(db, ["B1", "B2"])
    headers = as_role("security")
    devices = [
        {"unit": "B1", "csr": csr_for("B1"), "territory": "IN"},
        {"unit": "B2", "csr": csr_for("B2"), "territory": "NP"},
    ]
    answer = client.post(f"{API}/identities/batch", json={"devices": devices}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["issued"], body["refused"]) == (1, 1)
    assert body["devices"][1]["error"]["code"] == "licence.no_pool"
    imei = body["devices"][0]["identity"]["imeis"][1]
    twice = client.post(
        f"{API}/identities/batch", json={"devices": [devices[0], devices[0]]}, headers=headers
    )
    assert twice.status_code == 422
    assert twice.json()["error"]["code"] == "identity.duplicate_in_batch"
    assert db.scalar(select(func.count()).where(AuditEntry.action == "identity.batch.refused")) == 1
    page = client.get(f"/provisioning?q={imei}", headers=headers)
    assert page.status_code == 200
    assert "B1" in page.text and "licence.no_pool" in page.text and "35829104" in page.text
    looked_up = client.get(f"{API}/identities/{imei}", headers=headers)
    assert looked_up.json()["unit_uid"] == "B1"
    crl = client.get(f"{API}/pki/crl.pem", headers=headers)
    assert crl.text.startswith("-----BEGIN X509 CRL")


def test_flash_and_end_of_line_over_http(
    client: TestClient, db: Session, settings: Settings, pki: int
) -> None:
    db.info["revision"] = pki
    _ready(db, ["C1"])
    raw = RELEASE_KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    add_release_key(db, "build", raw.hex(), ACTOR)
    db.commit()
    headers = station_headers(db, settings, "PRV-03")
    issued = client.post(
        f"{API}/identities", json={"unit": "C1", "csr": csr_for("C1"), "territory": "IN"},
        headers=headers,
    ).json()  # fmt: skip
    release = _release("3.0", 7)
    flash = {
        "unit": "C1", "manifest": release.document(),
        "signature": sign_manifest(RELEASE_KEY, release).hex(), "flashed": release.partitions,
    }  # fmt: skip
    assert client.post(f"{API}/flash", json=flash, headers=headers).status_code == 200
    older = _release("2.9", 6)
    rollback = {**flash, "manifest": older.document(),
                "signature": sign_manifest(RELEASE_KEY, older).hex()}  # fmt: skip
    refused = client.post(f"{API}/flash", json=rollback, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "manifest.rollback"

    facts = {
        "unit": "C1", "serial": "C1", "imeis": issued["imeis"], "boot_state": "verified",
        "bootloader_locked": True, "security_patch": "2026-06-05",
        "certificate_fingerprint": issued["fingerprint"],
    }  # fmt: skip
    passed = client.post(f"{API}/eol", json=facts, headers=headers)
    assert passed.status_code == 200 and passed.json()["verdict"] == "pass"
    swapped = client.post(
        f"{API}/eol", json={**facts, "imeis": list(reversed(issued["imeis"]))[:1]},
        headers=headers,
    )  # fmt: skip
    assert swapped.status_code == 409
    assert swapped.json()["error"]["code"] == "eol.imei_mismatch"
    assert db.scalars(select(EolCheck.verdict).order_by(EolCheck.id)).all() == ["pass", "fail"]
