"""Who signs certificates and CRLs: a small interface so an HSM can replace the software key.

Callers (the issuance service, CRL publication) only ever hold a `Signer`. `SoftwareSigner`
wraps a private key loaded from its encrypted PKCS#8 PEM. `ExternalSigner` needs nothing but
the public key and a function that signs bytes with ECDSA-SHA256 - exactly what a PKCS#11
session offers (``C_Sign`` with ``CKM_ECDSA_SHA256``) - so a key that never leaves an HSM signs
the same certificates without any caller changing.

Keys at rest are PKCS#8 encrypted with `BestAvailableEncryption`; the passphrase is either given
by a person (the root) or derived from the application's secret key with HMAC-SHA256 (the
intermediate), and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from forgeline.errors import invalid

# DER of AlgorithmIdentifier { ecdsa-with-SHA256 } (RFC 5758: parameters absent).
_ECDSA_SHA256_ALGORITHM = bytes.fromhex("300a06082a8648ce3d040302")


class Signer(Protocol):
    """Signs X.509 structures with one CA key (ECDSA, SHA-256)."""

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey: ...

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate: ...

    def sign_crl(
        self, builder: x509.CertificateRevocationListBuilder
    ) -> x509.CertificateRevocationList: ...

    def sign_tbs(self, tbs: bytes) -> bytes:
        """ECDSA-SHA256 over to-be-signed DER, as a DER ECDSA-Sig-Value."""
        ...


class SoftwareSigner:
    """A signer over a private key held in this process's memory."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._key = private_key

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        return builder.sign(self._key, hashes.SHA256())

    def sign_crl(
        self, builder: x509.CertificateRevocationListBuilder
    ) -> x509.CertificateRevocationList:
        return builder.sign(self._key, hashes.SHA256())

    def sign_tbs(self, tbs: bytes) -> bytes:
        return self._key.sign(tbs, ec.ECDSA(hashes.SHA256()))


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der(tag: int, content: bytes) -> bytes:
    """One DER TLV."""
    return bytes([tag]) + _der_length(len(content)) + content


def assemble_signed(tbs: bytes, signature: bytes) -> bytes:
    """DER of Certificate / CertificateList: SEQUENCE { tbs, algorithm, BIT STRING signature }."""
    return der(0x30, tbs + _ECDSA_SHA256_ALGORITHM + der(0x03, b"\x00" + signature))


class ExternalSigner:
    """A signer whose private key is elsewhere (an HSM): only `sign(bytes) -> DER ECDSA sig`.

    The to-be-signed bytes are produced by `cryptography`'s builder with a throwaway key of the
    same curve (the TBS encodes the algorithm, not the key), then signed outside and assembled.
    """

    def __init__(
        self, public_key: ec.EllipticCurvePublicKey, sign: Callable[[bytes], bytes]
    ) -> None:
        self._public_key = public_key
        self._sign = sign
        self._stand_in = ec.generate_private_key(public_key.curve)

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public_key

    def sign_certificate(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        tbs = builder.sign(self._stand_in, hashes.SHA256()).tbs_certificate_bytes
        return x509.load_der_x509_certificate(assemble_signed(tbs, self._sign(tbs)))

    def sign_crl(
        self, builder: x509.CertificateRevocationListBuilder
    ) -> x509.CertificateRevocationList:
        tbs = builder.sign(self._stand_in, hashes.SHA256()).tbs_certlist_bytes
        return x509.load_der_x509_crl(assemble_signed(tbs, self._sign(tbs)))

    def sign_tbs(self, tbs: bytes) -> bytes:
        return self._sign(tbs)


def derived_passphrase(secret_key: str, purpose: str) -> bytes:
    """A key-encryption passphrase derived from the application secret for one purpose."""
    digest = hmac.new(secret_key.encode(), f"forgeline/pki/{purpose}".encode(), hashlib.sha256)
    return digest.hexdigest().encode()


def encrypt_key(key: ec.EllipticCurvePrivateKey, passphrase: bytes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode("ascii")


def decrypt_key(pem: str, passphrase: bytes) -> ec.EllipticCurvePrivateKey:
    """Load an encrypted CA key; a wrong passphrase is a clear refusal, never a traceback."""
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), passphrase)
    except (ValueError, TypeError) as exc:
        raise invalid("pki.bad_passphrase", "the CA key could not be decrypted") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise invalid("pki.bad_key", "the CA key is not an EC key")
    return key
