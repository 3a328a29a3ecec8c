"""Signed checkpoints of the audit tree head, checkpoint files, and inclusion proofs.

A checkpoint signs "the first `tree_size` entries hash to `root_hash`" with the Ed25519
checkpoint key, is stored as an `AuditCheckpoint` row, and is written to
``<data_dir>/audit/checkpoints/<tree_size>.json`` for whoever keeps copies outside the database
(the point of a checkpoint is that someone who cannot edit the database holds it).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from forgeline.audit import merkle, queries
from forgeline.audit.log import append, lock_log
from forgeline.audit.signing import (
    audit_dir,
    checkpoint_statement,
    load_or_create_key,
    signature_is_valid,
)
from forgeline.audit.tables import AuditCheckpoint
from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, conflict, invalid

CHECKPOINT_FORMAT = "forgeline-audit-checkpoint/v1"
CHECKPOINT_ACTION = "audit.checkpoint"


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: bytes


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as signed: the same whether read from its row or from its file."""

    tree_size: int
    root_hash: bytes
    signed_at: datetime
    key_id: str
    signature: bytes

    def statement(self) -> bytes:
        return checkpoint_statement(self.tree_size, self.root_hash, self.signed_at, self.key_id)

    def is_signed_by(self, public_key: Ed25519PublicKey) -> bool:
        return signature_is_valid(public_key, self.signature, self.statement())

    def to_document(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "algorithm": "Ed25519",
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "signed_at": self.signed_at.isoformat(timespec="microseconds"),
            "key_id": self.key_id,
            "signature": self.signature.hex(),
            "statement": self.statement().decode("ascii"),
        }

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> SignedCheckpoint:
        return cls(row.tree_size, row.root_hash, row.signed_at, row.key_id, row.signature)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> SignedCheckpoint:
        """Parse a checkpoint file's JSON; the `statement` field is ignored and rebuilt."""
        try:
            if document["format"] != CHECKPOINT_FORMAT:
                raise ValueError(f"unknown format {document['format']!r}")
            signed_at = datetime.fromisoformat(document["signed_at"])
            if signed_at.tzinfo is None:
                raise ValueError("signed_at has no timezone")
            return cls(
                tree_size=int(document["tree_size"]),
                root_hash=bytes.fromhex(document["root_hash"]),
                signed_at=signed_at,
                key_id=str(document["key_id"]),
                signature=bytes.fromhex(document["signature"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise invalid("audit.checkpoint_malformed", f"not a checkpoint: {exc}") from exc


@dataclass(frozen=True)
class CheckpointResult:
    checkpoint: SignedCheckpoint
    file: Path
    entry_seq: int


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    audit_path: list[bytes]
    checkpoint: SignedCheckpoint | None


def checkpoints_dir(settings: Settings) -> Path:
    return audit_dir(settings) / "checkpoints"


def current_head(session: Session) -> TreeHead:
    """Size and root of the tree over the stored leaf hashes, streamed in seq order."""
    tree = merkle.CompactRange()
    for leaf in queries.stream_leaf_hashes(session):
        tree.append(leaf)
    return TreeHead(tree.size, tree.root())


def write_checkpoint_file(settings: Settings, signed: SignedCheckpoint) -> Path:
    directory = checkpoints_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{signed.tree_size}.json"
    # Write then rename, so a reader never sees half a checkpoint.
    temporary = path.with_suffix(f".tmp-{os.getpid()}")
    temporary.write_text(json.dumps(signed.to_document(), indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def read_checkpoint_files(settings: Settings) -> list[tuple[Path, SignedCheckpoint | None]]:
    """Every checkpoint file, parsed; None for a file that is not a well-formed checkpoint."""
    directory = checkpoints_dir(settings)
    if not directory.is_dir():
        return []
    found: list[tuple[Path, SignedCheckpoint | None]] = []
    for path in sorted(directory.glob("*.json")):
        try:
            parsed: SignedCheckpoint | None = SignedCheckpoint.from_document(
                json.loads(path.read_text(encoding="utf-8"))
            )
        except (ValueError, OSError, DomainError):
            parsed = None
        found.append((path, parsed))
    return found


def checkpoint(session: Session, settings: Settings, actor: str) -> CheckpointResult:
    """Sign the current tree head, store and publish it, then log that we did.

    The log lock is held from before the head is computed until the transaction ends, so the
    checkpoint's own entry is always seq tree_size + 1; `verify` relies on that to notice a log
    cut back to exactly a checkpoint's size.
    """
    lock_log(session)
    head = current_head(session)
    key = load_or_create_key(settings)
    signed_at = utcnow()
    statement = checkpoint_statement(head.tree_size, head.root_hash, signed_at, key.key_id)
    signed = SignedCheckpoint(
        head.tree_size, head.root_hash, signed_at, key.key_id, key.sign(statement)
    )
    session.add(
        AuditCheckpoint(
            tree_size=signed.tree_size,
            root_hash=signed.root_hash,
            signed_at=signed.signed_at,
            key_id=signed.key_id,
            signature=signed.signature,
        )
    )
    session.flush()
    path = write_checkpoint_file(settings, signed)
    entry = append(
        session,
        actor=actor,
        action=CHECKPOINT_ACTION,
        object_type="audit_checkpoint",
        object_id=str(signed.tree_size),
        after={
            "tree_size": signed.tree_size,
            "root_hash": signed.root_hash.hex(),
            "key_id": signed.key_id,
        },
    )
    return CheckpointResult(signed, path, entry.seq)


def inclusion_proof(session: Session, seq: int, tree_size: int | None = None) -> InclusionProof:
    """Audit path for entry `seq` against a checkpoint, by default the newest one covering it.

    With no checkpoint covering the entry yet, the proof is against the current head.
    """
    entry = queries.get_entry(session, seq)
    size_now = queries.last_seq(session)
    if tree_size is None:
        row = queries.latest_checkpoint(session, covering_seq=seq)
        tree_size = row.tree_size if row else size_now
    else:
        if not seq <= tree_size <= size_now:
            raise invalid(
                "audit.tree_size_invalid",
                f"entry {seq} can only be proved in a tree of size {seq} to {size_now}",
                seq=seq,
                tree_size=tree_size,
                current_size=size_now,
            )
        row = queries.checkpoint_at(session, tree_size)
    signed = SignedCheckpoint.from_row(row) if row else None
    tree = merkle.CompactRange()

    def leaves() -> Generator[bytes, None, None]:
        # Feed the root builder with exactly the leaves the proof generator reads.
        for leaf in itertools.islice(queries.stream_leaf_hashes(session), tree_size):
            tree.append(leaf)
            yield leaf

    stream = leaves()
    try:
        path = merkle.inclusion_proof(seq - 1, tree_size, stream)
    except ValueError as exc:
        raise conflict(
            "audit.log_damaged", "the log has gaps; run `forgeline audit verify`", seq=seq
        ) from exc
    if signed is None:
        for _ in stream:
            pass
        root_hash = tree.root()
    else:
        stream.close()
        root_hash = signed.root_hash
    return InclusionProof(
        seq=seq,
        leaf_index=seq - 1,
        tree_size=tree_size,
        leaf_hash=entry.leaf_hash,
        root_hash=root_hash,
        audit_path=path,
        checkpoint=signed,
    )
