"""Certificates of conformance: issue one for a brand customer's units, and verify a copy.

A shipment lot does not exist yet (logistics comes later), so a certificate's scope is a brand
customer plus a set of units: a work order's finished, unheld units, or an explicit list (every
one of which must be finished and free of holds). The certificate states the product, the
material lots and ion-exchange cycles with quantities, every critical characteristic's mean,
range, Cpk and Ppk over the units' measurements, and the sampling results recorded against the
work order, the lots and the cycles. It refuses to certify a rejected sample or an out-of-spec
measurement.

Signing: the SHA-256 of the PDF bytes goes into the certificate row and into the audit log's
`certificate.issued` entry (itself in the signed Merkle log); `verify_pdf` recomputes the hash
of a copy and checks both. Never commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.audit.tables import AuditEntry
from forgeline.db.base import utcnow
from forgeline.errors import invalid, not_found
from forgeline.production.catalog import catalogs
from forgeline.production.tables import Unit, WorkOrder
from forgeline.quality.coc_content import gather
from forgeline.quality.coc_pdf import render_pdf
from forgeline.quality.tables import Certificate, CertificateUnit
from forgeline.quality.units import MAX_UNITS, unit_ids

ISSUED = "certificate.issued"


def _work_order_units(session: Session, code: str) -> tuple[WorkOrder, dict[str, int]]:
    order = session.scalars(select(WorkOrder).where(WorkOrder.code == code)).first()
    if order is None:
        raise not_found("workorder.not_found", f"no work order {code!r}", certificate=code)
    rows = session.execute(
        select(Unit.uid, Unit.id)
        .where(Unit.work_order_id == order.id, Unit.status == "finished", Unit.hold_count == 0)
        .order_by(Unit.uid)
        .limit(MAX_UNITS + 1)
    ).all()
    if not rows:
        raise invalid(
            "certificate.no_units",
            f"work order {code} has no finished, unheld units to certify",
            work_order=code,
        )
    if len(rows) > MAX_UNITS:
        raise invalid(
            "quality.too_many_units",
            f"over {MAX_UNITS} units; certify a smaller set",
            max=MAX_UNITS,
        )
    return order, {uid: int(i) for uid, i in rows}


def _check_units(session: Session, ids: Sequence[int]) -> tuple[str, int]:
    """Every unit finished, unheld, of one product; (that product, the newest revision)."""
    bad: list[str] = []
    products: set[str] = set()
    revision = 0
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(
                Unit.uid, Unit.status, Unit.hold_count, Unit.product_code, Unit.plant_revision
            ).where(Unit.id.in_(ids[start : start + 1000]))
        )
        for uid, status, hold_count, product, rev in rows:
            products.add(product)
            revision = max(revision, int(rev))
            if status != "finished" or hold_count:
                bad.append(f"{uid} ({'on hold' if hold_count else status})")
    if bad:
        raise invalid(
            "certificate.units_not_conforming",
            f"only finished units free of holds can be certified: {', '.join(bad[:20])}",
            units=bad[:20],
        )
    if len(products) != 1:
        raise invalid(
            "certificate.mixed_products",
            f"a certificate covers one product; these units are {', '.join(sorted(products))}",
            products=sorted(products),
        )
    return products.pop(), revision


def issue_certificate(
    session: Session,
    *,
    customer: str,
    actor: str,
    work_order: str | None = None,
    units: Sequence[str] = (),
) -> Certificate:
    """Issue a certificate for a work order's units or a list of units; audited with its hash."""
    if (work_order is None) == (not units):
        raise invalid(
            "certificate.scope_required", "give either a work order or a list of units, not both"
        )
    order: WorkOrder | None = None
    if work_order is not None:
        order, found = _work_order_units(session, work_order.strip())
        scope: dict[str, Any] = {"work_order": order.code}
    else:
        found = unit_ids(session, units)
        scope = {"units": list(found)}
    product, revision = _check_units(session, list(found.values()))
    plant = catalogs(session, [revision])[revision].definition
    owner = plant.product(product).customer
    if owner != customer:
        raise invalid(
            "certificate.wrong_customer",
            f"{product} is made for {owner}, not for {customer}",
            product=product,
            customer=owner,
        )
    certificate = Certificate(
        code=f"COC-new-{secrets.token_hex(8)}",
        customer_code=customer,
        product_code=product,
        work_order_id=order.id if order else None,
        scope=scope,
        unit_count=len(found),
        summary={},
        sha256=secrets.token_hex(32),  # replaced by the PDF's hash below
        pdf=b"",
        issued_by=actor,
        issued_at=utcnow(),
    )
    session.add(certificate)
    session.flush()
    certificate.code = f"COC-{certificate.id:06d}"
    session.execute(
        insert(CertificateUnit),
        [{"certificate_id": certificate.id, "unit_id": i} for i in found.values()],
    )
    content = gather(session, certificate, plant, list(found))
    pdf = render_pdf(content)
    certificate.summary = content.as_dict()
    certificate.pdf = pdf
    certificate.sha256 = hashlib.sha256(pdf).hexdigest()
    session.flush()
    append(
        session,
        actor=actor,
        action=ISSUED,
        object_type="certificate",
        object_id=certificate.code,
        after={
            "sha256": certificate.sha256,
            "customer": customer,
            "product": product,
            "scope": {"work_order": order.code} if order else {"units": len(found)},
            "units": len(found),
            "bytes": len(pdf),
        },
    )
    return certificate


def get_certificate(session: Session, code: str) -> Certificate:
    found = session.scalars(select(Certificate).where(Certificate.code == code)).first()
    if found is None:
        raise not_found("certificate.not_found", f"no certificate {code!r}", certificate=code)
    return found


def list_certificates(
    session: Session, *, customer: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Certificate], int]:
    query = select(Certificate)
    if customer:
        query = query.where(Certificate.customer_code == customer)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Certificate.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total)


def verify_pdf(session: Session, data: bytes) -> dict[str, Any]:
    """Does this PDF match, byte for byte, a certificate we issued (row and audit entry)?"""
    if not data.startswith(b"%PDF-"):
        raise invalid("certificate.not_a_pdf", "the file is not a PDF")
    digest = hashlib.sha256(data).hexdigest()
    certificate = session.scalars(select(Certificate).where(Certificate.sha256 == digest)).first()
    if certificate is None:
        return {
            "valid": False,
            "sha256": digest,
            "reason": "no certificate was issued with this content; the file differs from "
            "every certificate on record",
        }
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == ISSUED, AuditEntry.object_id == certificate.code
        )
    ).first()
    audited = entry is not None and (entry.after or {}).get("sha256") == digest
    return {
        "valid": audited,
        "sha256": digest,
        "certificate": certificate.code,
        "customer": certificate.customer_code,
        "product": certificate.product_code,
        "units": certificate.unit_count,
        "issued_at": certificate.issued_at.isoformat(),
        "issued_by": certificate.issued_by,
        "audit_seq": entry.seq if entry is not None else None,
        "reason": None if audited else "the certificate row and the audit log disagree",
    }
