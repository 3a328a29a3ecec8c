"""Release keys and flash reports: a device is accepted only against a valid signed manifest.

The station reports the signed manifest it flashed and the hashes it read back. Forgeline checks
the signature with a registered release key, that the manifest is for the unit's model, that the
hashes match, and that the rollback index is not below the highest already accepted for the
model (a per-model floor row, locked while it is read and raised). Acceptance is audited
(``manifest.accepted``); each refusal writes only its audit entry.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import conflict, invalid, not_found
from forgeline.security.handsets import handset_unit
from forgeline.security.manifest import Manifest, check_flash, key_id, verify_manifest
from forgeline.security.refusals import attempt
from forgeline.security.tables import FlashRecord, ModelRollbackFloor, ReleaseKey, ReleaseManifest


def add_release_key(session: Session, name: str, public_key_hex: str, actor: str) -> ReleaseKey:
    """Trust an Ed25519 public key (32 raw bytes, hex) to sign release manifests."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    except ValueError as exc:
        raise invalid("release_key.invalid", "a release key is 32 bytes of Ed25519, hex") from exc
    kid = key_id(public_key)
    if session.scalar(select(ReleaseKey.id).where(ReleaseKey.key_id == kid)) is not None:
        raise conflict("release_key.exists", f"release key {kid} is registered already")
    row = ReleaseKey(key_id=kid, name=name, public_key_hex=public_key_hex.lower())
    session.add(row)
    session.flush()
    append(
        session, actor=actor, action="release_key.added", object_type="release_key",
        object_id=kid, after={"name": name, "public_key": public_key_hex.lower()},
    )  # fmt: skip
    return row


def _floor(session: Session, model: str) -> ModelRollbackFloor | None:
    return session.scalar(
        select(ModelRollbackFloor)
        .where(ModelRollbackFloor.model_code == model)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _stored_manifest(session: Session, manifest: Manifest, kid: str, sig: str) -> ReleaseManifest:
    stored = session.scalar(
        select(ReleaseManifest).where(
            ReleaseManifest.model_code == manifest.model,
            ReleaseManifest.version == manifest.version,
        )
    )
    if stored is not None:
        if stored.digest != manifest.digest():
            raise conflict(
                "manifest.version_conflict",
                f"{manifest.model} {manifest.version} was accepted with other contents",
            )
        return stored
    stored = ReleaseManifest(
        model_code=manifest.model, version=manifest.version,
        security_patch=manifest.security_patch, rollback_index=manifest.rollback_index,
        digest=manifest.digest(), key_id=kid, document=manifest.document(), signature_hex=sig,
    )  # fmt: skip
    session.add(stored)
    session.flush()
    return stored


def accept_flash(
    session: Session,
    *,
    unit: str,
    document: dict[str, Any],
    signature_hex: str,
    flashed: dict[str, str],
    actor: str,
    station: str | None = None,
) -> dict[str, Any]:
    """Check a station's flash report and record it; refusals are audited and raised."""
    with attempt(
        session, actor=actor, action="manifest.check", object_type="unit", object_id=unit,
        asked={"station": station, "version": document.get("version"),
               "rollback_index": document.get("rollback_index")},
    ):  # fmt: skip
        handset = handset_unit(session, unit)
        manifest = Manifest.from_document(document)
        try:
            signature = bytes.fromhex(signature_hex)
        except ValueError as exc:
            raise invalid("manifest.bad_signature", "the signature is not hex") from exc
        keys = session.scalars(select(ReleaseKey)).all()
        key = next((k for k in keys if _verifies(k.public_key_hex, manifest, signature)), None)
        if key is None:
            if not keys:
                raise not_found("manifest.unknown_key", "no release key is registered")
            raise invalid(
                "manifest.bad_signature", "no registered release key verifies this manifest"
            )
        if manifest.model != handset.model.code:
            raise invalid(
                "manifest.wrong_model",
                f"the release is for {manifest.model}, the unit is a {handset.model.code}",
            )
        floor = _floor(session, manifest.model)
        check_flash(manifest, flashed, floor.rollback_index if floor else None)
        stored = _stored_manifest(session, manifest, key.key_id, signature_hex.lower())
        now = utcnow()
        if floor is None:
            session.add(
                ModelRollbackFloor(
                    model_code=manifest.model,
                    rollback_index=manifest.rollback_index,
                    updated_at=now,
                )
            )
        elif manifest.rollback_index > floor.rollback_index:
            floor.rollback_index, floor.updated_at = manifest.rollback_index, now
        session.add(
            FlashRecord(unit_uid=unit, manifest_id=stored.id, station=station, flashed_at=now)
        )
        session.flush()
        result = {
            "unit": unit, "model": manifest.model, "version": manifest.version,
            "security_patch": manifest.security_patch.isoformat(),
            "rollback_index": manifest.rollback_index, "key_id": key.key_id,
            "manifest_digest": stored.digest,
        }  # fmt: skip
        append(
            session, actor=actor, action="manifest.accepted", object_type="unit",
            object_id=unit, after={**result, "station": station},
        )  # fmt: skip
    return result


def _verifies(public_key_hex: str, manifest: Manifest, signature: bytes) -> bool:
    public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    try:
        verify_manifest(public_key, manifest, signature)
    except Exception:
        return False
    return True


def latest_flash(session: Session, unit: str) -> ReleaseManifest | None:
    return session.scalar(
        select(ReleaseManifest)
        .join(FlashRecord, FlashRecord.manifest_id == ReleaseManifest.id)
        .where(FlashRecord.unit_uid == unit)
        .order_by(FlashRecord.id.desc())
        .limit(1)
    )
