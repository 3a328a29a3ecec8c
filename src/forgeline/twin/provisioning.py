"""The handset line's security side, through the security domain's services only.

`prepare_security` gives a run what the factory has before its first handset: the factory PKI
(initialised once, as `forgeline pki init` does), a licence pool per handset model and
territory (as `forgeline licence grant` does), and a signed release per model: a one-off Ed25519
release key (standing in for the OEM's build system) is trusted with `add_release_key`, signs
one manifest per model and is then dropped. TAC ranges are the plant's: the IMEI ledger opens
each model's counters on first use.

`provision` is the provisioning station: per device the flash report (`accept_flash`), a fresh
ECDSA P-256 key and CSR (made here, standing in for the device's trusted environment; the key
never leaves this function), then `issue_identities`, the function the station endpoint calls:
CSR check, licence unit, IMEI pair, certificate, records, audit. `check_eol` is the final-test
cell's end-of-line check with what the device attests: its serial, the IMEIs and certificate it
was given, verified boot, a locked bootloader and the patch level flashed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.errors import DomainError
from forgeline.security import licences
from forgeline.security.authority import init_pki
from forgeline.security.eol import Attestation, check_end_of_line
from forgeline.security.handsets import model_named
from forgeline.security.identity import IdentityRequest, issue_identities
from forgeline.security.manifest import Manifest, sign_manifest
from forgeline.security.releases import accept_flash, add_release_key
from forgeline.security.tables import CertificateAuthority, ModelRollbackFloor
from forgeline.twin.handsets import line_of
from forgeline.twin.model import Twin

LICENSOR = "SECVENDOR"
POOL_UNITS = 100_000  # per model and territory: a run never runs short


PARTITIONS = ("boot", "system", "vendor", "vbmeta")


@dataclass(frozen=True)
class Release:
    """A model's release for the run: the manifest document and its signature (public)."""

    document: dict[str, Any]
    signature_hex: str
    security_patch: date


@dataclass
class Provisioned:
    """What the driver did at the provisioning stations and the final-test cells."""

    issued: int = 0
    refused: int = 0
    eol_passed: int = 0
    eol_failed: int = 0
    reasons: list[str] = field(default_factory=list)  # the first few refusal codes
    releases: dict[str, Release] = field(default_factory=dict)  # model -> release
    # unit -> (model, IMEIs, certificate fingerprint): what the device will attest
    devices: dict[str, tuple[str, tuple[str, ...], str]] = field(default_factory=dict)

    def refuse(self, text: str) -> None:
        if len(self.reasons) < 20:
            self.reasons.append(text)


def pool_code(twin: Twin, model: str, territory: str) -> str:
    return f"TWIN-{twin.tag}-{model}-{territory}"


def prepare_security(
    session: Session, settings: Settings, twin: Twin, actor: str
) -> dict[str, Release]:
    """The PKI (if the factory has none yet), the run's licence pools and signed releases."""
    if session.scalar(select(CertificateAuthority.id).limit(1)) is None:
        init_pki(session, settings, actor)
    today = utcnow().date()
    signing = Ed25519PrivateKey.generate()
    public = signing.public_key().public_bytes_raw().hex()
    add_release_key(session, f"twin release {twin.tag}", public, actor)
    releases = {}
    valid_from = min(twin.start.date(), today) - timedelta(days=1)
    valid_until = max(twin.start.date(), today) + timedelta(days=365 * 3)
    for model in line_of(twin).models:
        handset = model_named(session, model.product.code)
        for territory in model.territories:
            licences.grant_pool(
                session, code=pool_code(twin, handset.code, territory), licensor=LICENSOR,
                model=handset, territory=territory, valid_from=valid_from,
                valid_until=valid_until, units=POOL_UNITS, actor=actor,
            )  # fmt: skip
        releases[handset.code] = _release(session, signing, twin.tag, handset.code, today)
    return releases


def _release(
    session: Session, signing: Ed25519PrivateKey, tag: str, model: str, today: date
) -> Release:
    floor = session.scalar(
        select(ModelRollbackFloor.rollback_index).where(ModelRollbackFloor.model_code == model)
    )
    images = {
        name: hashlib.sha256(f"{model}|{tag}|{name}".encode()).hexdigest() for name in PARTITIONS
    }
    manifest = Manifest(model=model, version=f"twin-{tag}", security_patch=today.replace(day=1),
                        rollback_index=max(1, int(floor or 0)), partitions=images)  # fmt: skip
    signature = sign_manifest(signing, manifest).hex()
    return Release(manifest.document(), signature, manifest.security_patch)


def device_csr(uid: str) -> str:
    """What the device's trusted environment sends: a CSR for a key made and kept on it."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, uid)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def provision(
    session: Session, settings: Settings, params: dict[str, Any], actor: str, into: Provisioned
) -> None:
    """One provisioning station's tray: each device flashed with its model's release (the
    station's flash report), then identities issued (or refused, audited) in one call."""
    station = params["station"]
    requests = []
    for uid, model, territory in params["devices"]:
        release = into.releases[model]
        try:  # a refusal is audited by the service (and nothing else written): count it
            accept_flash(session, unit=uid, document=release.document,
                         signature_hex=release.signature_hex,
                         flashed=dict(release.document["partitions"]), actor=actor,
                         station=station)  # fmt: skip
        except DomainError as error:
            into.refused += 1
            into.refuse(f"{uid}: {error.code}")
            continue
        requests.append(IdentityRequest(uid, device_csr(uid), territory))
    if not requests:
        return
    outcomes, _warnings = issue_identities(session, settings, requests, actor=actor,
                                           station=station)  # fmt: skip
    for outcome in outcomes:
        issued = outcome.issued
        if issued is not None:
            into.issued += 1
            into.devices[outcome.unit] = (issued.model, issued.imeis, issued.fingerprint)
        else:
            into.refused += 1
            code = outcome.error.code if outcome.error is not None else "?"
            into.refuse(f"{outcome.unit}: {code}")


def check_eol(session: Session, params: dict[str, Any], actor: str, into: Provisioned) -> None:
    """The final-test cell's end-of-line check for each provisioned handset that passed."""
    for uid in params["devices"]:
        device = into.devices.get(uid)
        if device is None:
            continue  # its provisioning was refused: nothing to attest
        model, imeis, fingerprint = device
        facts = Attestation(unit=uid, serial=uid, imeis=list(imeis), boot_state="verified",
                            bootloader_locked=True,
                            security_patch=into.releases[model].security_patch,
                            certificate_fingerprint=fingerprint)  # fmt: skip
        verdict = check_end_of_line(session, facts, actor, station=params["station"])
        if verdict.passed:
            into.eol_passed += 1
        else:
            into.eol_failed += 1
            into.refuse(f"{uid}: {verdict.reasons[0]['code']}")
