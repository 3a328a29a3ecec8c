"""Row builders for production tests: history written straight through the ORM.

Holds, OEE and yield read history (units, operation records, equipment states, defects) that the
ingest engine normally writes; these builders let a test state exactly the history it needs. A
record with a result is tallied as ingest tallies its track-outs (`production.tallies`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production import scrap, tallies
from forgeline.production.catalog import catalogs
from forgeline.production.tables import (
    BatchRun,
    Bath,
    Carrier,
    Defect,
    EquipmentState,
    MaterialLot,
    OperationRecord,
    Unit,
)

# 06:00 in Asia/Kolkata: the start of the default plant's shift A.
T0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def load_plant(db: Session) -> None:
    load_definition_file(db, DEFAULT_PLANT, SYSTEM_ACTOR)
    db.flush()


def unit(
    db: Session,
    uid: str,
    *,
    status: str = "waiting",
    next_operation: str | None = "IQC",
    routing: str = "CG-STD",
    lot: MaterialLot | None = None,
    parent: Unit | None = None,
    carrier: Carrier | None = None,
    hold_count: int = 0,
    work_order_id: int | None = None,
) -> Unit:
    row = Unit(
        uid=uid,
        kind="glass",
        product_code="CG-AUR-A55",
        routing_code=routing,
        plant_revision=1,
        lot_id=lot.id if lot else None,
        parent_id=parent.id if parent else None,
        carrier_id=carrier.id if carrier else None,
        work_order_id=work_order_id,
        status=status,
        position=-1,
        next_operation=next_operation,
        rework_counts={},
        hold_count=hold_count,
        created_at=T0,
        updated_at=T0,
    )
    db.add(row)
    db.flush()
    return row


def lot(db: Session, code: str) -> MaterialLot:
    row = MaterialLot(code=code, kind="glass_sheet", quantity=100, hold_count=0, received_at=T0)
    db.add(row)
    db.flush()
    return row


def carrier(db: Session, code: str) -> Carrier:
    row = Carrier(code=code, kind="basket", capacity=3000, hold_count=0)
    db.add(row)
    db.flush()
    return row


def bath(db: Session, code: str, station: str = "IOX-01") -> Bath:
    row = Bath(code=code, station_code=station, started_at=at(-100), hold_count=0)
    db.add(row)
    db.flush()
    return row


def batch(
    db: Session,
    code: str,
    start: float,
    end: float | None,
    *,
    station: str = "IOX-01",
    bath_row: Bath | None = None,
) -> BatchRun:
    row = BatchRun(
        code=code,
        station_code=station,
        operation_code="IOX",
        bath_id=bath_row.id if bath_row else None,
        started_at=at(start),
        ended_at=None if end is None else at(end),
        hold_count=0,
    )
    db.add(row)
    db.flush()
    return row


def record(
    db: Session,
    unit_row: Unit,
    operation: str,
    station: str,
    start: float,
    end: float | None,
    result: str | None = "pass",
    *,
    visit: int = 1,
    batch_row: BatchRun | None = None,
) -> OperationRecord:
    row = OperationRecord(
        unit_id=unit_row.id,
        operation_code=operation,
        station_code=station,
        operator="user:op",
        batch_run_id=batch_row.id if batch_row else None,
        track_in_at=at(start),
        track_out_at=None if end is None else at(end),
        result=result if end is not None else None,
        visit=visit,
    )
    db.add(row)
    db.flush()
    if end is not None and result is not None:
        catalog = catalogs(db, [unit_row.plant_revision]).get(unit_row.plant_revision)
        final = tallies.last_steps(catalog) if catalog else {}  # some tests load no plant
        counts = tallies.TallyBuffer()
        counts.add(at(end), tallies.site_zone(db), unit_row.routing_code, operation, station,
                   result, visit == 1, final.get(unit_row.routing_code) == operation,
                   unit_row.work_order_id, unit_row.product_code)  # fmt: skip
        tallies.store(db, counts)
        scrap.attribute(db, [unit_row.id])
    return row


def defect(
    db: Session, record_row: OperationRecord, code: str, origin: str | None = None
) -> Defect:
    row = Defect(
        unit_id=record_row.unit_id,
        record_id=record_row.id,
        defect_code=code,
        origin_operation=origin,
        station_code=record_row.station_code,
        found_at=record_row.track_out_at or T0,
    )
    db.add(row)
    db.flush()
    scrap.attribute(db, [record_row.unit_id])  # as ingest does after a batch's defects
    return row


def state(db: Session, station: str, name: str, hours: float) -> None:
    db.add(EquipmentState(station_code=station, state=name, reason="", started_at=at(hours)))
    db.flush()


def hold_counts(db: Session) -> dict[str, int]:
    """uid -> hold_count of every unit, read fresh from the database."""
    db.expire_all()
    return dict(db.execute(select(Unit.uid, Unit.hold_count)).all())


def audit_entries(db: Session, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    return list(db.scalars(query))


def audit_actions(db: Session, prefix: str) -> set[str]:
    """The distinct audited actions starting with `prefix`."""
    return set(db.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))))
