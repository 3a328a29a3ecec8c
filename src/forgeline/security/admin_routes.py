"""Security administration API: the PKI chain and CRL, licence pools, release keys, the
minimum patch level, royalty statements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from forgeline.api.deps import SessionDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.security import licences, statements
from forgeline.security.authority import chain_pem, published_crl
from forgeline.security.handsets import model_named
from forgeline.security.royalty import statement_csv
from forgeline.security.schemas import PoolIn, PoolOut, StatementLineOut, StatementOut

router = APIRouter(prefix="/security", tags=["security"])
Manager = Annotated[Principal, Depends(require("security.manage"))]
Reader = Annotated[Principal, Depends(require("security.read"))]
Anyone = Annotated[Principal, Depends(require("plant.read"))]
RoyaltyReader = Annotated[Principal, Depends(require("royalty.read"))]
PEM = "application/x-pem-file"


@router.get("/pki/chain.pem", response_class=Response)
def pki_chain(session: SessionDep, _principal: Anyone) -> Response:
    """The intermediate then the root certificate, PEM: what a verifier needs."""
    root, intermediate = chain_pem(session)
    return Response(intermediate + root, media_type=PEM)


@router.get("/pki/crl.pem", response_class=Response)
def pki_crl(session: SessionDep, _principal: Anyone, ca: str = "intermediate") -> Response:
    """The latest published CRL of the device CA (``?ca=root`` for the root's)."""
    return Response(
        published_crl(session, "root" if ca == "root" else "intermediate"), media_type=PEM
    )


@router.get("/licence-pools", response_model=list[PoolOut])
def list_pools(session: SessionDep, _principal: Reader) -> list[PoolOut]:
    return [PoolOut(**row) for row in licences.pools_status(session)]


@router.post("/licence-pools", response_model=PoolOut, status_code=201)
def grant_pool(body: PoolIn, session: SessionDep, principal: Manager) -> PoolOut:
    """Record a licensor's grant of units for a model and territory in a validity window."""
    pool = licences.grant_pool(
        session, code=body.code, licensor=body.licensor, model=model_named(session, body.model),
        territory=body.territory, valid_from=body.valid_from, valid_until=body.valid_until,
        units=body.units, actor=principal.actor,
    )  # fmt: skip
    return PoolOut(**licences.pool_view(pool))


@router.get("/royalty/{licensor}/{quarter}", response_model=StatementOut)
def royalty_statement(
    licensor: str, quarter: str, session: SessionDep, _principal: RoyaltyReader
) -> StatementOut:
    """Units by model and territory, rate, minimum guarantee, true-up and payable."""
    result = statements.statement(session, licensor, quarter)
    return StatementOut(
        licensor=result.licensor, quarter=str(result.quarter), currency=result.currency,
        rate=result.rate, total_units=result.total_units, earned=result.earned,
        minimum=result.minimum, true_up=result.true_up, payable=result.payable,
        lines=[StatementLineOut(**vars(line)) for line in result.lines],
    )  # fmt: skip


@router.get("/royalty/{licensor}/{quarter}/statement.csv", response_class=Response)
def royalty_csv(licensor: str, quarter: str, session: SessionDep, _p: RoyaltyReader) -> Response:
    result = statements.statement(session, licensor, quarter)
    name = f"royalty-{result.licensor}-{result.quarter}.csv"
    return Response(
        statement_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/royalty/{licensor}/{quarter}/statement.pdf", response_class=Response)
def royalty_pdf(licensor: str, quarter: str, session: SessionDep, _p: RoyaltyReader) -> Response:
    result = statements.statement(session, licensor, quarter)
    name = f"royalty-{result.licensor}-{result.quarter}.pdf"
    return Response(
        statements.statement_pdf(result),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
