"""Signed release manifests (pure): what a release is, the bytes its Ed25519 key signs, and the
checks a station's flash report must pass.

A manifest names a model's release: version, Android security patch level, the SHA-256 of each
partition image and the verified-boot rollback index. The signature covers a fixed header line
and the manifest as canonical JSON (sorted keys, no spaces, UTF-8), so any language can rebuild
the exact bytes. The key id is the first 16 hex digits of SHA-256 of the raw public key.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from forgeline.errors import conflict, invalid

HEADER = b"forgeline-release-manifest/v1\n"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class Manifest:
    model: str
    version: str
    security_patch: date
    rollback_index: int
    partitions: dict[str, str]  # partition name -> SHA-256 hex of its image

    def document(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "security_patch": self.security_patch.isoformat(),
            "rollback_index": self.rollback_index,
            "partitions": dict(sorted(self.partitions.items())),
        }

    def signed_bytes(self) -> bytes:
        body = json.dumps(self.document(), sort_keys=True, separators=(",", ":"))
        return HEADER + body.encode("utf-8")

    def digest(self) -> str:
        return hashlib.sha256(self.signed_bytes()).hexdigest()

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Manifest:
        """Parse a manifest document; anything out of shape is ``manifest.invalid``."""
        try:
            partitions = {str(k): str(v).lower() for k, v in document["partitions"].items()}
            manifest = cls(
                model=str(document["model"]),
                version=str(document["version"]),
                security_patch=date.fromisoformat(str(document["security_patch"])),
                rollback_index=int(document["rollback_index"]),
                partitions=partitions,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise invalid("manifest.invalid", f"the manifest is malformed: {exc}") from exc
        bad = [n for n, h in partitions.items() if not _NAME.match(n) or not _SHA256.match(h)]
        if bad or not partitions or manifest.rollback_index < 0:
            raise invalid("manifest.invalid", "partitions need names and SHA-256 hashes", bad=bad)
        return manifest


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_manifest(private_key: Ed25519PrivateKey, manifest: Manifest) -> bytes:
    return private_key.sign(manifest.signed_bytes())


def verify_manifest(public_key: Ed25519PublicKey, manifest: Manifest, signature: bytes) -> None:
    try:
        public_key.verify(signature, manifest.signed_bytes())
    except InvalidSignature as exc:
        raise invalid(
            "manifest.bad_signature", "the manifest signature does not verify (tampered?)"
        ) from exc


def check_flash(manifest: Manifest, flashed: dict[str, str], rollback_floor: int | None) -> None:
    """What the station flashed must be the release exactly, and never roll the model back."""
    reported = {k: v.lower() for k, v in flashed.items()}
    wrong = sorted(
        name for name in manifest.partitions.keys() | reported.keys()
        if manifest.partitions.get(name) != reported.get(name)
    )  # fmt: skip
    if wrong:
        raise invalid(
            "manifest.hash_mismatch",
            f"flashed images differ from the release in: {', '.join(wrong)}",
            partitions=wrong,
        )
    if rollback_floor is not None and manifest.rollback_index < rollback_floor:
        raise conflict(
            "manifest.rollback",
            f"rollback index {manifest.rollback_index} is below {rollback_floor}, "
            f"already accepted for {manifest.model}",
            rollback_index=manifest.rollback_index,
            floor=rollback_floor,
        )
