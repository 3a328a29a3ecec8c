"""Checkpoints: the key on disk, the signed file a third party checks, and inclusion proofs."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit import merkle
from forgeline.audit.checkpoint import checkpoint, current_head, inclusion_proof
from forgeline.audit.log import entry_leaf_data
from forgeline.audit.signing import KEY_FILE, PUBLIC_KEY_FILE, audit_dir, load_or_create_key
from forgeline.audit.tables import AuditCheckpoint, AuditEntry
from forgeline.config import Settings
from forgeline.errors import DomainError
from tests.audit.conftest import fill


def _public_key(settings: Settings) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key((audit_dir(settings) / PUBLIC_KEY_FILE).read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    return key


def _statement_as_a_third_party_builds_it(document: dict[str, object]) -> bytes:
    """docs/audit.md's recipe, written out independently of the signing module."""
    return (
        "forgeline-audit-checkpoint/v1\n"
        f"tree_size {document['tree_size']}\n"
        f"root_hash {document['root_hash']}\n"
        f"signed_at {document['signed_at']}\n"
        f"key_id {document['key_id']}\n"
    ).encode()


def test_key_is_encrypted_private_and_published(settings: Settings) -> None:
    key = load_or_create_key(settings)
    private_path = audit_dir(settings) / KEY_FILE
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in private_path.read_bytes()
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    raw = _public_key(settings).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert key.key_id == hashlib.sha256(raw).hexdigest()[:16]
    # A second use loads the same key rather than making another.
    assert load_or_create_key(settings).key_id == key.key_id


def test_checkpoint_covers_everything_before_its_own_entry(db: Session, settings: Settings) -> None:
    fill(db, 9)
    before = current_head(db)
    result = checkpoint(db, settings, "user:alice")
    assert result.checkpoint.tree_size == 9
    assert result.checkpoint.root_hash == before.root_hash
    assert result.entry_seq == 10
    entry = db.get(AuditEntry, 10)
    assert entry is not None
    assert (entry.actor, entry.action, entry.object_id) == ("user:alice", "audit.checkpoint", "9")
    row = db.scalars(select(AuditCheckpoint)).one()
    assert row.root_hash == before.root_hash
    assert row.signed_at == result.checkpoint.signed_at


def test_checkpoint_file_verifies_with_public_key_and_fails_when_altered(
    db: Session, settings: Settings
) -> None:
    fill(db, 5)
    result = checkpoint(db, settings, "user:alice")
    assert result.file.name == "5.json"
    document = json.loads(result.file.read_text())
    assert datetime.fromisoformat(document["signed_at"]).tzinfo is not None
    public_key = _public_key(settings)
    statement = _statement_as_a_third_party_builds_it(document)
    assert statement.decode() == document["statement"]
    public_key.verify(bytes.fromhex(document["signature"]), statement)

    document["root_hash"] = "ff" + document["root_hash"][2:]
    result.file.write_text(json.dumps(document))
    altered = json.loads(result.file.read_text())
    with pytest.raises(InvalidSignature):
        public_key.verify(
            bytes.fromhex(altered["signature"]), _statement_as_a_third_party_builds_it(altered)
        )


def test_inclusion_proofs_verify_against_checkpoint_and_head(
    db: Session, settings: Settings
) -> None:
    fill(db, 11)
    signed = checkpoint(db, settings, "user:alice").checkpoint
    fill(db, 4, start=13)
    head = current_head(db)
    for seq in range(1, 17):
        proof = inclusion_proof(db, seq)
        entry = db.get(AuditEntry, seq)
        assert entry is not None
        leaf = merkle.leaf_hash(entry_leaf_data(entry))
        assert proof.leaf_hash == leaf
        if seq <= 11:  # covered by the checkpoint: proved against its signed root
            assert proof.checkpoint == signed
            assert (proof.tree_size, proof.root_hash) == (11, signed.root_hash)
        else:
            assert proof.checkpoint is None
            assert (proof.tree_size, proof.root_hash) == (16, head.root_hash)
        assert merkle.verify_inclusion(
            proof.leaf_index, proof.tree_size, leaf, proof.audit_path, proof.root_hash
        )


def test_inclusion_proof_against_a_chosen_size(db: Session, settings: Settings) -> None:
    fill(db, 8)
    proof = inclusion_proof(db, 3, tree_size=5)
    leaves = db.scalars(select(AuditEntry.leaf_hash).order_by(AuditEntry.seq)).all()
    assert proof.root_hash == merkle.root(list(leaves[:5]))
    assert merkle.verify_inclusion(2, 5, leaves[2], proof.audit_path, proof.root_hash)


@pytest.mark.parametrize(
    ("seq", "tree_size", "code"),
    [
        (99, None, "audit.entry_not_found"),
        (4, 3, "audit.tree_size_invalid"),
        (4, 9, "audit.tree_size_invalid"),
    ],
)
def test_inclusion_proof_refuses_bad_input(
    db: Session, seq: int, tree_size: int | None, code: str
) -> None:
    fill(db, 8)
    with pytest.raises(DomainError) as caught:
        inclusion_proof(db, seq, tree_size)
    assert caught.value.code == code
