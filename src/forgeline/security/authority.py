"""The factory CAs in the database: creating them, loading the issuing signer, publishing CRLs.

The root key is encrypted with a passphrase a person gives (`forgeline pki init`), or, when none
is given, one derived from the application secret (fine for a demo, recorded as such); it is
used only to sign intermediates and the root CRL. The intermediate's key is encrypted with a
passphrase derived from the application secret and decrypted once per process. A CA whose
``key_protection`` is ``hsm`` has no key here: its signer is registered with `register_signer`
(for example a PKCS#11 `ExternalSigner`) under its ``key_ref``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, ErrorKind, conflict, invalid
from forgeline.security.devicecert import DeviceCertificateEncoder
from forgeline.security.pki import build_crl, ca_certificate, fingerprint, to_pem
from forgeline.security.signer import (
    Signer,
    SoftwareSigner,
    decrypt_key,
    derived_passphrase,
    encrypt_key,
)
from forgeline.security.tables import CertificateAuthority, DeviceIdentity

ROOT, INTERMEDIATE = "root", "intermediate"
MIN_PASSPHRASE = 12
_SIGNERS: dict[str, Signer] = {}  # by key_ref (HSM) or "<ca id>:<serial>" (software, cached)


@dataclass(frozen=True)
class Issuer:
    """A CA ready to sign: its row id, certificate, key identifier and signer."""

    id: int
    name: str
    certificate: x509.Certificate
    key_identifier: x509.AuthorityKeyIdentifier
    signer: Signer
    encoder: DeviceCertificateEncoder


def register_signer(key_ref: str, signer: Signer) -> None:
    """Make an HSM-held key available to the CA whose ``key_ref`` names it."""
    _SIGNERS[key_ref] = signer


def _not_initialised() -> DomainError:
    return DomainError(
        "pki.not_initialised",
        "no factory CA yet; run `forgeline pki init`",
        kind=ErrorKind.NOT_FOUND,
    )


def _ca(session: Session, kind: str) -> CertificateAuthority:
    ca = session.scalar(
        select(CertificateAuthority)
        .where(CertificateAuthority.kind == kind, CertificateAuthority.active.is_(True))
        .order_by(CertificateAuthority.id.desc())
        .limit(1)
    )
    if ca is None:
        raise _not_initialised()
    return ca


def _passphrase(settings: Settings, ca: CertificateAuthority, given: str | None) -> bytes:
    if ca.key_protection == "passphrase":
        if not given:
            raise invalid("pki.passphrase_required", f"the {ca.name} key needs its passphrase")
        return given.encode()
    return derived_passphrase(settings.secret_key.get_secret_value(), ca.name)


def _signer(settings: Settings, ca: CertificateAuthority, passphrase: str | None) -> Signer:
    if ca.key_protection == "hsm":
        signer = _SIGNERS.get(ca.key_ref or "")
        if signer is None:
            raise invalid("pki.signer_unavailable", f"no HSM signer registered as {ca.key_ref!r}")
        return signer
    cache_key = f"{ca.id}:{ca.serial_hex}"
    if ca.kind == INTERMEDIATE and cache_key in _SIGNERS:
        return _SIGNERS[cache_key]
    if ca.encrypted_key_pem is None:
        raise invalid("pki.bad_key", f"CA {ca.name} has no key")
    signer = SoftwareSigner(
        decrypt_key(ca.encrypted_key_pem, _passphrase(settings, ca, passphrase))
    )
    if ca.kind == INTERMEDIATE:  # the root key is never kept in memory
        _SIGNERS[cache_key] = signer
    return signer


def _store(
    session: Session,
    settings: Settings,
    name: str,
    kind: str,
    certificate: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    passphrase: str | None,
    parent_id: int | None,
) -> CertificateAuthority:
    protection = "passphrase" if passphrase else "secret_key"
    secret = (
        passphrase.encode()
        if passphrase
        else derived_passphrase(settings.secret_key.get_secret_value(), name)
    )
    ca = CertificateAuthority(
        name=name,
        kind=kind,
        parent_id=parent_id,
        serial_hex=format(certificate.serial_number, "x"),
        subject=certificate.subject.rfc4514_string(),
        certificate_pem=to_pem(certificate),
        encrypted_key_pem=encrypt_key(key, secret),
        key_protection=protection,
        not_after=certificate.not_valid_after_utc,
        crl_number=0,
        active=True,
    )
    session.add(ca)
    session.flush()
    return ca


def init_pki(
    session: Session, settings: Settings, actor: str, *, root_passphrase: str | None = None
) -> tuple[CertificateAuthority, CertificateAuthority]:
    """Create the root and the factory intermediate (once), and publish their empty CRLs."""
    if session.scalar(select(CertificateAuthority.id).limit(1)) is not None:
        raise conflict("pki.already_initialised", "the factory PKI exists already")
    if root_passphrase is not None and len(root_passphrase) < MIN_PASSPHRASE:
        raise invalid("pki.weak_passphrase", f"a root passphrase has {MIN_PASSPHRASE}+ characters")
    now = utcnow()
    root_key = ec.generate_private_key(ec.SECP384R1())
    root_signer = SoftwareSigner(root_key)
    root_cert = ca_certificate(
        root_signer, root_key.public_key(), "Forgeline Factory Root CA", ROOT, now
    )
    root = _store(session, settings, "root", ROOT, root_cert, root_key, root_passphrase, None)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ca_certificate(
        root_signer, key.public_key(), "Forgeline Factory Device CA 1", INTERMEDIATE, now, root_cert
    )
    intermediate = _store(session, settings, "device-ca-1", INTERMEDIATE, cert, key, None, root.id)
    _publish(session, root, root_signer, [])
    _publish(session, intermediate, SoftwareSigner(key), [])
    append(
        session,
        actor=actor,
        action="pki.initialised",
        object_type="certificate_authority",
        object_id=intermediate.name,
        after={
            "root": {"subject": root.subject, "fingerprint": fingerprint(root_cert)},
            "intermediate": {"subject": intermediate.subject, "fingerprint": fingerprint(cert)},
            "root_key_protection": root.key_protection,
        },
    )
    return root, intermediate


def issuer(session: Session, settings: Settings) -> Issuer:
    """The active intermediate, ready to sign device certificates."""
    ca = _ca(session, INTERMEDIATE)
    certificate = x509.load_pem_x509_certificate(ca.certificate_pem.encode("ascii"))
    signer = _signer(settings, ca, None)
    return Issuer(
        ca.id,
        ca.name,
        certificate,
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key),
        signer,
        DeviceCertificateEncoder(certificate, signer),
    )


def chain_pem(session: Session) -> tuple[str, str]:
    """(root, intermediate) certificates as PEM: what a verifier needs."""
    return _ca(session, ROOT).certificate_pem, _ca(session, INTERMEDIATE).certificate_pem


def _publish(
    session: Session,
    ca: CertificateAuthority,
    signer: Signer,
    revoked: Sequence[tuple[int, datetime, str]],
) -> str:
    certificate = x509.load_pem_x509_certificate(ca.certificate_pem.encode("ascii"))
    ca.crl_number += 1
    crl = build_crl(signer, certificate, revoked, ca.crl_number, utcnow())
    ca.crl_pem = to_pem(crl)
    session.flush()
    return ca.crl_pem


def publish_crl(
    session: Session,
    settings: Settings,
    actor: str,
    *,
    kind: str = INTERMEDIATE,
    passphrase: str | None = None,
) -> str:
    """Sign a fresh CRL for a CA (the intermediate: revoked devices; the root: revoked
    intermediates), store it as the published one and audit it."""
    ca = _ca(session, kind)
    signer = _signer(settings, ca, passphrase)
    if kind == INTERMEDIATE:
        rows = session.execute(
            select(
                DeviceIdentity.serial_hex,
                DeviceIdentity.revoked_at,
                DeviceIdentity.revocation_reason,
            )
            .where(DeviceIdentity.issuer_id == ca.id, DeviceIdentity.status == "revoked")
            .order_by(DeviceIdentity.id)
        ).all()
    else:
        rows = session.execute(
            select(
                CertificateAuthority.serial_hex,
                CertificateAuthority.created_at,
                CertificateAuthority.kind,
            ).where(CertificateAuthority.parent_id == ca.id, CertificateAuthority.active.is_(False))
        ).all()
    revoked = [
        (int(serial, 16), at or utcnow(), str(reason or "unspecified"))
        for serial, at, reason in rows
    ]
    pem = _publish(session, ca, signer, revoked)
    append(
        session,
        actor=actor,
        action="pki.crl_published",
        object_type="certificate_authority",
        object_id=ca.name,
        after={"crl_number": ca.crl_number, "revoked": len(revoked)},
    )
    return pem


def published_crl(session: Session, kind: str = INTERMEDIATE) -> str:
    ca = _ca(session, kind)
    if ca.crl_pem is None:
        raise _not_initialised()
    return ca.crl_pem
