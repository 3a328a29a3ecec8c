"""Every read of the audit tables: entry lists, single entries, checkpoints and leaf streams.

The log can hold millions of rows, so anything that walks it streams in seq order in batches
(`yield_per`; a server-side cursor on PostgreSQL) instead of loading it whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditCheckpoint, AuditEntry
from forgeline.errors import invalid, not_found

STREAM_BATCH = 2_000

# The columns a leaf is recomputed from, in the order `stream_entry_rows` yields them.
ENTRY_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.request_id,
    AuditEntry.leaf_hash,
)


@dataclass(frozen=True)
class EntryFilter:
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise invalid(
                    "audit.naive_time", "since/until need a timezone, e.g. 2024-05-01T06:00:00Z"
                )
        equal = {
            AuditEntry.action: self.action,
            AuditEntry.object_type: self.object_type,
            AuditEntry.object_id: self.object_id,
            AuditEntry.actor: self.actor,
        }
        for column, value in equal.items():
            if value is not None:
                stmt = stmt.where(column == value)
        if self.since is not None:
            stmt = stmt.where(AuditEntry.at >= self.since)
        if self.until is not None:
            stmt = stmt.where(AuditEntry.at < self.until)
        return stmt


def list_entries(
    session: Session, where: EntryFilter, *, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """One page of matching entries, newest first, and the count of all matches."""
    total = session.scalar(where.apply(select(func.count()).select_from(AuditEntry))) or 0
    stmt = where.apply(select(AuditEntry)).order_by(AuditEntry.seq.desc())
    items = list(session.scalars(stmt.limit(limit).offset(offset)))
    return items, total


def get_entry(session: Session, seq: int) -> AuditEntry:
    entry = session.get(AuditEntry, seq)
    if entry is None:
        raise not_found("audit.entry_not_found", f"there is no audit entry {seq}", seq=seq)
    return entry


def last_seq(session: Session) -> int:
    return int(session.scalar(select(func.max(AuditEntry.seq))) or 0)


def stream_leaf_hashes(session: Session, upto_seq: int | None = None) -> Iterator[bytes]:
    """Stored leaf hashes in seq order, optionally only up to a seq."""
    stmt = select(AuditEntry.leaf_hash).order_by(AuditEntry.seq)
    if upto_seq is not None:
        stmt = stmt.where(AuditEntry.seq <= upto_seq)
    result = session.scalars(stmt.execution_options(yield_per=STREAM_BATCH))
    try:
        yield from result
    finally:
        result.close()


def stream_entry_rows(session: Session) -> Iterator[Row[Any]]:
    """Every entry's content columns (`ENTRY_COLUMNS`), in seq order."""
    stmt = select(*ENTRY_COLUMNS).order_by(AuditEntry.seq)
    result = session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
    try:
        yield from result
    finally:
        result.close()


def all_checkpoints(session: Session) -> list[AuditCheckpoint]:
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)))


def latest_checkpoint(session: Session, *, covering_seq: int = 0) -> AuditCheckpoint | None:
    """The newest checkpoint, or the newest one whose tree includes entry `covering_seq`."""
    stmt = select(AuditCheckpoint).where(AuditCheckpoint.tree_size >= covering_seq)
    return session.scalar(stmt.order_by(AuditCheckpoint.tree_size.desc()).limit(1))


def checkpoint_at(session: Session, tree_size: int) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.tree_size == tree_size))
