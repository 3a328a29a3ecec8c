"""Appending to the audit log. Every state-changing service function calls `append`.

Leaf data is the canonical JSON of the entry (sorted keys, no spaces, UTF-8), so anyone can
recompute a leaf from the row. The leaf hash is RFC 9162's H(0x00 || data).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from forgeline.audit.merkle import leaf_hash
from forgeline.audit.tables import AuditEntry
from forgeline.db.base import utcnow
from forgeline.request_context import current_request_id

# Serialises appends on PostgreSQL so that sequence order equals commit order; a checkpoint can
# then never cover a prefix that a slower transaction later fills in.
_PG_AUDIT_LOCK_KEY = 0x466F7267  # "Forg"


def canonical_leaf_data(
    seq: int,
    at: datetime,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str | None,
) -> bytes:
    """The bytes a leaf hashes: the entry as JSON with sorted keys, no spaces, UTF-8."""
    document = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
        "request_id": request_id,
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def entry_leaf_data(entry: AuditEntry) -> bytes:
    return canonical_leaf_data(
        entry.seq,
        entry.at,
        actor=entry.actor,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        before=entry.before,
        after=entry.after,
        request_id=entry.request_id,
    )


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # Round-trip so that what we hash is exactly what the JSON column will give back.
    return None if value is None else json.loads(json.dumps(value, default=str))


def lock_log(session: Session) -> None:
    """Hold the log's append lock until the transaction ends.

    On PostgreSQL a transaction-scoped advisory lock (re-entrant within one transaction); on
    SQLite the boundary's ``BEGIN IMMEDIATE`` already made this transaction the only writer.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK_KEY})


def _next_seq(session: Session) -> int:
    lock_log(session)
    last = session.execute(text("SELECT max(seq) FROM audit_entry")).scalar()
    return int(last or 0) + 1


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one state change in the caller's transaction (it commits or rolls back with it)."""
    entry = AuditEntry(
        seq=_next_seq(session),
        # Microseconds: what both backends store, so the hash survives the round trip.
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before),
        after=_jsonable(after),
        request_id=current_request_id.get(),
    )
    # Hashed from the row itself, exactly as `verify` will recompute it.
    entry.leaf_hash = leaf_hash(entry_leaf_data(entry))
    session.add(entry)
    session.flush()
    return entry
