"""The certificates page: issued certificates with their PDF, issuing one, checking a copy.

Verification takes an uploaded PDF and answers on the same page; issuing redirects back to the
list with the new certificate on top. Included by `quality.pages`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError, invalid
from forgeline.quality import coc, eightd
from forgeline.quality.certificate_routes import MAX_PDF_BYTES
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("quality.read"))]
Issuer = Annotated[Principal, Depends(require("certificate.issue"))]
LISTED = 100


def _page(
    request: Request,
    session: Session,
    *,
    error: DomainError | None = None,
    verification: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    rows, total = coc.list_certificates(session, limit=LISTED)
    return render(
        request,
        "quality/certificates.html",
        {
            "rows": rows,
            "total": total,
            "customers": eightd.customer_codes(session),
            "verification": verification,
            "error": error,
            "form": form or {},
        },
        status_code=error.kind.http_status if error else 200,
    )


@router.get("/quality/certificates", response_class=HTMLResponse)
def certificates(request: Request, session: SessionDep, _p: Reader) -> Response:
    return _page(request, session)


@router.post("/quality/certificates")
def issue(
    request: Request,
    session: SessionDep,
    principal: Issuer,
    customer: Annotated[str, Form(max_length=64)],
    work_order: Annotated[str, Form(max_length=64)],
) -> Response:
    form = {"customer": customer, "work_order": work_order}
    try:
        with session.begin_nested():
            coc.issue_certificate(
                session, customer=customer, work_order=work_order.strip(), actor=principal.actor
            )
    except DomainError as exc:
        return _page(request, session, error=exc, form=form)
    return RedirectResponse("/quality/certificates", status_code=303)


@router.post("/quality/certificates/verify")
async def verify(
    request: Request,
    session: SessionDep,
    _p: Reader,
    file: Annotated[UploadFile, File(description="the certificate PDF")],
) -> Response:
    data = await file.read(MAX_PDF_BYTES + 1)
    try:
        if len(data) > MAX_PDF_BYTES:
            raise invalid("certificate.too_large", "the file is larger than any certificate")
        answer = coc.verify_pdf(session, data)
    except DomainError as exc:
        return _page(request, session, error=exc)
    return _page(request, session, verification={**answer, "filename": file.filename or ""})
