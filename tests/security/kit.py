"""Building blocks for the security tests: the default plant, handset units, device CSRs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import insert
from sqlalchemy.orm import Session

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.tables import Unit

DUAL, SINGLE = "SNT-S1", "SNT-S1P"  # SNT-S1 is dual-SIM (TAC 35829104), SNT-S1P single
ACTOR = "user:tester"
T0 = datetime(2026, 7, 1, tzinfo=UTC)


def load_plant(session: Session) -> int:
    return load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR).number


def add_handsets(
    session: Session, revision: int, uids: list[str], model: str = DUAL, status: str = "waiting"
) -> None:
    session.execute(
        insert(Unit),
        [
            {
                "uid": uid,
                "kind": "handset",
                "product_code": model,
                "routing_code": "HS-SEC",
                "plant_revision": revision,
                "status": status,
                "position": -1,
                "rework_counts": {},
                "hold_count": 0,
                "created_at": T0,
                "updated_at": T0,
            }
            for uid in uids
        ],
    )
    session.flush()


DEVICE_KEY = ec.generate_private_key(ec.SECP256R1())


def csr_for(serial: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None) -> str:
    """A PKCS#10 request as a device makes it: CN = its serial, signed with its own key."""
    signing_key = key or DEVICE_KEY
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, serial)]))
        .sign(signing_key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def tampered_csr(serial: str) -> str:
    """A CSR whose signature no longer matches its content (a byte of the subject changed)."""
    pem = csr_for(serial)
    der = bytearray(x509.load_pem_x509_csr(pem.encode()).public_bytes(serialization.Encoding.DER))
    at = bytes(der).index(serial.encode())
    der[at] ^= 0x01  # the CN now reads differently; the signature was over the original
    body = base64.encodebytes(bytes(der)).decode()
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"
