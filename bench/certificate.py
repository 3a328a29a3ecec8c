"""Certificate of conformance and Q-DAS export for one ion-exchange basket (default 3,000 pieces).

Run: .venv/bin/python bench/certificate.py [--units N]

On a fresh SQLite file it loads the default plant and writes one finished work order of N glass
pieces from one sheet lot through one ion-exchange cycle, with CS, DOL and THK measured on every
piece. It then times, each in its own transaction: issuing the certificate (queries, statistics,
PDF with an annex listing every unit, audit entry), verifying the PDF, and the Q-DAS export of
the 3 x N values. Baseline measured in the same run: the raw sqlite3 read of the same 3 x N
measurement rows by unit (what any export must at least read). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import insert

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.models import metadata
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.tables import (
    BatchRun,
    Bath,
    MaterialLot,
    Measurement,
    OperationRecord,
    Unit,
    WorkOrder,
)
from forgeline.quality import coc, qdas

T = TypeVar("T")
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
GTIN = "08901234500019"


def build(url: str, n: int) -> None:
    factory = make_session_factory(make_engine(url))
    with session_scope(factory, write=True) as s:
        load_definition_file(s, DEFAULT_PLANT, SYSTEM_ACTOR)
        order = WorkOrder(code="WO-B", product_code="CG-AUR-A55", customer_code="AURORA",
                          quantity=n, due_date=date(2026, 3, 31), plant_revision=1)  # fmt: skip
        lot = MaterialLot(code="SL-B", kind="glass_sheet", supplier="Acme", quantity=n)
        bath = Bath(code="BATH-B", station_code="IOX-01", started_at=T0)
        s.add_all([order, lot, bath])
        s.flush()
        run = BatchRun(code="IOX-B", station_code="IOX-01", operation_code="IOX", bath_id=bath.id,
                       carriers=[], started_at=T0, ended_at=T0 + timedelta(hours=6))  # fmt: skip
        s.add(run)
        s.flush()
        s.execute(insert(Unit), [
            {"id": i + 1, "uid": f"(01){GTIN}(21)B{i:07d}", "kind": "glass",
             "product_code": "CG-AUR-A55", "routing_code": "CG-STD", "plant_revision": 1,
             "work_order_id": order.id, "lot_id": lot.id, "status": "finished", "position": 12,
             "rework_counts": {}, "hold_count": 0, "created_at": T0, "updated_at": T0}
            for i in range(n)
        ])  # fmt: skip
        s.execute(insert(OperationRecord), [
            {"unit_id": i + 1, "operation_code": "IOX", "station_code": "IOX-01",
             "operator": "op", "batch_run_id": run.id, "track_in_at": T0,
             "track_out_at": T0 + timedelta(hours=6), "result": "pass", "visit": 1}
            for i in range(n)
        ])  # fmt: skip
        rows = []
        for i in range(n):
            at = T0 + timedelta(hours=6, seconds=i)
            for code, value in (("CS", 820 + (i % 17) - 8), ("DOL", 45 + (i % 7) * 0.5),
                                ("THK", 0.55 + (i % 5) * 0.001)):  # fmt: skip
                rows.append({"unit_id": i + 1, "operation_code": "IOX", "station_code": "IOX-01",
                             "characteristic_code": code, "value": float(value), "in_spec": True,
                             "batch_run_id": run.id, "measured_at": at})  # fmt: skip
        s.execute(insert(Measurement), rows)


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        metadata.create_all(engine)
        build(url, args.units)
        factory = make_session_factory(engine)

        def issue() -> tuple[str, bytes]:
            with session_scope(factory, write=True) as s:
                cert = coc.issue_certificate(s, customer="AURORA", work_order="WO-B", actor="bench")
                return cert.code, bytes(cert.pdf)

        issue_s, (code, pdf) = timed(issue)

        def verify() -> bool:
            with session_scope(factory) as s:
                return bool(coc.verify_pdf(s, pdf)["valid"])

        verify_s, valid = timed(verify)

        def export() -> int:
            with session_scope(factory) as s:
                return qdas.export_qdas(s, work_order="WO-B").values

        export_s, values = timed(export)

        def raw_read() -> int:
            con = sqlite3.connect(path)
            try:
                rows = con.execute(
                    "SELECT m.characteristic_code, m.value, m.measured_at FROM measurement m "
                    "JOIN unit u ON u.id = m.unit_id WHERE u.work_order_id = 1"
                ).fetchall()
            finally:
                con.close()
            return len(rows)

        raw_s, raw_rows = timed(raw_read)
        print(json.dumps({
            "units": args.units, "certificate": code, "pdf_bytes": len(pdf), "valid": valid,
            "issue_s": round(issue_s, 3), "verify_s": round(verify_s, 4),
            "qdas_export_s": round(export_s, 3), "qdas_values": values,
            "baseline_raw_read_s": round(raw_s, 4), "baseline_rows": raw_rows,
            "qdas_vs_raw_read": round(export_s / raw_s, 1),
            "python": sys.version.split()[0], "machine": platform.machine(),
        }, indent=2))  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
