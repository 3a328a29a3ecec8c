"""Identity issuance: CSR checks, binding, second identity refused, re-issue, openssl verify."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.config import Settings
from forgeline.errors import DomainError
from forgeline.security import licences
from forgeline.security.authority import chain_pem, init_pki, publish_crl, published_crl
from forgeline.security.handsets import model_named
from forgeline.security.identity import IdentityRequest, issue_identities, issue_one, reissue
from forgeline.security.pki import certificate_imeis
from forgeline.security.refusals import RefusalError, attempt
from forgeline.security.tables import (
    CertificateAuthority,
    DeviceIdentity,
    ImeiRecord,
    LicenceConsumption,
)
from tests.security.kit import ACTOR, DUAL, T0, add_handsets, csr_for, tampered_csr


def _pool(db: Session, units: int = 100, territory: str = "IN") -> None:
    licences.grant_pool(
        db, code=f"POOL-{territory}-{units}", licensor="SECVENDOR", model=model_named(db, DUAL),
        territory=territory, valid_from=date(2020, 1, 1), valid_until=date(2099, 1, 1),
        units=units, actor=ACTOR,
    )  # fmt: skip


def _refused_actions(db: Session) -> list[str]:
    return list(
        db.scalars(
            select(AuditEntry.after["code"].as_string()).where(AuditEntry.action.like("%.refused"))
        )
    )


def test_issue_binds_certificate_to_unit_imeis_and_licence(
    db: Session, settings: Settings, pki: int
) -> None:
    add_handsets(db, pki, ["H1"], DUAL)
    _pool(db)
    issued = issue_one(db, settings, IdentityRequest("H1", csr_for("H1"), "IN"), actor=ACTOR)
    cert = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
    assert cert.subject.rfc4514_string().startswith("CN=H1")
    assert certificate_imeis(cert) == list(issued.imeis) and len(issued.imeis) == 2
    row = db.scalars(select(DeviceIdentity)).one()
    assert row.unit_uid == "H1" and row.fingerprint == issued.fingerprint
    assert db.scalar(select(LicenceConsumption.unit_uid)) == "H1"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "identity.issued")).one()
    text = str(entry.after)
    assert "PRIVATE" not in text and "REQUEST" not in text and issued.serial_hex in text

    with pytest.raises(RefusalError) as second:
        issue_one(db, settings, IdentityRequest("H1", csr_for("H1"), "IN"), actor=ACTOR)
    assert second.value.code == "identity.exists"
    assert db.scalar(select(func.count()).select_from(DeviceIdentity)) == 1


@pytest.mark.parametrize(
    ("csr", "territory", "code"),
    [
        (lambda: tampered_csr("H2"), "IN", "csr.bad_signature"),
        (lambda: csr_for("H2", rsa.generate_private_key(65537, 2048)), "IN", "csr.wrong_key_type"),
        (
            lambda: csr_for("H2", ec.generate_private_key(ec.SECP384R1())),
            "IN",
            "csr.wrong_key_type",
        ),
        (lambda: csr_for("OTHER"), "IN", "csr.subject_mismatch"),
        (lambda: "not a csr", "IN", "csr.malformed"),
        (lambda: csr_for("H2"), "PK", "licence.territory_not_licensed"),
        (lambda: csr_for("H2"), "LK", "licence.no_pool"),
    ],
)
def test_bad_requests_write_nothing_but_an_audited_refusal(
    db: Session, settings: Settings, pki: int, csr: object, territory: str, code: str
) -> None:
    add_handsets(db, pki, ["H2"], DUAL)
    _pool(db)
    with pytest.raises(RefusalError) as refused:
        issue_one(db, settings, IdentityRequest("H2", csr(), territory), actor=ACTOR)  # type: ignore[operator]
    assert refused.value.code == code
    for table in (DeviceIdentity, ImeiRecord, LicenceConsumption):
        assert db.scalar(select(func.count()).select_from(table)) == 0
    assert _refused_actions(db) == [code]


def test_batch_grants_up_to_the_pool_and_refuses_the_rest(
    db: Session, settings: Settings, pki: int
) -> None:
    uids = [f"B{i}" for i in range(5)]
    add_handsets(db, pki, uids, DUAL)
    _pool(db, units=3)
    outcomes, _ = issue_identities(
        db, settings, [IdentityRequest(u, csr_for(u), "IN") for u in uids], actor=ACTOR
    )
    assert [o.issued is not None for o in outcomes] == [True, True, True, False, False]
    assert {o.error.code for o in outcomes if o.error} == {"licence.pool_exhausted"}
    assert db.scalar(select(func.count()).select_from(ImeiRecord)) == 6


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def test_chain_verifies_with_openssl_and_reissue_revokes_on_the_crl(
    db: Session, settings: Settings, pki: int, tmp_path: Path
) -> None:
    add_handsets(db, pki, ["H3"], DUAL)
    _pool(db)
    first = issue_one(db, settings, IdentityRequest("H3", csr_for("H3"), "IN"), actor=ACTOR)
    root, intermediate = chain_pem(db)
    files = {"root.pem": root, "ca.pem": intermediate, "old.pem": first.certificate_pem}
    for name, pem in files.items():
        (tmp_path / name).write_text(pem)
    base = ["verify", "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "ca.pem")]
    ok = _openssl(*base, str(tmp_path / "old.pem"))
    assert ok.returncode == 0 and ": OK" in ok.stdout, ok.stderr

    second = reissue(db, settings, "H3", csr_for("H3"), "key rotated", ACTOR)
    assert second.imeis == first.imeis and second.serial_hex != first.serial_hex
    (tmp_path / "new.pem").write_text(second.certificate_pem)
    publish_crl(db, settings, ACTOR, kind="root")
    crls = published_crl(db) + published_crl(db, "root")
    (tmp_path / "crl.pem").write_text(crls)
    crl_args = [*base, "-crl_check_all", "-CRLfile", str(tmp_path / "crl.pem")]
    revoked = _openssl(*crl_args, str(tmp_path / "old.pem"))
    assert revoked.returncode != 0 and "revoked" in (revoked.stdout + revoked.stderr)
    fresh = _openssl(*crl_args, str(tmp_path / "new.pem"))
    assert fresh.returncode == 0, fresh.stderr
    statuses = dict(db.execute(select(DeviceIdentity.serial_hex, DeviceIdentity.status)).all())
    assert statuses == {first.serial_hex: "revoked", second.serial_hex: "active"}
    assert db.scalar(select(func.count()).select_from(LicenceConsumption)) == 1


def test_root_key_is_encrypted_and_needs_its_passphrase(
    db: Session, settings: Settings, plant: int
) -> None:
    init_pki(db, settings, ACTOR, root_passphrase="correct horse battery staple")
    keys = db.scalars(select(CertificateAuthority.encrypted_key_pem)).all()
    assert all(k and k.startswith("-----BEGIN ENCRYPTED PRIVATE KEY") for k in keys)
    for given, code in (
        (None, "pki.passphrase_required"),
        ("wrong passphrase!", "pki.bad_passphrase"),
    ):
        with pytest.raises(DomainError) as refused:
            publish_crl(db, settings, ACTOR, kind="root", passphrase=given)
        assert refused.value.code == code
    crl = publish_crl(db, settings, ACTOR, kind="root", passphrase="correct horse battery staple")
    assert (
        x509.load_pem_x509_crl(crl.encode())
        .extensions.get_extension_for_class(x509.CRLNumber)
        .value.crl_number
        == 2
    )
    with pytest.raises(DomainError) as again:
        init_pki(db, settings, ACTOR)
    assert again.value.code == "pki.already_initialised"


def test_expired_pool_refuses_with_its_own_code(db: Session, settings: Settings, pki: int) -> None:
    add_handsets(db, pki, ["X1"], DUAL)
    licences.grant_pool(
        db, code="OLD", licensor="SECVENDOR", model=model_named(db, DUAL), territory="IN",
        valid_from=date(2020, 1, 1), valid_until=date(2021, 1, 1), units=5, actor=ACTOR,
    )  # fmt: skip
    with pytest.raises(RefusalError) as refused:
        issue_one(db, settings, IdentityRequest("X1", csr_for("X1"), "IN"), actor=ACTOR)
    assert refused.value.code == "licence.pool_expired"


def test_a_constraint_that_fires_is_an_audited_refusal(db: Session, plant: int) -> None:
    """What a concurrent request for the same unit meets on PostgreSQL: a unique index."""
    add_handsets(db, plant, ["K1"], DUAL)
    row = {"imei": "358291040000005", "tac": "35829104", "model_code": DUAL, "unit_uid": "K1",
           "slot": 1, "status": "issued", "issued_at": T0}  # fmt: skip
    db.add(ImeiRecord(**row))
    db.flush()
    with (
        pytest.raises(RefusalError) as refused,
        attempt(
            db, actor=ACTOR, action="imei.allocate", object_type="unit", object_id="K1", asked={}
        ),
    ):
        db.add(ImeiRecord(**row))
        db.flush()
    assert refused.value.code == "security.concurrent_change"
    assert db.scalar(select(func.count()).select_from(ImeiRecord)) == 1  # session still usable
    assert _refused_actions(db) == ["security.concurrent_change"]
