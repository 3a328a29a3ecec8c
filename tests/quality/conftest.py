"""A finished work order of Aurora A55 cover glass, written through the production models.

WO-QA-1 for AURORA: sheet SHEET-Q1 (lot SL-Q1, Acme) split into pieces Q0001..Q0006, all
finished; each went through IOX cycle IOX-Q1 in bath BATH-Q1 and has CS, DOL and THK measured
(in spec). Q0007 is a seventh piece still waiting at POLISH (not finished), Q0008 is finished
but on hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from forgeline.auth.principal import SYSTEM_ACTOR
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

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
GTIN = "08901234500019"
PRODUCT = "CG-AUR-A55"
CS = [812.0, 818.5, 824.0, 809.5, 821.0, 816.0]
DOL = [44.0, 46.5, 45.0, 43.5, 47.0, 45.5]
THK = [0.551, 0.549, 0.552, 0.548, 0.550, 0.551]


def gs1(serial: str) -> str:
    return f"(01){GTIN}(21){serial}"


FINISHED = [gs1(f"Q{n:04d}") for n in range(1, 7)]
WAITING, HELD = gs1("Q0007"), gs1("Q0008")


@dataclass
class Plant:
    work_order: str
    units: list[str]
    lot: str
    batch: str
    measurement_ids: dict[str, int]


def _unit(db: Session, uid: str, status: str, **kw: object) -> Unit:
    row = Unit(
        uid=uid,
        kind=kw.pop("kind", "glass"),
        product_code=PRODUCT,
        routing_code="CG-STD",
        plant_revision=1,
        status=status,
        position=-1,
        next_operation=None,
        rework_counts={},
        hold_count=0,
        created_at=T0,
        updated_at=T0,
        **kw,
    )
    db.add(row)
    db.flush()
    return row


def _measure(db: Session, unit: Unit, code: str, value: float, at: datetime, **kw: object) -> int:
    row = Measurement(
        unit_id=unit.id,
        operation_code=kw.pop("operation", "IOX"),
        station_code=kw.pop("station", "IOX-01"),
        characteristic_code=code,
        value=value,
        lsl=None,
        usl=None,
        in_spec=True,
        measured_at=at,
        **kw,
    )
    db.add(row)
    db.flush()
    return row.id


@pytest.fixture
def plant(db: Session) -> Plant:
    built = build_plant(db)
    db.commit()  # visible to the app's sessions on the same connection
    return built


def build_plant(db: Session) -> Plant:
    """The work order of the module docstring, written through the production models."""
    load_definition_file(db, DEFAULT_PLANT, SYSTEM_ACTOR)
    order = WorkOrder(
        code="WO-QA-1",
        product_code=PRODUCT,
        customer_code="AURORA",
        quantity=8,
        due_date=date(2026, 3, 31),
        status="released",
        line_code=None,
        plant_revision=1,
    )
    lot = MaterialLot(
        code="SL-Q1", kind="glass_sheet", supplier="Acme", supplier_lot="A-77", quantity=10
    )
    db.add_all([order, lot])
    db.flush()
    sheet = _unit(db, "SHEET-Q1", "consumed", kind="sheet", lot_id=lot.id, work_order_id=order.id)
    bath = Bath(code="BATH-Q1", station_code="IOX-01", started_at=T0 - timedelta(days=3))
    db.add(bath)
    db.flush()
    batch = BatchRun(
        code="IOX-Q1",
        station_code="IOX-01",
        operation_code="IOX",
        bath_id=bath.id,
        carriers=[],
        started_at=T0,
        ended_at=T0 + timedelta(hours=6),
    )
    db.add(batch)
    db.flush()
    ids: dict[str, int] = {}
    for i, uid in enumerate(FINISHED):
        piece = _unit(db, uid, "finished", parent_id=sheet.id, work_order_id=order.id)
        db.add(
            OperationRecord(
                unit_id=piece.id,
                operation_code="IOX",
                station_code="IOX-01",
                operator="op-1",
                batch_run_id=batch.id,
                track_in_at=T0,
                track_out_at=T0 + timedelta(hours=6),
                result="pass",
                visit=1,
            )
        )
        at = T0 + timedelta(hours=6, minutes=i)
        ids[uid] = _measure(db, piece, "CS", CS[i], at, batch_run_id=batch.id)
        _measure(db, piece, "DOL", DOL[i], at, batch_run_id=batch.id)
        _measure(db, piece, "THK", THK[i], at - timedelta(hours=8), operation="POLISH",
                 station="POL-01")  # fmt: skip
    _unit(db, WAITING, "waiting", parent_id=sheet.id, work_order_id=order.id)
    held = _unit(db, HELD, "finished", parent_id=sheet.id, work_order_id=order.id)
    held.hold_count = 1
    db.flush()
    return Plant("WO-QA-1", FINISHED, "SL-Q1", "IOX-Q1", ids)
