"""8D reports for brand complaints: D1 (team) to D8 (closure), linked NCRs and traced units.

An 8D is edited while open; it closes only when every discipline is written. Every change is
audited (`eightd.opened`, `eightd.updated`, `eightd.closed`). Never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import conflict, invalid, not_found
from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.tables import Unit
from forgeline.quality.tables import EightD, EightDNcr, EightDUnit, Ncr
from forgeline.quality.units import unit_ids

# The disciplines, in order, with the name each carries on forms and in the PDF-free record.
DISCIPLINES: dict[str, str] = {
    "d1_team": "D1 Team",
    "d2_problem": "D2 Problem description",
    "d3_containment": "D3 Interim containment",
    "d4_root_cause": "D4 Root cause",
    "d5_corrective_action": "D5 Permanent corrective action",
    "d6_implementation": "D6 Implementation and validation",
    "d7_prevention": "D7 Prevent recurrence",
    "d8_closure": "D8 Closure and recognition",
}
MAX_TEXT = 20_000


def summary(report: EightD) -> dict[str, Any]:
    return {
        "code": report.code,
        "title": report.title,
        "customer": report.customer_code,
        "complaint_ref": report.complaint_ref,
        "status": report.status,
        **{field: getattr(report, field) for field in DISCIPLINES},
    }


def customer_codes(session: Session) -> list[str]:
    """The brand customers the current plant definition names."""
    number = current_revision_number(session)
    return [c.code for c in catalogs(session, [number])[number].definition.customers]


def _customer(session: Session, code: str) -> str:
    known = customer_codes(session)
    if code not in known:
        raise not_found(
            "customer.unknown", f"no brand customer {code!r} in the plant", allowed=known
        )
    return code


def _disciplines(values: Mapping[str, str | None]) -> dict[str, str]:
    unknown = sorted(set(values) - set(DISCIPLINES))
    if unknown:
        raise invalid(
            "eightd.unknown_field",
            f"not an 8D field: {', '.join(unknown)}",
            allowed=list(DISCIPLINES),
        )
    cleaned: dict[str, str] = {}
    for field, value in values.items():
        if value is None:
            continue
        if len(value) > MAX_TEXT:
            raise invalid(
                "eightd.text_too_long", f"{DISCIPLINES[field]} is over {MAX_TEXT} characters"
            )
        cleaned[field] = value.strip()
    return cleaned


def _ncr_ids(session: Session, codes: Sequence[str]) -> list[int]:
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    found = dict(session.execute(select(Ncr.code, Ncr.id).where(Ncr.code.in_(wanted))).all())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise not_found("ncr.not_found", f"no NCR {', '.join(missing)}", missing=missing)
    return [int(found[c]) for c in wanted]


def open_eight_d(
    session: Session,
    *,
    title: str,
    customer: str,
    actor: str,
    complaint_ref: str = "",
    disciplines: Mapping[str, str | None] | None = None,
    ncrs: Sequence[str] = (),
    units: Sequence[str] = (),
) -> EightD:
    """Open an 8D for a brand customer's complaint."""
    title = title.strip()
    if not title:
        raise invalid("eightd.title_required", "give the 8D a title")
    if len(title) > 200:
        raise invalid("eightd.title_too_long", "the title is over 200 characters")
    now = utcnow()
    report = EightD(
        code=f"8D-new-{secrets.token_hex(8)}",
        title=title,
        customer_code=_customer(session, customer.strip()),
        complaint_ref=complaint_ref.strip()[:80],
        status="open",
        opened_by=actor,
        opened_at=now,
        updated_at=now,
        **_disciplines(disciplines or {}),
    )
    ncr_ids, found = _ncr_ids(session, ncrs), unit_ids(session, units)
    session.add(report)
    session.flush()
    report.code = f"8D-{report.id:06d}"
    _link(session, report.id, ncr_ids, list(found.values()))
    session.flush()
    append(
        session,
        actor=actor,
        action="eightd.opened",
        object_type="eight_d",
        object_id=report.code,
        after={**summary(report), "ncrs": list(ncrs), "units": len(found)},
    )
    return report


def _link(session: Session, report_id: int, ncr_ids: list[int], unit_ids: list[int]) -> None:
    if ncr_ids:
        rows = [{"eight_d_id": report_id, "ncr_id": i} for i in ncr_ids]
        session.execute(insert(EightDNcr), rows)
    if unit_ids:
        session.execute(
            insert(EightDUnit), [{"eight_d_id": report_id, "unit_id": i} for i in unit_ids]
        )


def get_eight_d(session: Session, code: str, *, lock: bool = False) -> EightD:
    query = select(EightD).where(EightD.code == code)
    if lock:
        query = query.with_for_update()
    report = session.scalars(query).first()
    if report is None:
        raise not_found("eightd.not_found", f"no 8D report {code!r}", eight_d=code)
    return report


def update_eight_d(
    session: Session,
    code: str,
    *,
    actor: str,
    disciplines: Mapping[str, str | None] | None = None,
    add_ncrs: Sequence[str] = (),
    add_units: Sequence[str] = (),
    close: bool = False,
) -> EightD:
    """Write disciplines, link more NCRs and units; `close` once D1 to D8 are all written."""
    report = get_eight_d(session, code, lock=True)
    if report.status != "open":
        raise conflict("eightd.closed", f"{code} is closed; it can no longer change", eight_d=code)
    before = summary(report)
    for field, value in _disciplines(disciplines or {}).items():
        setattr(report, field, value)
    linked_ncrs = set(
        session.scalars(select(EightDNcr.ncr_id).where(EightDNcr.eight_d_id == report.id))
    )
    linked_units = set(
        session.scalars(select(EightDUnit.unit_id).where(EightDUnit.eight_d_id == report.id))
    )
    new_ncrs = [i for i in _ncr_ids(session, add_ncrs) if i not in linked_ncrs]
    new_units = [i for i in unit_ids(session, add_units).values() if i not in linked_units]
    _link(session, report.id, new_ncrs, new_units)
    now = utcnow()
    report.updated_at = now
    if close:
        empty = [DISCIPLINES[f] for f in DISCIPLINES if not getattr(report, f)]
        if empty:
            raise invalid(
                "eightd.incomplete",
                f"an 8D closes when every discipline is written; missing: {', '.join(empty)}",
                missing=empty,
            )
        report.status, report.closed_by, report.closed_at = "closed", actor, now
    session.flush()
    append(
        session,
        actor=actor,
        action="eightd.closed" if close else "eightd.updated",
        object_type="eight_d",
        object_id=report.code,
        before=before,
        after={**summary(report), "ncrs_added": len(new_ncrs), "units_added": len(new_units)},
    )
    return report


def linked(session: Session, report_id: int) -> tuple[list[str], list[str]]:
    """The codes of the linked NCRs and the uids of the traced units."""
    ncrs = list(
        session.scalars(
            select(Ncr.code)
            .join(EightDNcr, EightDNcr.ncr_id == Ncr.id)
            .where(EightDNcr.eight_d_id == report_id)
            .order_by(Ncr.id)
        )
    )
    uids = list(
        session.scalars(
            select(Unit.uid)
            .join(EightDUnit, EightDUnit.unit_id == Unit.id)
            .where(EightDUnit.eight_d_id == report_id)
            .order_by(Unit.uid)
        )
    )
    return ncrs, uids


def reports_for_ncr(session: Session, ncr_id: int) -> list[EightD]:
    """The 8D reports an NCR is linked to."""
    return list(
        session.scalars(
            select(EightD)
            .join(EightDNcr, EightDNcr.eight_d_id == EightD.id)
            .where(EightDNcr.ncr_id == ncr_id)
            .order_by(EightD.id)
        )
    )


def list_eight_ds(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[EightD], int]:
    query = select(EightD)
    if status:
        query = query.where(EightD.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(EightD.id.desc()).limit(limit).offset(offset)))
    return rows, int(total)
