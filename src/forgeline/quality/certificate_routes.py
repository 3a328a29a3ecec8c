"""Certificates of conformance (issue, read, PDF, verify) and the Q-DAS AQDEF export.

Verification takes the PDF itself as the request body (`Content-Type: application/pdf`), so a
brand's copy can be checked with one `curl --data-binary @file.pdf`.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from forgeline.api.deps import SessionDep
from forgeline.api.pagination import Page, PageDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError, ErrorKind
from forgeline.quality import coc, qdas
from forgeline.quality.schemas import (
    CertificateCreate,
    CertificateOut,
    QdasRequest,
    VerificationOut,
)
from forgeline.quality.tables import Certificate

router = APIRouter()
Reader = Annotated[Principal, Depends(require("quality.read"))]
Issuer = Annotated[Principal, Depends(require("certificate.issue"))]
MAX_PDF_BYTES = 20 * 1024 * 1024
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def certificate_out(row: Certificate) -> CertificateOut:
    return CertificateOut(
        code=row.code,
        customer=row.customer_code,
        product=row.product_code,
        scope=row.scope,
        unit_count=row.unit_count,
        sha256=row.sha256,
        issued_by=row.issued_by,
        issued_at=row.issued_at,
        summary=row.summary,
        pdf_url=f"/api/v1/quality/certificates/{row.code}/pdf",
    )


@router.post("/certificates", response_model=CertificateOut, status_code=201)
def issue_certificate(
    body: CertificateCreate, session: SessionDep, principal: Issuer
) -> CertificateOut:
    """Issue a certificate for a work order's finished units or a list of units."""
    row = coc.issue_certificate(
        session,
        customer=body.customer,
        work_order=body.work_order,
        units=body.units,
        actor=principal.actor,
    )
    return certificate_out(row)


@router.get("/certificates", response_model=Page[CertificateOut])
def list_certificates(
    session: SessionDep, page: PageDep, _p: Reader, customer: str | None = None
) -> Page[CertificateOut]:
    rows, total = coc.list_certificates(
        session, customer=customer, limit=page.limit, offset=page.offset
    )
    return Page[CertificateOut](
        items=[certificate_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/certificates/verify",
    response_model=VerificationOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def verify_certificate(request: Request, session: SessionDep, _p: Reader) -> VerificationOut:
    """Send a certificate PDF as the body: does it match one we issued, byte for byte?"""
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_PDF_BYTES:
            raise DomainError(
                "certificate.too_large",
                f"a certificate is at most {MAX_PDF_BYTES // (1024 * 1024)} MiB",
                kind=ErrorKind.TOO_LARGE,
            )
    return VerificationOut(**coc.verify_pdf(session, data))


@router.get("/certificates/{code}", response_model=CertificateOut)
def get_certificate(code: str, session: SessionDep, _p: Reader) -> CertificateOut:
    return certificate_out(coc.get_certificate(session, code))


@router.get("/certificates/{code}/pdf", response_class=Response)
def certificate_pdf(code: str, session: SessionDep, _p: Reader) -> Response:
    """The PDF exactly as issued (its SHA-256 is the certificate's)."""
    row = coc.get_certificate(session, code)
    return Response(
        bytes(row.pdf),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{row.code}.pdf"',
            "X-Content-SHA256": row.sha256,
        },
    )


@router.post("/qdas", response_class=Response)
def export_qdas(body: QdasRequest, session: SessionDep, _p: Reader) -> Response:
    """Measurements as Q-DAS AQDEF (K-field) text for the brand's SPC software."""
    export = qdas.export_qdas(
        session,
        characteristics=body.characteristics,
        work_order=body.work_order,
        certificate=body.certificate,
        units=body.units,
    )
    name = _UNSAFE_FILENAME.sub("_", export.product).strip("_") or "export"
    return Response(
        export.encoded(),
        media_type="text/plain; charset=iso-8859-1",
        headers={"Content-Disposition": f'attachment; filename="{name}.dfq"'},
    )
