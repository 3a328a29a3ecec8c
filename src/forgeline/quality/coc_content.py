"""What a certificate of conformance states, gathered from production and quality records.

Every query is set-based over the certificate's `certificate_unit` rows (written first), so a
certificate of 10,000 units costs a handful of statements, not one per unit. Measurements of a
piece's parent sheet count for the piece (sheet thickness is measured before cutting).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from forgeline.errors import invalid
from forgeline.plant.definition import PlantDefinition
from forgeline.production.tables import (
    BatchRun,
    Bath,
    LotUse,
    MaterialLot,
    Measurement,
    OperationRecord,
    Unit,
    WorkOrder,
)
from forgeline.quality.certificate_stats import characteristic_stats
from forgeline.quality.sampling_results import Subject, results_for
from forgeline.quality.tables import Certificate, CertificateUnit


@dataclass
class CertificateContent:
    code: str
    issued_at: datetime
    issued_by: str
    site: str
    customer: dict[str, str]
    product: dict[str, Any]
    scope: dict[str, Any]
    quantity: int
    lots: list[dict[str, Any]] = field(default_factory=list)
    cycles: list[dict[str, Any]] = field(default_factory=list)
    characteristics: list[dict[str, Any]] = field(default_factory=list)
    sampling: list[dict[str, Any]] = field(default_factory=list)
    units: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without the unit list (the certificate_unit rows keep it)."""
        data = asdict(self)
        data.pop("units")
        data["issued_at"] = self.issued_at.isoformat()
        return data


def _in_certificate(certificate_id: int) -> Any:
    return select(CertificateUnit.unit_id).where(CertificateUnit.certificate_id == certificate_id)


def _lots(session: Session, certificate_id: int) -> list[dict[str, Any]]:
    mine = _in_certificate(certificate_id)
    # A piece's sheet lot is on the piece (inherited at the split) or on its parent sheet.
    sheet = aliased(Unit)
    direct = select(Unit.id, Unit.lot_id).where(Unit.id.in_(mine), Unit.lot_id.is_not(None))
    from_sheet = (
        select(Unit.id, sheet.lot_id)
        .join(sheet, sheet.id == Unit.parent_id)
        .where(Unit.id.in_(mine), Unit.lot_id.is_(None), sheet.lot_id.is_not(None))
    )
    counts: dict[int, set[int]] = defaultdict(set)
    for query in (direct, from_sheet):
        for unit_id, lot_id in session.execute(query):
            if lot_id is not None:
                counts[lot_id].add(unit_id)
    for unit_id, lot_id in session.execute(
        select(LotUse.unit_id, LotUse.lot_id).where(LotUse.unit_id.in_(mine))
    ):
        counts[int(lot_id)].add(int(unit_id))
    if not counts:
        return []
    rows = session.scalars(select(MaterialLot).where(MaterialLot.id.in_(list(counts))))
    return sorted(
        (
            {
                "code": lot.code,
                "kind": lot.kind,
                "supplier": lot.supplier,
                "supplier_lot": lot.supplier_lot,
                "units": len(counts[lot.id]),
            }
            for lot in rows
        ),
        key=lambda d: (d["kind"], d["code"]),
    )


def _cycles(session: Session, certificate_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(
            BatchRun.code,
            BatchRun.station_code,
            BatchRun.operation_code,
            Bath.code,
            BatchRun.started_at,
            BatchRun.ended_at,
            OperationRecord.unit_id,
        )
        .join(OperationRecord, OperationRecord.batch_run_id == BatchRun.id)
        .outerjoin(Bath, Bath.id == BatchRun.bath_id)
        .where(OperationRecord.unit_id.in_(_in_certificate(certificate_id)))
    )
    cycles: dict[str, dict[str, Any]] = {}
    members: dict[str, set[int]] = defaultdict(set)
    for code, station, operation, bath, started, ended, unit_id in rows:
        cycles.setdefault(
            code,
            {
                "code": code,
                "station": station,
                "operation": operation,
                "bath": bath,
                "started_at": started.isoformat(),
                "ended_at": ended.isoformat() if ended else None,
            },
        )
        members[code].add(int(unit_id))
    return [{**cycles[c], "units": len(members[c])} for c in sorted(cycles)]


def _characteristics(
    session: Session, certificate_id: int, plant: PlantDefinition, product: str
) -> list[dict[str, Any]]:
    mine = _in_certificate(certificate_id)
    parents = select(Unit.parent_id).where(Unit.id.in_(mine), Unit.parent_id.is_not(None))
    # The critical characteristics the product's routing measures, in the definition's order.
    planned = {
        m
        for op in plant.routing(plant.product(product).routing).operations
        for m in op.measurements
    }
    critical = [c for c in plant.characteristics if c.critical and c.code in planned]
    values: dict[str, list[float]] = defaultdict(list)
    rows = session.execute(
        select(Measurement.characteristic_code, Measurement.value)
        .where(
            Measurement.characteristic_code.in_([c.code for c in critical]),
            or_(Measurement.unit_id.in_(mine), Measurement.unit_id.in_(parents)),
        )
        .order_by(Measurement.measured_at, Measurement.id)
    )
    for code, value in rows:
        values[code].append(float(value))
    found = []
    for c in critical:
        limits = plant.limits_for(c.code, product)
        stats = characteristic_stats(values.get(c.code, []), limits.lsl, limits.usl)
        found.append(
            {
                "code": c.code,
                "name": c.name,
                "unit": c.unit,
                "lsl": limits.lsl,
                "target": limits.target,
                "usl": limits.usl,
                **stats.as_dict(),
            }
        )
    return found


def _sampling(
    session: Session, certificate_id: int, work_order: str | None, lots: list[dict[str, Any]],
    cycles: list[dict[str, Any]],
) -> list[dict[str, Any]]:  # fmt: skip
    del certificate_id
    subjects = {
        Subject.WORK_ORDER: {work_order} if work_order else set(),
        Subject.LOT: {lot["code"] for lot in lots},
        Subject.BATCH: {cycle["code"] for cycle in cycles},
    }
    return [
        {
            "subject_type": r.subject_type,
            "subject": r.subject_code,
            "test": r.test,
            "characteristic": r.characteristic_code,
            "lot_size": r.lot_size,
            "level": r.inspection_level,
            "aql": r.aql,
            "sample_size": r.sample_size,
            "accept": r.accept_number,
            "reject": r.reject_number,
            "nonconforming": r.nonconforming,
            "decision": r.decision,
        }
        for r in results_for(session, subjects)
    ]


def gather(
    session: Session, certificate: Certificate, plant: PlantDefinition, uids: list[str]
) -> CertificateContent:
    """The certificate's content; refuses a rejected sample or an out-of-spec measurement."""
    product = plant.product(certificate.product_code)
    customer = next(c for c in plant.customers if c.code == certificate.customer_code)
    work_order = None
    if certificate.work_order_id is not None:
        work_order = session.scalar(
            select(WorkOrder.code).where(WorkOrder.id == certificate.work_order_id)
        )
    lots = _lots(session, certificate.id)
    cycles = _cycles(session, certificate.id)
    characteristics = _characteristics(session, certificate.id, plant, product.code)
    sampling = _sampling(session, certificate.id, work_order, lots, cycles)
    rejected = [f"{s['test']} on {s['subject']}" for s in sampling if s["decision"] == "reject"]
    if rejected:
        raise invalid(
            "certificate.sampling_rejected",
            f"a rejected sample cannot be certified: {', '.join(rejected)}",
            rejected=rejected,
        )
    out = [f"{c['code']} ({c['out_of_spec']})" for c in characteristics if c["out_of_spec"]]
    if out:
        raise invalid(
            "certificate.out_of_spec",
            f"measurements out of specification: {', '.join(out)}; disposition them first",
            characteristics=out,
        )
    return CertificateContent(
        code=certificate.code,
        issued_at=certificate.issued_at,
        issued_by=certificate.issued_by,
        site=plant.site.name,
        customer={"code": customer.code, "name": customer.name},
        product={"code": product.code, "name": product.name, "gtin": product.gtin},
        scope=certificate.scope if work_order is None else {"work_order": work_order},
        quantity=certificate.unit_count,
        lots=lots,
        cycles=cycles,
        characteristics=characteristics,
        sampling=sampling,
        units=sorted(uids),
    )
