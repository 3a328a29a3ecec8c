"""Audited refusals: a refused attempt writes nothing but one audit entry saying so.

A refusal normally rolls the whole transaction back, which would take its audit entry with it.
So, like a failed sign-in, a refusal here is recorded and *committed*: `attempt` runs the work
in a savepoint; on a `DomainError` it rolls the savepoint back (nothing the attempt wrote
survives), appends a ``<action>.refused`` entry (code, message, details and what was asked,
never a key or a CSR) and raises `RefusalError`. The boundary (route, CLI command) catches
`RefusalError`, lets its transaction commit, and then answers with the error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.errors import DomainError, conflict

CONCURRENT = conflict(
    "security.concurrent_change",
    "another request changed the same records at the same moment; send it again",
)


class RefusalError(DomainError):
    """A refusal already in the audit log: commit the transaction, then answer the error."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.code, error.message, error.details, error.kind)


def record_refusal(
    session: Session,
    error: DomainError,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    attempt: dict[str, Any],
) -> RefusalError:
    append(
        session,
        actor=actor,
        action=f"{action}.refused",
        object_type=object_type,
        object_id=object_id[:200],
        after={
            "code": error.code,
            "message": error.message,
            "details": error.details,
            "attempt": attempt,
        },
    )
    return RefusalError(error)


@contextmanager
def attempt(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    asked: dict[str, Any],
) -> Iterator[None]:
    """Run a state change so that a refusal leaves only its audit entry behind."""
    savepoint = session.begin_nested()
    try:
        yield
    except RefusalError:
        # Recorded already by whoever raised it, who wrote nothing else: keep that entry.
        savepoint.commit()
        raise
    except (DomainError, IntegrityError) as exc:
        savepoint.rollback()
        # A unique constraint that fires means a concurrent request took the same unit's
        # identity, IMEIs or licence first (PostgreSQL; SQLite serialises writers): a refusal.
        error = exc if isinstance(exc, DomainError) else CONCURRENT
        raise record_refusal(
            session,
            error,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            attempt=asked,
        ) from exc
    savepoint.commit()
