"""The factory PKI as pure functions: CA and device certificate profiles, CSR checks, CRLs.

Hierarchy: an offline-style root (P-384, 25 years, signs intermediates and its own CRL only) and
a factory intermediate (P-256, 10 years, path length 0) that issues device identity
certificates. The device profile (docs/security.md):

- subject ``CN=<unit serial>, serialNumber=<unit serial>, O=<organisation>``;
- subjectAltName: one ``urn:gsma:imei:TAC-SNR-CD`` URI per IMEI (RFC 7254);
- basicConstraints CA:FALSE (critical), keyUsage digitalSignature + keyAgreement (critical),
  extendedKeyUsage clientAuth, subject and authority key identifiers;
- ECDSA P-256 key from the device's own CSR, signed ecdsa-with-SHA256 by the intermediate;
- a random 127-bit serial; valid from five minutes before issue (clock skew) for 20 years.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from forgeline.errors import invalid
from forgeline.security.signer import Signer

ORGANISATION = "Forgeline Secure Handset Factory"
DEVICE_VALIDITY = timedelta(days=365 * 20)
CA_VALIDITY = {"root": timedelta(days=365 * 25), "intermediate": timedelta(days=365 * 10)}
CLOCK_SKEW = timedelta(minutes=5)
CRL_VALIDITY = timedelta(days=7)
MAX_CSR_BYTES = 8_192


def new_serial() -> int:
    """A random positive serial under 2**127 (fits 20 DER bytes and 32 hex digits)."""
    return x509.random_serial_number() >> 32


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 over the DER, lower-case hex: how stations and pages name a certificate."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def to_pem(certificate: x509.Certificate | x509.CertificateRevocationList) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def imei_uri(imei: str) -> str:
    return f"urn:gsma:imei:{imei[:8]}-{imei[8:14]}-{imei[14]}"


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def ca_certificate(
    signer: Signer,
    subject_key: ec.EllipticCurvePublicKey,
    common_name: str,
    kind: str,
    now: datetime,
    issuer: x509.Certificate | None = None,
) -> x509.Certificate:
    """A root (self-signed when `issuer` is None) or an intermediate signed by `signer`."""
    subject = _ca_name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(subject_key)
        .serial_number(new_serial())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_VALIDITY[kind])
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None if kind == "root" else 0),
            critical=True,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key), critical=False
        )
    )
    return signer.sign_certificate(builder)


@dataclass(frozen=True, slots=True)
class CheckedCsr:
    """A CSR that passed every check: its P-256 public key and the serial it names."""

    public_key: ec.EllipticCurvePublicKey
    common_name: str


def check_csr(pem: str | bytes, unit_serial: str) -> CheckedCsr:
    """Parse and check a device CSR: well-formed, self-signature valid, EC P-256, CN = serial."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    if len(data) > MAX_CSR_BYTES:
        raise invalid("csr.too_large", f"a CSR is at most {MAX_CSR_BYTES} bytes")
    try:
        csr = (
            x509.load_pem_x509_csr(data)
            if data.lstrip().startswith(b"-----")
            else x509.load_der_x509_csr(data)
        )
        key = csr.public_key()
        signature_ok = csr.is_signature_valid
    except (ValueError, TypeError) as exc:
        raise invalid("csr.malformed", "the CSR could not be parsed (PEM or DER PKCS#10)") from exc
    if not signature_ok:
        raise invalid("csr.bad_signature", "the CSR's self-signature does not verify")
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        kind = type(key).__name__.removesuffix("PublicKey").lstrip("_")
        curve = getattr(getattr(key, "curve", None), "name", None)
        raise invalid(
            "csr.wrong_key_type",
            f"device keys must be ECDSA P-256, the CSR carries {curve or kind}",
            key_type=curve or kind,
        )
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if len(names) == 1 else ""
    if common_name != unit_serial:
        raise invalid(
            "csr.subject_mismatch",
            f"the CSR's subject CN must be the unit serial {unit_serial!r}, not {common_name!r}",
            expected=unit_serial,
            found=common_name,
        )
    return CheckedCsr(key, common_name)


def csr_common_name(pem: str) -> str:
    """The CN a CSR names ("" if unreadable): the unit serial it claims, before any check."""
    try:
        names = x509.load_pem_x509_csr(
            pem.encode("ascii", "replace")
        ).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return ""
    return str(names[0].value) if names else ""


def device_builder(
    issuer: x509.Certificate,
    issuer_key_id: x509.AuthorityKeyIdentifier,
    public_key: ec.EllipticCurvePublicKey,
    unit_serial: str,
    imeis: Sequence[str],
    serial_number: int,
    now: datetime,
) -> x509.CertificateBuilder:
    """The device identity certificate of the documented profile, ready to sign."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, unit_serial),
            x509.NameAttribute(NameOID.COMMON_NAME, unit_serial),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(serial_number)
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + DEVICE_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_DEVICE_KEY_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(imei_uri(i)) for i in imeis]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(issuer_key_id, critical=False)
    )


_DEVICE_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=True,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def certificate_imeis(certificate: x509.Certificate) -> list[str]:
    """The IMEIs a device certificate names (from its subjectAltName URIs)."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    prefix = "urn:gsma:imei:"
    return [
        uri.removeprefix(prefix).replace("-", "")
        for uri in san.value.get_values_for_type(x509.UniformResourceIdentifier)
        if uri.startswith(prefix)
    ]


REVOCATION_REASONS = {
    "key_compromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
    "unspecified": x509.ReasonFlags.unspecified,
}


def build_crl(
    signer: Signer,
    issuer: x509.Certificate,
    revoked: Sequence[tuple[int, datetime, str]],
    crl_number: int,
    now: datetime,
) -> x509.CertificateRevocationList:
    """A CRL of (serial, revoked at, reason) signed by the issuing CA, valid for a week."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now - CLOCK_SKEW)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key), critical=False
        )
    )
    for serial, at, reason in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(at)
            .add_extension(
                x509.CRLReason(REVOCATION_REASONS.get(reason, x509.ReasonFlags.unspecified)),
                critical=False,
            )
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return signer.sign_crl(builder)
