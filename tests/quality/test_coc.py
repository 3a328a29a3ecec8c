"""Certificates of conformance: content, refusals, signing, verification."""

from __future__ import annotations

import hashlib
import io
import statistics

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.errors import DomainError
from forgeline.production.tables import Measurement, Unit
from forgeline.quality import coc
from forgeline.quality.certificate_stats import characteristic_stats
from forgeline.quality.sampling_results import record_result
from tests.quality.conftest import CS, DOL, FINISHED, HELD, WAITING, Plant


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_work_order_certificate_states_lots_cycles_stats_and_sampling(
    db: Session, plant: Plant
) -> None:
    record_result(
        db, subject_type="batch", subject=plant.batch, test="ring-on-ring", lot_size=3000,
        aql="0.65", nonconforming=1, actor="user:lab", characteristic="ROR",
    )  # fmt: skip
    cert = coc.issue_certificate(
        db, customer="AURORA", work_order=plant.work_order, actor="user:qe"
    )
    assert cert.code == f"COC-{cert.id:06d}" and cert.unit_count == 6  # not waiting, not held
    assert cert.sha256 == hashlib.sha256(cert.pdf).hexdigest()
    summary = cert.summary
    assert [lot["code"] for lot in summary["lots"]] == ["SL-Q1"]
    assert summary["lots"][0]["units"] == 6
    assert [(c["code"], c["bath"], c["units"]) for c in summary["cycles"]] == [
        ("IOX-Q1", "BATH-Q1", 6)
    ]
    stats = {c["code"]: c for c in summary["characteristics"]}
    assert stats["CS"]["n"] == 6 and stats["CS"]["mean"] == pytest.approx(statistics.fmean(CS))
    assert stats["CS"]["range"] == pytest.approx(max(CS) - min(CS))
    assert stats["CS"]["lsl"] == 700 and stats["CS"]["usl"] == 950  # the product's override
    assert stats["DOL"]["cpk"] == pytest.approx(characteristic_stats(DOL, 20, 100).cpk)
    assert stats["THK"]["n"] == 6
    assert stats["CT"]["n"] == 0 and stats["CT"]["cpk"] is None  # critical, not measured
    assert summary["sampling"][0]["decision"] == "accept"

    text = pdf_text(cert.pdf)
    for expected in (
        "Certificate of Conformance", cert.code, "Aurora Mobile (AURORA)", "CG-AUR-A55",
        "Work order WO-QA-1", "6 units", "SL-Q1", "IOX-Q1", "BATH-Q1", "Compressive",
        f"{statistics.fmean(CS):.5g}", "ring-on-ring", "accept", FINISHED[0],
    ):  # fmt: skip
        assert expected in text, expected
    assert HELD not in text and WAITING not in text


def test_issue_is_audited_with_the_hash_and_a_copy_verifies(db: Session, plant: Plant) -> None:
    cert = coc.issue_certificate(db, customer="AURORA", units=FINISHED[:3], actor="user:qe")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.object_id == cert.code)).one()
    assert entry.action == "certificate.issued" and entry.after is not None
    assert entry.after["sha256"] == cert.sha256
    answer = coc.verify_pdf(db, bytes(cert.pdf))
    assert answer["valid"] is True and answer["certificate"] == cert.code
    assert answer["audit_seq"] == entry.seq


def test_a_changed_pdf_does_not_verify(db: Session, plant: Plant) -> None:
    cert = coc.issue_certificate(db, customer="AURORA", units=FINISHED[:3], actor="user:qe")
    original = bytes(cert.pdf)
    middle = len(original) // 2
    tampered = original[:middle] + bytes([original[middle] ^ 1]) + original[middle + 1 :]
    answer = coc.verify_pdf(db, tampered)
    assert answer["valid"] is False and "certificate" not in answer
    with pytest.raises(DomainError) as caught:
        coc.verify_pdf(db, b"hello")
    assert caught.value.code == "certificate.not_a_pdf"


def test_verify_notices_a_row_edited_behind_the_audit_log(db: Session, plant: Plant) -> None:
    cert = coc.issue_certificate(db, customer="AURORA", units=FINISHED[:2], actor="user:qe")
    forged = bytes(cert.pdf) + b"\n%forged"
    cert.sha256 = hashlib.sha256(forged).hexdigest()
    db.flush()
    answer = coc.verify_pdf(db, forged)
    assert answer["valid"] is False and answer["certificate"] == cert.code


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"units": [WAITING]}, "certificate.units_not_conforming"),
        ({"units": [HELD]}, "certificate.units_not_conforming"),
        ({"units": [FINISHED[0]], "customer": "KESTREL"}, "certificate.wrong_customer"),
        ({"units": [FINISHED[0]], "work_order": "WO-QA-1"}, "certificate.scope_required"),
        ({}, "certificate.scope_required"),
        ({"work_order": "WO-NONE"}, "workorder.not_found"),
        ({"units": ["nope"]}, "unit.unknown"),
    ],
)
def test_refusals(db: Session, plant: Plant, kw: dict[str, object], code: str) -> None:
    args: dict[str, object] = {"customer": "AURORA", "actor": "user:qe", **kw}
    with pytest.raises(DomainError) as caught:
        coc.issue_certificate(db, **args)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_a_rejected_sample_or_an_out_of_spec_value_is_not_certified(
    db: Session, plant: Plant
) -> None:
    record_result(
        db, subject_type="lot", subject=plant.lot, test="sheet bow", lot_size=500, aql="1.0",
        nonconforming=3, actor="user:lab",
    )  # fmt: skip
    with pytest.raises(DomainError) as rejected:
        coc.issue_certificate(db, customer="AURORA", units=FINISHED[:2], actor="user:qe")
    assert rejected.value.code == "certificate.sampling_rejected"

    unit_id = db.scalar(select(Unit.id).where(Unit.uid == FINISHED[5]))
    low = db.scalars(
        select(Measurement).where(
            Measurement.unit_id == unit_id, Measurement.characteristic_code == "CS"
        )
    ).one()
    low.value = 650.0
    db.flush()
    with pytest.raises(DomainError) as out:
        coc.issue_certificate(db, customer="AURORA", units=[FINISHED[5]], actor="user:qe")
    assert out.value.code in {"certificate.out_of_spec", "certificate.sampling_rejected"}


def test_capability_helper() -> None:
    stats = characteristic_stats([1.0, 2.0, 3.0, 2.0], lsl=0.0, usl=4.0)
    assert stats.n == 4 and stats.mean == 2.0 and stats.range == 2.0
    # MR-bar = 1, sigma within = 1 / 1.128, Cpk = 2 / (3 sigma)
    assert stats.cpk == pytest.approx(2 * 1.128 / 3)
    assert stats.ppk == pytest.approx(2 / (3 * statistics.stdev([1.0, 2.0, 3.0, 2.0])))
    flat = characteristic_stats([5.0, 5.0, 5.0], lsl=4.0, usl=6.0)
    assert flat.cpk is None and flat.ppk is None and flat.range == 0.0
    assert characteristic_stats([], 0.0, 1.0).mean is None
    one_sided = characteristic_stats([10.0, 11.0], lsl=None, usl=20.0)
    assert one_sided.cpk == pytest.approx((20 - 10.5) * 1.128 / 3)
    assert characteristic_stats([float("nan"), 1.0], 0.0, 2.0).n == 1
