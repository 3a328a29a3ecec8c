"""The certificate encoders and signers, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from forgeline.security.devicecert import DeviceCertificateEncoder
from forgeline.security.imei import make_imei
from forgeline.security.pki import ca_certificate, certificate_imeis, device_builder, new_serial
from forgeline.security.signer import ExternalSigner, SoftwareSigner

CA_KEY = ec.generate_private_key(ec.SECP256R1())
SIGNER = SoftwareSigner(CA_KEY)
NOW = datetime(2026, 7, 1, 8, 30, 15, 123456, tzinfo=UTC)
CA = ca_certificate(SIGNER, CA_KEY.public_key(), "Test Device CA", "intermediate", NOW)
AKI = x509.AuthorityKeyIdentifier.from_issuer_public_key(CA_KEY.public_key())
DEVICE = ec.generate_private_key(ec.SECP256R1()).public_key()


@settings(max_examples=40)
@given(
    st.from_regex(r"^[A-Z0-9]{6,20}$", fullmatch=True),
    st.integers(min_value=1, max_value=2**127 - 1),
    st.integers(min_value=0, max_value=999_998),
    st.booleans(),
)
def test_fast_encoder_matches_the_builder_byte_for_byte(
    unit: str, serial: int, imei_serial: int, pair: bool
) -> None:
    imeis = [make_imei("35829104", imei_serial + i) for i in range(2 if pair else 1)]
    ours, _ = DeviceCertificateEncoder(CA, SIGNER).tbs(DEVICE, unit, imeis, serial, NOW)
    builder = device_builder(CA, AKI, DEVICE, unit, imeis, serial, NOW)
    assert ours == SIGNER.sign_certificate(builder).tbs_certificate_bytes


def test_encoded_certificate_verifies_and_names_its_imeis() -> None:
    imeis = [make_imei("35829104", 10), make_imei("35829104", 11)]
    issued = DeviceCertificateEncoder(CA, SIGNER).issue(DEVICE, "SN123", imeis, new_serial(), NOW)
    cert = x509.load_pem_x509_certificate(issued.pem.encode())
    cert.verify_directly_issued_by(CA)
    assert certificate_imeis(cert) == imeis
    assert cert.not_valid_after_utc == issued.not_after


def test_an_external_signer_needs_only_a_sign_function() -> None:
    """What a PKCS#11 adapter does: sign bytes elsewhere, return DER ECDSA (r, s)."""
    calls: list[int] = []

    def hsm_sign(data: bytes) -> bytes:
        calls.append(len(data))
        return CA_KEY.sign(data, ec.ECDSA(hashes.SHA256()))

    external = ExternalSigner(CA_KEY.public_key(), hsm_sign)
    cert = external.sign_certificate(device_builder(CA, AKI, DEVICE, "SN9", [], new_serial(), NOW))
    cert.verify_directly_issued_by(CA)
    fast = DeviceCertificateEncoder(CA, external).issue(DEVICE, "SN9", [], new_serial(), NOW)
    x509.load_der_x509_certificate(fast.der).verify_directly_issued_by(CA)
    crl = external.sign_crl(
        x509.CertificateRevocationListBuilder()
        .issuer_name(CA.subject)
        .last_update(NOW)
        .next_update(NOW.replace(year=2027))
    )
    assert crl.is_signature_valid(CA_KEY.public_key())
    assert len(calls) == 3
