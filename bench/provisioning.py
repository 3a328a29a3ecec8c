"""Identity issuance throughput: CSR check + certificate + IMEI pair + licence unit + records +
audit, end to end, against the raw `cryptography` signing rate measured in the same run.

Run: .venv/bin/python bench/provisioning.py [--devices N] [--batch B] [--http]

On a fresh SQLite file it loads the default plant, initialises the factory PKI, grants a licence
pool and creates N dual-SIM handsets; device keys and CSRs are made up front (a device makes its
own key in its trusted environment, so that is not the factory's cost). Then:

- ceiling: the raw `cryptography` rates on this machine, same run: ECDSA P-256 signatures of
  TBS-sized data; device certificates of the same profile encoded and signed (no database),
  both by our DER encoder (what issuance uses) and by `cryptography`'s builder; CSR parse +
  signature checks;
- service: `issue_identities` in write units of work of B devices (what the batch endpoint
  runs: one transaction per batch, BEGIN IMMEDIATE), every device checked, licensed, given two
  IMEIs, certified, stored and audited;
- http (with --http): the same through POST /api/v1/security/identities/batch with a station
  token, JSON both ways.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from forgeline.app import create_app
from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.auth.service import create_station_token
from forgeline.config import load_settings
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.models import metadata
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.tables import Unit
from forgeline.security import licences
from forgeline.security.authority import init_pki, issuer
from forgeline.security.handsets import model_named
from forgeline.security.identity import IdentityRequest, issue_identities
from forgeline.security.imei import make_imei
from forgeline.security.pki import check_csr, device_builder, fingerprint, new_serial
from forgeline.security.tables import DeviceIdentity, ImeiRecord

MODEL = "SNT-S1"  # dual SIM: an IMEI pair per device
T0 = datetime(2026, 7, 1, tzinfo=UTC)


def _csrs(uids: list[str]) -> list[str]:
    out = []
    for uid in uids:
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, uid)]))
            .sign(key, hashes.SHA256())
        )
        out.append(csr.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    return out


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def ceiling(settings: Any, factory: Any, csrs: list[str], uids: list[str]) -> dict[str, Any]:
    """Raw cryptography on this machine: what the service path is measured against."""
    key = ec.generate_private_key(ec.SECP256R1())
    data = secrets.token_bytes(400)
    n = min(len(csrs), 5000)
    started = time.perf_counter()
    for _ in range(n):
        key.sign(data, ec.ECDSA(hashes.SHA256()))
    raw_sign = _rate(n, time.perf_counter() - started)
    with session_scope(factory) as session:
        ca = issuer(session, settings)
    public_keys = [x509.load_pem_x509_csr(c.encode()).public_key() for c in csrs[:n]]
    started = time.perf_counter()
    for i, (uid, public_key) in enumerate(zip(uids[:n], public_keys, strict=True)):
        pair = (make_imei("35829199", 2 * i), make_imei("35829199", 2 * i + 1))
        builder = device_builder(
            ca.certificate,
            ca.key_identifier,
            public_key,
            uid,
            pair,
            new_serial(),
            T0,  # type: ignore[arg-type]
        )
        fingerprint(ca.signer.sign_certificate(builder))
    builder_certs = _rate(n, time.perf_counter() - started)
    started = time.perf_counter()
    for i, (uid, public_key) in enumerate(zip(uids[:n], public_keys, strict=True)):
        pair = (make_imei("35829199", 2 * i), make_imei("35829199", 2 * i + 1))
        ca.encoder.issue(public_key, uid, pair, new_serial(), T0)  # type: ignore[arg-type]
    certs = _rate(n, time.perf_counter() - started)
    started = time.perf_counter()
    for uid, csr in zip(uids[:n], csrs[:n], strict=True):
        check_csr(csr, uid)
    csr_checks = _rate(n, time.perf_counter() - started)
    return {
        "ecdsa_p256_sign_per_s": raw_sign,
        "device_certificates_per_s": certs,
        "device_certificates_builder_per_s": builder_certs,
        "csr_checks_per_s": csr_checks,
        "samples": n,
    }


def prepare(url: str, settings: Any, uids: list[str]) -> Any:
    engine = make_engine(url)
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    with session_scope(factory, write=True) as session:
        revision = load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR).number
        init_pki(session, settings, SYSTEM_ACTOR)
        licences.grant_pool(
            session, code="BENCH-IN", licensor="SECVENDOR", model=model_named(session, MODEL),
            territory="IN", valid_from=date(2020, 1, 1), valid_until=date(2099, 12, 31),
            units=len(uids) * 2, actor=SYSTEM_ACTOR,
        )  # fmt: skip
        session.execute(
            insert(Unit),
            [
                {"uid": uid, "kind": "handset", "product_code": MODEL, "routing_code": "HS-SEC",
                 "plant_revision": revision, "status": "waiting", "position": -1,
                 "rework_counts": {}, "hold_count": 0, "created_at": T0, "updated_at": T0}
                for uid in uids
            ],
        )  # fmt: skip
    return engine, factory


def service_run(
    settings: Any, factory: Any, uids: list[str], csrs: list[str], batch: int
) -> dict[str, Any]:
    started = time.perf_counter()
    issued = 0
    for i in range(0, len(uids), batch):
        requests = [
            IdentityRequest(u, c, "IN")
            for u, c in zip(uids[i : i + batch], csrs[i : i + batch], strict=True)
        ]
        with session_scope(factory, write=True) as session:
            outcomes, _ = issue_identities(
                session, settings, requests, actor="station:PRV-01", station="PRV-01"
            )
        issued += sum(1 for o in outcomes if o.issued)
    seconds = time.perf_counter() - started
    return {
        "devices": issued,
        "seconds": round(seconds, 3),
        "devices_per_s": _rate(issued, seconds),
    }


def http_run(
    settings: Any, factory: Any, uids: list[str], csrs: list[str], batch: int
) -> dict[str, Any]:
    with session_scope(factory, write=True) as session:
        token, _ = create_station_token(
            session, "PRV-02", SYSTEM_ACTOR, settings.secret_key.get_secret_value()
        )
    headers = {"Authorization": f"Bearer {token}"}
    issued = 0
    with TestClient(create_app(settings, factory)) as client:
        started = time.perf_counter()
        for i in range(0, len(uids), batch):
            devices = [
                {"unit": u, "csr": c, "territory": "IN"}
                for u, c in zip(uids[i : i + batch], csrs[i : i + batch], strict=True)
            ]
            answer = client.post(
                "/api/v1/security/identities/batch", json={"devices": devices}, headers=headers
            )
            answer.raise_for_status()
            issued += answer.json()["issued"]
        seconds = time.perf_counter() - started
    return {
        "devices": issued,
        "seconds": round(seconds, 3),
        "devices_per_s": _rate(issued, seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--http", action="store_true", help="also through the batch endpoint")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "benchmark": "provisioning",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "devices": args.devices,
        "batch": args.batch,
    }
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {"FORGELINE_ENVIRONMENT": "test", "FORGELINE_DATA_DIR": tmp,
             "FORGELINE_SECRET_KEY": secrets.token_urlsafe(48)}
        )  # fmt: skip
        uids = [f"BN{i:07d}" for i in range(args.devices)]
        http_uids = [f"BH{i:07d}" for i in range(args.devices)] if args.http else []
        csrs, http_csrs = _csrs(uids), _csrs(http_uids)
        engine, factory = prepare(f"sqlite:///{Path(tmp) / 'bench.db'}", settings, uids + http_uids)
        results["ceiling"] = ceiling(settings, factory, csrs, uids)
        results["sqlite_service"] = service_run(settings, factory, uids, csrs, args.batch)
        if args.http:
            results["sqlite_http"] = http_run(settings, factory, http_uids, http_csrs, args.batch)
        with session_scope(factory) as session:
            results["check"] = {
                "identities": session.scalar(select(func.count()).select_from(DeviceIdentity)),
                "imeis": session.scalar(select(func.count()).select_from(ImeiRecord)),
                "distinct_imeis": session.scalar(
                    select(func.count(func.distinct(ImeiRecord.imei)))
                ),
            }
        engine.dispose()
    service = results["sqlite_service"]["devices_per_s"]
    ceil = results["ceiling"]
    # The cryptography a device needs at least: one CSR check plus one certificate.
    crypto = 1 / (1 / ceil["csr_checks_per_s"] + 1 / ceil["device_certificates_per_s"])
    ceil["crypto_per_device_per_s"] = round(crypto, 1)
    results["ratio_service_to_crypto_ceiling"] = round(service / crypto, 3)
    results["ratio_service_to_raw_sign"] = round(service / ceil["ecdsa_p256_sign_per_s"], 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
