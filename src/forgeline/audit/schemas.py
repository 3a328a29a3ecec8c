"""Response models for the audit API. Hashes and signatures travel as lowercase hex."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forgeline.api.schemas import StrictModel
from forgeline.audit.checkpoint import InclusionProof, SignedCheckpoint, TreeHead
from forgeline.audit.tables import AuditEntry
from forgeline.audit.verify import VerifyReport


class AuditEntryOut(StrictModel):
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    leaf_hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            before=entry.before,
            after=entry.after,
            request_id=entry.request_id,
            leaf_hash=entry.leaf_hash.hex(),
        )


class CheckpointOut(StrictModel):
    """A signed tree head, field for field as in the checkpoint file."""

    format: str
    algorithm: str
    tree_size: int
    root_hash: str
    signed_at: datetime
    key_id: str
    signature: str
    statement: str

    @classmethod
    def of(cls, signed: SignedCheckpoint) -> CheckpointOut:
        return cls.model_validate(signed.to_document())


class TreeHeadOut(StrictModel):
    tree_size: int
    root_hash: str
    latest_checkpoint: CheckpointOut | None

    @classmethod
    def of(cls, head: TreeHead, latest: SignedCheckpoint | None) -> TreeHeadOut:
        return cls(
            tree_size=head.tree_size,
            root_hash=head.root_hash.hex(),
            latest_checkpoint=CheckpointOut.of(latest) if latest else None,
        )


class InclusionProofOut(StrictModel):
    """RFC 9162 audit path: leaf `leaf_index` of the tree of `tree_size` leaves with `root_hash`.

    `checkpoint` is the signed head the root comes from; null when proved against the current,
    not yet signed head.
    """

    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    audit_path: list[str]
    checkpoint: CheckpointOut | None

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionProofOut:
        return cls(
            seq=proof.seq,
            leaf_index=proof.leaf_index,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            root_hash=proof.root_hash.hex(),
            audit_path=[node.hex() for node in proof.audit_path],
            checkpoint=CheckpointOut.of(proof.checkpoint) if proof.checkpoint else None,
        )


class FindingOut(StrictModel):
    kind: str
    first_seq: int | None
    last_seq: int | None
    message: str


class VerifyReportOut(StrictModel):
    ok: bool
    entries: int
    checkpoints_checked: int
    root_hash: str
    first: FindingOut | None
    findings: list[FindingOut]
    findings_total: int

    @classmethod
    def of(cls, report: VerifyReport) -> VerifyReportOut:
        return cls.model_validate(report.as_dict())
