"""The audit log's JSON API: browse entries, prove inclusion, read the head, sign, verify."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.api.pagination import Page, PageDep
from forgeline.audit import queries
from forgeline.audit.checkpoint import SignedCheckpoint, checkpoint, current_head, inclusion_proof
from forgeline.audit.schemas import (
    AuditEntryOut,
    CheckpointOut,
    InclusionProofOut,
    TreeHeadOut,
    VerifyReportOut,
)
from forgeline.audit.verify import verify
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal

router = APIRouter(prefix="/audit", tags=["audit"])

Reader = Annotated[Principal, Depends(require("audit.read"))]
Signer = Annotated[Principal, Depends(require("audit.checkpoint"))]


@router.get("/entries", response_model=Page[AuditEntryOut])
def list_entries(
    *,
    _principal: Reader,
    session: SessionDep,
    page: PageDep,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor: str | None = None,
    since: Annotated[datetime | None, Query(description="at or after (with timezone)")] = None,
    until: Annotated[datetime | None, Query(description="before (with timezone)")] = None,
) -> Page[AuditEntryOut]:
    """Audit entries, newest first, filtered by any of action, object, actor and time."""
    where = queries.EntryFilter(action, object_type, object_id, actor, since, until)
    items, total = queries.list_entries(session, where, limit=page.limit, offset=page.offset)
    return Page[AuditEntryOut](
        items=[AuditEntryOut.of(e) for e in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/entries/{seq}", response_model=AuditEntryOut)
def get_entry(seq: int, _principal: Reader, session: SessionDep) -> AuditEntryOut:
    """One entry with its leaf hash."""
    return AuditEntryOut.of(queries.get_entry(session, seq))


@router.get("/entries/{seq}/proof", response_model=InclusionProofOut)
def get_inclusion_proof(
    seq: int,
    _principal: Reader,
    session: SessionDep,
    tree_size: Annotated[
        int | None, Query(ge=1, description="prove against this tree size (a checkpoint's)")
    ] = None,
) -> InclusionProofOut:
    """RFC 9162 inclusion proof, by default against the newest checkpoint covering the entry."""
    return InclusionProofOut.of(inclusion_proof(session, seq, tree_size))


@router.get("/head", response_model=TreeHeadOut)
def get_head(_principal: Reader, session: SessionDep) -> TreeHeadOut:
    """The current tree size and root, and the newest signed checkpoint."""
    latest = queries.latest_checkpoint(session)
    signed = SignedCheckpoint.from_row(latest) if latest else None
    return TreeHeadOut.of(current_head(session), signed)


@router.post("/checkpoints", response_model=CheckpointOut, status_code=status.HTTP_201_CREATED)
def create_checkpoint(
    principal: Signer, session: SessionDep, settings: SettingsDep
) -> CheckpointOut:
    """Sign the current tree head; the checkpoint is also written to the data directory."""
    return CheckpointOut.of(checkpoint(session, settings, principal.actor).checkpoint)


@router.get("/verify", response_model=VerifyReportOut)
def get_verification(
    _principal: Reader, session: SessionDep, settings: SettingsDep
) -> VerifyReportOut:
    """Recompute the whole log; `ok` is false and `first` names the first bad entry if tampered."""
    return VerifyReportOut.of(verify(session, settings))
