"""A small plant history built with the production models, for tracing both ways.

SHEET-LOT-1 ── sheet S1 ─┬─ glass G1 ── IOX-RUN-1 (BATH-A, BSK-01) ── in handset H1
                         ├─ glass G2 ── IOX-RUN-1 (BATH-A, BSK-01), scratched, on hold
                         └─ glass G3 ── IOX-RUN-2 (BATH-A, BSK-02) ── in handset H2
SHEET-LOT-2 ── sheet S2 ─── glass G4 ── IOX-RUN-3 (BATH-B, BSK-01), still waiting
H1 uses PCBA-LOT-1 + BATT-LOT-1; H2 uses PCBA-LOT-1 + BATT-LOT-2.
CNC by alice on CNC-01 (G1, G2 on day 1; G3, G4 on day 2); AOI by bob on AOI-01 (G1, G2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forgeline.production.tables import (
    BatchRun,
    Bath,
    BathEvent,
    Carrier,
    Defect,
    Hold,
    HoldUnit,
    LotUse,
    MaterialLot,
    Measurement,
    OperationRecord,
    Unit,
)

T0 = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
GTIN = "09506000134352"


def gs1(serial: str) -> str:
    return f"(01){GTIN}(21){serial}"


G1, G2, G3, G4 = (gs1(f"G{n:04d}") for n in range(1, 5))
S1, S2, H1, H2 = "SHEET-0001", "SHEET-0002", "HS-000001", "HS-000002"


@dataclass
class Genealogy:
    """Ids of what was built, by uid or code."""

    units: dict[str, int]
    t0: datetime = T0


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


class _Builder:
    def __init__(self, session: Session) -> None:
        self.s = session
        self.units: dict[str, Unit] = {}

    def add(self, row: Any) -> Any:
        self.s.add(row)
        self.s.flush()
        return row

    def lot(self, code: str, kind: str) -> MaterialLot:
        return self.add(MaterialLot(code=code, kind=kind, supplier="Acme", received_at=T0))

    def unit(self, uid: str, kind: str, status: str, **kw: Any) -> Unit:
        row = self.add(
            Unit(
                uid=uid,
                kind=kind,
                product_code=f"P-{kind.upper()}",
                routing_code=f"R-{kind.upper()}",
                plant_revision=1,
                status=status,
                created_at=kw.pop("created_at", T0),
                updated_at=T0,
                **kw,
            )
        )
        self.units[uid] = row
        return row

    def op(self, uid: str, op: str, station: str, operator: str, at: datetime, **kw: Any) -> int:
        record = self.add(
            OperationRecord(
                unit_id=self.units[uid].id,
                operation_code=op,
                station_code=station,
                operator=operator,
                track_in_at=at,
                track_out_at=at + timedelta(minutes=20),
                result=kw.pop("result", "pass"),
                **kw,
            )
        )
        return int(record.id)


def build_genealogy(session: Session) -> Genealogy:
    b = _Builder(session)
    sheet_lot_1, sheet_lot_2 = (
        b.lot("SHEET-LOT-1", "glass_sheet"),
        b.lot("SHEET-LOT-2", "glass_sheet"),
    )
    pcba, batt_1, batt_2 = (
        b.lot("PCBA-LOT-1", "pcba"),
        b.lot("BATT-LOT-1", "battery"),
        b.lot("BATT-LOT-2", "battery"),
    )
    bsk_1 = b.add(Carrier(code="BSK-01", kind="basket", capacity=300))
    bsk_2 = b.add(Carrier(code="BSK-02", kind="basket", capacity=300))
    bath_a = b.add(Bath(code="BATH-A", station_code="IOX-01", started_at=T0, na_wt_pct=0.4))
    bath_b = b.add(Bath(code="BATH-B", station_code="IOX-02", started_at=T0))
    for at, na in ((hours(0), 0.10), (hours(2), 0.25), (hours(10), 0.55)):
        b.add(BathEvent(bath_id=bath_a.id, kind="analysis", at=at, values={"na_wt_pct": na}))
    b.add(BathEvent(bath_id=bath_a.id, kind="top_up", at=hours(2.5), values={"kg": 20}))
    b.add(BathEvent(bath_id=bath_b.id, kind="analysis", at=hours(1), values={"na_wt_pct": 0.05}))
    run_1 = _run(b, "IOX-RUN-1", bath_a, hours(3), ["BSK-01"])
    run_2 = _run(b, "IOX-RUN-2", bath_a, hours(27), ["BSK-02"])
    run_3 = _run(b, "IOX-RUN-3", bath_b, hours(28), ["BSK-01"])

    b.unit(S1, "sheet", "finished", lot_id=sheet_lot_1.id)
    b.unit(S2, "sheet", "finished", lot_id=sheet_lot_2.id)
    h1 = b.unit(H1, "handset", "finished", created_at=hours(40))
    h2 = b.unit(H2, "handset", "in_process", created_at=hours(41))
    glass = {
        G1: ("finished", S1, h1.id, run_1, bsk_1, hours(1)),
        G2: ("on_hold", S1, None, run_1, bsk_1, hours(1.5)),
        G3: ("finished", S1, h2.id, run_2, bsk_2, hours(25)),
        G4: ("waiting", S2, None, run_3, bsk_1, hours(26)),
    }
    records: dict[str, int] = {}
    for uid, (status, sheet, into, run, carrier, cnc_at) in glass.items():
        parent = b.units[sheet]
        b.unit(
            uid,
            "glass",
            status,
            lot_id=parent.lot_id,
            parent_id=parent.id,
            assembled_into_id=into,
            created_at=cnc_at,
        )
        b.op(uid, "CNC", "CNC-01", "alice", cnc_at)
        b.op(
            uid,
            "IOX",
            run.station_code,
            "dave",
            run.started_at,
            carrier_id=carrier.id,
            batch_run_id=run.id,
        )
    for uid in (G1, G2):
        records[uid] = b.op(uid, "AOI", "AOI-01", "bob", hours(12))
        b.add(_measure(b.units[uid].id, records[uid], 812.0))
    b.add(_measure(b.units[G1].id, None, 805.0, at=hours(30)))  # lab re-test, no record
    b.add(
        Defect(
            unit_id=b.units[G2].id,
            record_id=records[G2],
            defect_code="SCRATCH",
            zone="A",
            size_mm=0.4,
            station_code="AOI-01",
            found_at=hours(12),
        )
    )
    b.op(S1, "SCRIBE", "SCR-01", "erin", hours(0.5))
    for handset, at in ((H1, hours(40)), (H2, hours(41))):
        b.op(handset, "ASSY", "ASM-01", "carol", at)
    b.op(H1, "TEST", "FT-01", "carol", hours(42))
    for unit_id, lot, role in (
        (h1.id, pcba, "pcba"),
        (h1.id, batt_1, "battery"),
        (h2.id, pcba, "pcba"),
        (h2.id, batt_2, "battery"),
    ):
        b.add(LotUse(unit_id=unit_id, lot_id=lot.id, role=role, at=hours(40)))
    hold = b.add(
        Hold(
            target_type="batch",
            target_code="IOX-RUN-1",
            reason="bath drift",
            placed_by="qa",
            placed_at=hours(13),
        )
    )
    b.add(HoldUnit(hold_id=hold.id, unit_id=b.units[G2].id))
    b.add(HoldUnit(hold_id=hold.id, unit_id=b.units[G1].id))
    return Genealogy(units={uid: int(row.id) for uid, row in b.units.items()})


def _run(b: _Builder, code: str, bath: Bath, at: datetime, carriers: list[str]) -> BatchRun:
    run: BatchRun = b.add(
        BatchRun(
            code=code,
            station_code=bath.station_code,
            operation_code="IOX",
            bath_id=bath.id,
            carriers=carriers,
            started_at=at,
            ended_at=at + timedelta(hours=6),
            parameters={"temp_c": 420},
        )
    )
    return run


def _measure(unit_id: int, record_id: int | None, value: float, at: datetime = T0) -> Measurement:
    return Measurement(
        unit_id=unit_id,
        record_id=record_id,
        operation_code="AOI",
        station_code="AOI-01",
        characteristic_code="CS_MPA",
        value=value,
        lsl=700.0,
        usl=900.0,
        in_spec=True,
        measured_at=hours(12) if at == T0 else at,
    )


@pytest.fixture
def genealogy(db: Session) -> Genealogy:
    return build_genealogy(db)
