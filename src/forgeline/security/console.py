"""What the provisioning console shows: today's devices, failures with reasons, range and pools."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.db.base import utcnow
from forgeline.security.tables import DeviceIdentity, EolCheck

MAX_FAILURES = 100


def start_of_today() -> datetime:
    return datetime.combine(utcnow().date(), time(), UTC)


def provisioned_today(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(DeviceIdentity.model_code, func.count())
        .where(DeviceIdentity.issued_at >= start_of_today())
        .group_by(DeviceIdentity.model_code)
        .order_by(DeviceIdentity.model_code)
    )
    return [{"model": model, "devices": int(count)} for model, count in rows]


def failures_today(session: Session) -> list[dict[str, Any]]:
    """Refused attempts (from the audit log) and failed end-of-line verdicts, newest first."""
    since = start_of_today()
    refused = session.execute(
        select(
            AuditEntry.at,
            AuditEntry.actor,
            AuditEntry.action,
            AuditEntry.object_id,
            AuditEntry.after,
        )
        .where(AuditEntry.at >= since, AuditEntry.action.like("%.refused"))
        .order_by(AuditEntry.seq.desc())
        .limit(MAX_FAILURES)
    )
    failures = [
        {
            "at": at,
            "who": actor,
            "what": action.removesuffix(".refused"),
            "unit": object_id,
            "code": (after or {}).get("code", ""),
            "reason": (after or {}).get("message", ""),
        }
        for at, actor, action, object_id, after in refused
    ]
    eol = session.execute(
        select(EolCheck.checked_at, EolCheck.station, EolCheck.unit_uid, EolCheck.reasons)
        .where(EolCheck.checked_at >= since, EolCheck.verdict == "fail")
        .order_by(EolCheck.id.desc())
        .limit(MAX_FAILURES)
    )
    failures.extend(
        {
            "at": at,
            "who": station or "",
            "what": "end-of-line",
            "unit": unit,
            "code": ", ".join(r["code"] for r in reasons),
            "reason": "; ".join(r["message"] for r in reasons),
        }
        for at, station, unit, reasons in eol
    )
    failures.sort(key=lambda f: f["at"], reverse=True)
    return failures[:MAX_FAILURES]
