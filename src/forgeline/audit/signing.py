"""The Ed25519 key that signs audit checkpoints, and the exact bytes it signs.

The private key lives in ``<data_dir>/audit/checkpoint_key.pem``, encrypted at rest with the
settings' secret key and readable only by its owner (0600); it is made on first use. The public
key is written beside it as ``checkpoint_key.pub.pem`` so that anyone holding a checkpoint file
can check it without Forgeline. The key id is the first 16 hex digits of SHA-256 of the raw
32-byte public key.

A checkpoint statement is a few lines of text, so that a verifier in any language can rebuild it
from the checkpoint's fields (see docs/audit.md).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from forgeline.config import Settings
from forgeline.errors import DomainError

STATEMENT_HEADER = "forgeline-audit-checkpoint/v1"
KEY_FILE = "checkpoint_key.pem"
PUBLIC_KEY_FILE = "checkpoint_key.pub.pem"


def audit_dir(settings: Settings) -> Path:
    return settings.data_dir / "audit"


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def checkpoint_statement(tree_size: int, root_hash: bytes, signed_at: datetime, kid: str) -> bytes:
    """The bytes a checkpoint signature covers: one field per line, newline-terminated."""
    if signed_at.tzinfo is None:
        raise ValueError("checkpoint time must be timezone-aware")
    return (
        f"{STATEMENT_HEADER}\n"
        f"tree_size {tree_size}\n"
        f"root_hash {root_hash.hex()}\n"
        f"signed_at {signed_at.isoformat(timespec='microseconds')}\n"
        f"key_id {kid}\n"
    ).encode("ascii")


@dataclass(frozen=True)
class CheckpointKey:
    private_key: Ed25519PrivateKey
    key_id: str

    def sign(self, statement: bytes) -> bytes:
        return self.private_key.sign(statement)


def _password(settings: Settings) -> bytes:
    return settings.secret_key.get_secret_value().encode("utf-8")


def _write_new(path: Path, data: bytes, mode: int) -> bool:
    """Create `path` with `mode`; False when another process created it first."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_private(path: Path, settings: Settings) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=_password(settings))
    except (ValueError, TypeError) as exc:
        # Most often the secret key changed since the signing key was made.
        raise DomainError(
            "audit.key_unreadable",
            f"cannot decrypt the checkpoint key {path} with the configured secret key",
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise DomainError("audit.key_unreadable", f"{path} does not hold an Ed25519 key")
    return key


def load_or_create_key(settings: Settings) -> CheckpointKey:
    """The checkpoint signing key, generated on first use."""
    directory = audit_dir(settings)
    path = directory / KEY_FILE
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        fresh = Ed25519PrivateKey.generate()
        pem = fresh.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_password(settings)),
        )
        # O_EXCL: two first checkpoints at once must end up with one key, not two.
        _write_new(path, pem, 0o600)
    key = _load_private(path, settings)
    public_path = directory / PUBLIC_KEY_FILE
    if not public_path.is_file():
        _write_new(public_path, public_key_pem(key.public_key()), 0o644)
    return CheckpointKey(key, key_id(key.public_key()))


def load_public_key(settings: Settings) -> Ed25519PublicKey | None:
    """The published verification key, or None when no checkpoint key was ever made."""
    directory = audit_dir(settings)
    public_path = directory / PUBLIC_KEY_FILE
    if public_path.is_file():
        key = serialization.load_pem_public_key(public_path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise DomainError("audit.key_unreadable", f"{public_path} is not an Ed25519 key")
        return key
    if (directory / KEY_FILE).is_file():
        return _load_private(directory / KEY_FILE, settings).public_key()
    return None


def signature_is_valid(public_key: Ed25519PublicKey, signature: bytes, statement: bytes) -> bool:
    try:
        public_key.verify(signature, statement)
    except InvalidSignature:
        return False
    return True
