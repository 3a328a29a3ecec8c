"""Royalty statements from the records: licence units consumed in the quarter, per licensor.

Units are the licence consumptions (one per provisioned device, never two: the same records the
identity issuance writes), counted by the pool's model and territory within the quarter
(UTC). Terms come from `royalty_agreement`. Rendered as CSV or PDF (fpdf2).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from fpdf import FPDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import invalid, not_found
from forgeline.security.royalty import Quarter, Statement, compute_statement
from forgeline.security.tables import LicenceConsumption, LicencePool, RoyaltyAgreement


def set_terms(
    session: Session,
    *,
    licensor: str,
    name: str,
    currency: str,
    rate: Decimal,
    minimum: Decimal,
    actor: str,
) -> RoyaltyAgreement:
    if rate < 0 or minimum < 0:
        raise invalid("royalty.bad_terms", "rate and minimum guarantee cannot be negative")
    if len(currency) != 3 or not currency.isalpha():
        raise invalid("royalty.bad_terms", f"currency is an ISO 4217 code, not {currency!r}")
    agreement = session.scalar(
        select(RoyaltyAgreement).where(RoyaltyAgreement.licensor == licensor)
    )
    before = None
    if agreement is None:
        agreement = RoyaltyAgreement(licensor=licensor)
        session.add(agreement)
    else:
        before = {
            "rate": str(agreement.rate_per_unit),
            "minimum": str(agreement.minimum_per_quarter),
        }
    agreement.name, agreement.currency = name, currency.upper()
    agreement.rate_per_unit, agreement.minimum_per_quarter = rate, minimum
    agreement.updated_at = utcnow()
    session.flush()
    append(
        session, actor=actor, action="royalty.terms_set", object_type="licensor",
        object_id=licensor, before=before,
        after={"rate": str(rate), "minimum": str(minimum), "currency": currency.upper()},
    )  # fmt: skip
    return agreement


def units_in_quarter(
    session: Session, licensor: str, quarter: Quarter
) -> dict[tuple[str, str], int]:
    start = datetime.combine(quarter.start, time(), UTC)
    end = datetime.combine(quarter.end, time(), UTC)
    rows = session.execute(
        select(LicencePool.model_code, LicencePool.territory, func.count())
        .join(LicenceConsumption, LicenceConsumption.pool_id == LicencePool.id)
        .where(
            LicencePool.licensor == licensor,
            LicenceConsumption.consumed_at >= start,
            LicenceConsumption.consumed_at < end,
        )
        .group_by(LicencePool.model_code, LicencePool.territory)
    )
    return {(model, territory): int(count) for model, territory, count in rows}


def default_licensor(session: Session) -> str:
    """The licensor when only one has terms; otherwise the caller must name one."""
    licensors = session.scalars(
        select(RoyaltyAgreement.licensor).order_by(RoyaltyAgreement.licensor)
    ).all()
    if len(licensors) != 1:
        raise invalid(
            "royalty.licensor_required",
            "name the licensor" if licensors else "no royalty terms yet; set them first",
            licensors=list(licensors),
        )
    return licensors[0]


def statement(session: Session, licensor: str, quarter: str) -> Statement:
    period = Quarter.parse(quarter)
    agreement = session.scalar(
        select(RoyaltyAgreement).where(RoyaltyAgreement.licensor == licensor)
    )
    if agreement is None:
        raise not_found("royalty.no_agreement", f"no royalty terms for licensor {licensor!r}")
    return compute_statement(
        licensor, period, agreement.currency, Decimal(agreement.rate_per_unit),
        Decimal(agreement.minimum_per_quarter), units_in_quarter(session, licensor, period),
    )  # fmt: skip


def statement_pdf(statement: Statement) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(
        0,
        10,
        f"Royalty statement {statement.quarter} - {statement.licensor}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=10)
    pdf.cell(
        0, 6, f"Rate per unit {statement.rate} {statement.currency}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)
    widths = (40, 30, 30, 30, 40)
    for text, width in zip(("Model", "Territory", "Units", "Rate", "Amount"), widths, strict=True):
        pdf.cell(width, 7, text, border=1)
    pdf.ln()
    for line in statement.lines:
        cells = (line.model, line.territory, str(line.units), str(line.rate), str(line.amount))
        for text, width in zip(cells, widths, strict=True):
            pdf.cell(width, 7, text, border=1)
        pdf.ln()
    pdf.ln(3)
    for label, value in (
        (f"Units ({statement.total_units})  earned", statement.earned),
        ("Minimum guarantee", statement.minimum),
        ("True-up", statement.true_up),
        ("Payable", statement.payable),
    ):
        pdf.cell(100, 7, label)
        pdf.cell(40, 7, f"{value} {statement.currency}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
