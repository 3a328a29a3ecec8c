"""Signed manifests and flash reports, the end-of-line verdict, royalty statements."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.config import Settings
from forgeline.security import licences, statements
from forgeline.security.eol import Attestation, check_end_of_line, set_minimum_patch
from forgeline.security.handsets import model_named
from forgeline.security.identity import IdentityRequest, issue_identities
from forgeline.security.manifest import Manifest, sign_manifest
from forgeline.security.refusals import RefusalError
from forgeline.security.releases import accept_flash, add_release_key
from forgeline.security.royalty import Quarter, compute_statement, statement_csv
from forgeline.security.tables import DeviceIdentity, EolCheck, FlashRecord
from tests.security.kit import ACTOR, DUAL, SINGLE, add_handsets, csr_for

RELEASE_KEY = Ed25519PrivateKey.generate()
IMAGES = {"boot": b"boot image", "system": b"system image", "vbmeta": b"vbmeta"}


def _release(version: str, rollback: int, patch: date = date(2026, 6, 5)) -> Manifest:
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in IMAGES.items()}
    return Manifest(DUAL, version, patch, rollback, hashes)


def _register(db: Session) -> None:
    raw = RELEASE_KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    add_release_key(db, "build-2026", raw.hex(), ACTOR)


def _flash(db: Session, unit: str, manifest: Manifest, **override: object) -> dict[str, object]:
    document = manifest.document()
    signature = sign_manifest(RELEASE_KEY, manifest).hex()
    flashed = dict(manifest.partitions)
    args: dict[str, object] = {"document": document, "signature_hex": signature, "flashed": flashed}
    args.update(override)
    return accept_flash(db, unit=unit, actor=ACTOR, station="FLS-01", **args)  # type: ignore[arg-type]


def test_flash_checks_signature_hashes_and_rollback(db: Session, plant: int) -> None:
    add_handsets(db, plant, ["F1", "F2", "F3"], DUAL)
    _register(db)
    assert _flash(db, "F1", _release("1.2.0", 5))["rollback_index"] == 5
    tampered = _release("1.2.1", 6).document()
    tampered["security_patch"] = "2026-07-05"
    cases = [
        (
            {
                "document": tampered,
                "signature_hex": sign_manifest(RELEASE_KEY, _release("1.2.1", 6)).hex(),
            },
            "manifest.bad_signature",
        ),
        (
            {"flashed": {**_release("1.3", 6).partitions, "boot": "0" * 64}},
            "manifest.hash_mismatch",
        ),
    ]
    for override, code in cases:
        with pytest.raises(RefusalError) as refused:
            _flash(db, "F2", _release("1.3", 6), **override)
        assert refused.value.code == code
    with pytest.raises(RefusalError) as rollback:
        _flash(db, "F2", _release("1.1.0", 4))
    assert rollback.value.code == "manifest.rollback"
    assert db.scalar(select(func.count()).select_from(FlashRecord)) == 1
    refusals = db.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "manifest.check.refused")
    )
    assert len(refusals.all()) == 3
    assert _flash(db, "F3", _release("1.3.0", 6))["version"] == "1.3.0"


def _provisioned(db: Session, settings: Settings, uids: list[str], territory: str = "IN") -> None:
    outcomes, _ = issue_identities(
        db, settings, [IdentityRequest(u, csr_for(u), territory) for u in uids], actor=ACTOR
    )
    assert all(o.issued for o in outcomes), [o.error for o in outcomes]


def _pool(db: Session, model: str, territory: str, units: int = 50) -> None:
    licences.grant_pool(
        db, code=f"P-{model}-{territory}", licensor="SECVENDOR", model=model_named(db, model),
        territory=territory, valid_from=date(2020, 1, 1), valid_until=date(2099, 1, 1),
        units=units, actor=ACTOR,
    )  # fmt: skip


def test_end_of_line_verdicts_are_recorded(db: Session, settings: Settings, pki: int) -> None:
    add_handsets(db, pki, ["E1"], DUAL)
    _pool(db, DUAL, "IN")
    _register(db)
    _provisioned(db, settings, ["E1"])
    _flash(db, "E1", _release("2.0", 1))
    set_minimum_patch(db, DUAL, date(2026, 6, 1), ACTOR)
    identity = db.scalars(select(DeviceIdentity)).one()
    good = Attestation(
        "E1", "E1", list(identity.imeis), "verified", True, date(2026, 6, 5), identity.fingerprint
    )
    assert check_end_of_line(db, good, ACTOR).passed
    swapped = Attestation(
        "E1", "E1", [identity.imeis[0], "358291049999996"], "verified", False,
        date(2026, 6, 5), identity.fingerprint,
    )  # fmt: skip
    verdict = check_end_of_line(db, swapped, ACTOR)
    assert [r["code"] for r in verdict.reasons] == ["eol.imei_mismatch", "eol.bootloader_unlocked"]
    assert verdict.error().code == "eol.imei_mismatch"
    assert db.scalars(select(EolCheck.verdict).order_by(EolCheck.id)).all() == ["pass", "fail"]


def test_royalty_statement_reconciles_with_provisioned_devices(
    db: Session, settings: Settings, pki: int
) -> None:
    add_handsets(db, pki, [f"R{i}" for i in range(5)], DUAL)
    add_handsets(db, pki, [f"Q{i}" for i in range(3)], SINGLE)
    _pool(db, DUAL, "IN")
    _pool(db, DUAL, "BD")
    _pool(db, SINGLE, "LK")
    _provisioned(db, settings, ["R0", "R1", "R2"], "IN")
    _provisioned(db, settings, ["R3", "R4"], "BD")
    _provisioned(db, settings, ["Q0", "Q1", "Q2"], "LK")
    statements.set_terms(
        db, licensor="SECVENDOR", name="Security vendor", currency="USD",
        rate=Decimal("1.375"), minimum=Decimal("20.00"), actor=ACTOR,
    )  # fmt: skip
    now = db.scalar(select(func.max(DeviceIdentity.issued_at)))
    assert now is not None
    quarter = f"{now.year}Q{(now.month - 1) // 3 + 1}"
    result = statements.statement(db, "SECVENDOR", quarter)
    provisioned = db.scalar(select(func.count(func.distinct(DeviceIdentity.unit_uid))))
    assert result.total_units == provisioned == 8
    assert {(line.model, line.territory): line.units for line in result.lines} == {
        (DUAL, "BD"): 2, (DUAL, "IN"): 3, (SINGLE, "LK"): 3,
    }  # fmt: skip
    assert result.earned == Decimal("11.01")  # 2.75 + 4.13 + 4.13 (each line rounded half up)
    assert sum(line.amount for line in result.lines) == result.earned
    assert result.true_up == Decimal("8.99") and result.payable == Decimal("20.00")
    csv_text = statement_csv(result)
    assert "payable" in csv_text and "20.00" in csv_text
    pdf = PdfReader(io.BytesIO(statements.statement_pdf(result)))
    assert "20.00 USD" in pdf.pages[0].extract_text()
    empty = statements.statement(db, "SECVENDOR", "2019Q1")
    assert empty.total_units == 0 and empty.payable == Decimal("20.00")


@given(
    st.dictionaries(
        st.tuples(
            st.sampled_from(["SNT-S1", "SNT-S1P"]), st.sampled_from(["IN", "LK", "NP", "BD"])
        ),
        st.integers(min_value=0, max_value=10**6),
    ),
    st.decimals(min_value=0, max_value=100, places=4),
    st.decimals(min_value=0, max_value=10**7, places=2),
)
def test_statement_lines_sum_and_payable_is_never_below_the_minimum(
    units: dict[tuple[str, str], int], rate: Decimal, minimum: Decimal
) -> None:
    s = compute_statement("L", Quarter(2026, 3), "USD", rate, minimum, units)
    assert s.total_units == sum(units.values())
    assert s.earned == sum((line.amount for line in s.lines), Decimal("0"))
    assert s.payable == max(s.earned, minimum.quantize(Decimal("0.01")))
    assert s.true_up >= 0 and s.payable == s.earned + s.true_up


def test_quarter_arithmetic() -> None:
    q = Quarter.parse("2026q3")
    assert (q.start, q.end) == (date(2026, 7, 1), date(2026, 10, 1))
    assert Quarter.parse("2026Q4").end == date(2027, 1, 1)
    s = compute_statement("L", q, "USD", Decimal("0.5"), Decimal("0"), {("M", "IN"): 3})
    assert s.earned == Decimal("1.50") and s.true_up == Decimal("0.00")
