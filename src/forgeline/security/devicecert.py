"""Device identity certificates encoded directly as DER (pure), the issuance fast path.

`cryptography`'s certificate builder spends about three times as long assembling a certificate
as signing it (its fixed per-certificate cost dominated issuance). A device certificate of our
profile (`pki.py`) differs from the next only in serial, validity, subject, public key and
IMEIs, so we encode the to-be-signed part here - the fixed pieces once per issuer - let the
`Signer` sign those bytes (exactly what an HSM is given) and wrap them. The output is
byte-for-byte what the builder produces for the same inputs (a test holds us to that) and
`openssl verify` accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from forgeline.security.pki import (
    CLOCK_SKEW,
    DEVICE_VALIDITY,
    ORGANISATION,
    imei_uri,
)
from forgeline.security.signer import Signer, assemble_signed, der

_VERSION_3 = bytes.fromhex("a003020102")
_ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")
_CRITICAL = bytes.fromhex("0101ff")


def _extension(oid: bytes, value: bytes, critical: bool = False) -> bytes:
    return der(0x30, der(0x06, oid) + (_CRITICAL if critical else b"") + der(0x04, value))


# Fixed for every device certificate of the profile.
_BASIC_CONSTRAINTS = _extension(bytes.fromhex("551d13"), bytes.fromhex("3000"), critical=True)
# digitalSignature (bit 0) + keyAgreement (bit 4): 0b10001000, 3 unused bits.
_KEY_USAGE = _extension(bytes.fromhex("551d0f"), bytes.fromhex("03020388"), critical=True)
_CLIENT_AUTH = _extension(bytes.fromhex("551d25"), bytes.fromhex("300a06082b06010505070302"))
_SAN_OID, _SKI_OID, _AKI_OID = (bytes.fromhex(h) for h in ("551d11", "551d0e", "551d23"))


def _integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    while len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
        raw = raw[1:]
    return der(0x02, raw)


def _time(moment: datetime) -> bytes:
    moment = moment.astimezone(UTC)
    if moment.year < 2050:
        return der(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return der(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,./:=?-]{1,64}$")
_ORGANISATION_RDN = der(
    0x31, der(0x30, der(0x06, bytes.fromhex("55040a")) + der(0x0C, ORGANISATION.encode()))
)
_SERIAL_OID, _CN_OID = bytes.fromhex("550405"), bytes.fromhex("550403")
# SubjectPublicKeyInfo of an id-ecPublicKey on prime256v1, up to the BIT STRING's point.
_P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def _subject(unit_serial: str) -> bytes:
    """O, serialNumber (PrintableString), CN (UTF8String), as cryptography encodes them."""
    if not _PRINTABLE.match(unit_serial):
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, unit_serial),
                x509.NameAttribute(NameOID.COMMON_NAME, unit_serial),
            ]
        ).public_bytes()
    value = unit_serial.encode("ascii")
    serial = der(0x31, der(0x30, der(0x06, _SERIAL_OID) + der(0x13, value)))
    common = der(0x31, der(0x30, der(0x06, _CN_OID) + der(0x0C, value)))
    return der(0x30, _ORGANISATION_RDN + serial + common)


@dataclass(frozen=True)
class DeviceCertificate:
    der: bytes
    serial: int
    not_after: datetime

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def pem(self) -> str:
        body = base64.b64encode(self.der).decode("ascii")
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


class DeviceCertificateEncoder:
    """Encodes and signs device certificates for one issuing CA."""

    def __init__(self, issuer: x509.Certificate, signer: Signer) -> None:
        self._issuer_name = issuer.subject.public_bytes()
        self._aki = _extension(
            _AKI_OID,
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key).public_bytes(),
        )
        self._signer = signer
        self._validity_of: tuple[datetime, bytes, datetime] | None = None

    def _validity(self, now: datetime) -> tuple[bytes, datetime]:
        """Validity DER for `now`, kept while a batch shares one issue time."""
        if self._validity_of is None or self._validity_of[0] != now:
            start = (now - CLOCK_SKEW).replace(microsecond=0)
            end = (now + DEVICE_VALIDITY).replace(microsecond=0)
            self._validity_of = (now, der(0x30, _time(start) + _time(end)), end)
        return self._validity_of[1], self._validity_of[2]

    def tbs(
        self,
        public_key: ec.EllipticCurvePublicKey,
        unit_serial: str,
        imeis: Sequence[str],
        serial_number: int,
        now: datetime,
    ) -> tuple[bytes, datetime]:
        """The TBSCertificate DER and the certificate's notAfter."""
        validity, end = self._validity(now)
        point = public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        spki = (
            _P256_SPKI_PREFIX + point
            if isinstance(public_key.curve, ec.SECP256R1)
            else public_key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        san = der(0x30, b"".join(der(0x86, imei_uri(i).encode("ascii")) for i in imeis))
        ski = der(0x04, hashlib.sha1(point, usedforsecurity=False).digest())  # RFC 5280 method 1
        extensions = (
            _BASIC_CONSTRAINTS
            + _KEY_USAGE
            + _CLIENT_AUTH
            + _extension(_SAN_OID, san)
            + _extension(_SKI_OID, ski)
            + self._aki
        )
        body = (
            _VERSION_3
            + _integer(serial_number)
            + _ECDSA_SHA256
            + self._issuer_name
            + validity
            + _subject(unit_serial)
            + spki
            + der(0xA3, der(0x30, extensions))
        )
        return der(0x30, body), end

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        unit_serial: str,
        imeis: Sequence[str],
        serial_number: int,
        now: datetime,
    ) -> DeviceCertificate:
        tbs, not_after = self.tbs(public_key, unit_serial, imeis, serial_number, now)
        signed = assemble_signed(tbs, self._signer.sign_tbs(tbs))
        return DeviceCertificate(signed, serial_number, not_after.replace(tzinfo=UTC))
