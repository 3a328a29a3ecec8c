"""Q-DAS AQDEF ("K-field") export of measurements, for a brand's own SPC software.

One file describes one part (product) and its characteristics, then every measured value.
Lines are ``K<field>/<characteristic index> <value>``, CRLF-terminated, Latin-1 (AQDEF files are
read by Windows tools); text fields lose line breaks, decimal numbers use a point.

Fields written (docs/quality.md has the same table):
- K0100 number of characteristics in the file;
- K1001/1 part number (product code), K1002/1 part description (product name);
- per characteristic i: K2001/i characteristic number (code), K2002/i description (name),
  K2004/i characteristic type (0 = variable), K2101/i nominal (target), K2110/i lower and
  K2111/i upper specification limit, K2142/i unit; an open limit or target is left out;
- per value: K0001/i value, K0004/i date/time (dd.mm.yyyy/HH:MM:SS, UTC), K0006/i batch (the
  batch run, else the work order, else the unit's lot), K0010/i machine (station code),
  K0014/i part ident (the unit's identifier).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.errors import invalid, not_found
from forgeline.plant.definition import PlantDefinition
from forgeline.production.catalog import catalogs
from forgeline.production.tables import (
    BatchRun,
    MaterialLot,
    Measurement,
    Unit,
    WorkOrder,
)
from forgeline.quality.tables import Certificate, CertificateUnit
from forgeline.quality.units import unit_ids

MAX_VALUES = 1_000_000


@dataclass(frozen=True)
class QdasExport:
    product: str
    characteristics: list[str]
    values: int
    text: str

    def encoded(self) -> bytes:
        return self.text.encode("latin-1", "replace")


def _field(value: object) -> str:
    return " ".join(str(value).split())


def _number(value: float) -> str:
    """Plain decimal notation, shortest round-trip digits: never an exponent (0.00001)."""
    return format(Decimal(repr(float(value))), "f")


def _scope(
    session: Session,
    work_order: str | None,
    units: Sequence[str],
    certificate: str | None,
) -> list[int]:
    given = sum(1 for x in (work_order, certificate) if x) + (1 if units else 0)
    if given != 1:
        raise invalid(
            "qdas.scope_required", "give exactly one of: a work order, a certificate, or units"
        )
    if units:
        return list(unit_ids(session, units).values())
    if certificate:
        cert_id = session.scalar(select(Certificate.id).where(Certificate.code == certificate))
        if cert_id is None:
            raise not_found("certificate.not_found", f"no certificate {certificate!r}")
        return list(
            session.scalars(
                select(CertificateUnit.unit_id).where(CertificateUnit.certificate_id == cert_id)
            )
        )
    order_id = session.scalar(select(WorkOrder.id).where(WorkOrder.code == work_order))
    if order_id is None:
        raise not_found("workorder.not_found", f"no work order {work_order!r}")
    return list(session.scalars(select(Unit.id).where(Unit.work_order_id == order_id)))


def _header(plant: PlantDefinition, product: str, codes: list[str]) -> list[str]:
    item = plant.product(product)
    lines = [f"K0100 {len(codes)}", f"K1001/1 {_field(item.code)}", f"K1002/1 {_field(item.name)}"]
    for i, code in enumerate(codes, start=1):
        c = plant.characteristic(code)
        limits = plant.limits_for(code, product)
        lines += [f"K2001/{i} {_field(c.code)}", f"K2002/{i} {_field(c.name)}", f"K2004/{i} 0"]
        for key, value in (("K2101", limits.target), ("K2110", limits.lsl), ("K2111", limits.usl)):
            if value is not None:
                lines.append(f"{key}/{i} {_number(value)}")
        lines.append(f"K2142/{i} {_field(c.unit)}")
    return lines


def export_qdas(
    session: Session,
    *,
    characteristics: Sequence[str] = (),
    work_order: str | None = None,
    units: Sequence[str] = (),
    certificate: str | None = None,
) -> QdasExport:
    """The AQDEF text for the units' measurements of the characteristics (default: all
    characteristics measured on them)."""
    ids = _scope(session, work_order, units, certificate)
    if not ids:
        raise invalid("qdas.no_units", "the scope names no units")
    rows: list[tuple[object, ...]] = []
    products: set[str] = set()
    revision = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = (
            select(
                Measurement.characteristic_code, Measurement.value, Measurement.measured_at,
                Measurement.station_code, Unit.uid, Unit.product_code, Unit.plant_revision,
                BatchRun.code, WorkOrder.code, MaterialLot.code,
            )
            .join(Unit, Unit.id == Measurement.unit_id)
            .outerjoin(BatchRun, BatchRun.id == Measurement.batch_run_id)
            .outerjoin(WorkOrder, WorkOrder.id == Unit.work_order_id)
            .outerjoin(MaterialLot, MaterialLot.id == Unit.lot_id)
            .where(Measurement.unit_id.in_(chunk))
        )  # fmt: skip
        if characteristics:
            query = query.where(Measurement.characteristic_code.in_(list(characteristics)))
        for row in session.execute(query):
            rows.append(tuple(row))
            products.add(str(row[5]))
            revision = max(revision, int(row[6]))
        if len(rows) > MAX_VALUES:
            raise invalid("qdas.too_many_values", f"over {MAX_VALUES} values; narrow the scope")
    if not rows:
        raise invalid("qdas.no_measurements", "no measurements of those characteristics")
    if len(products) != 1:
        raise invalid(
            "qdas.mixed_products",
            f"one AQDEF file describes one part; these units are {', '.join(sorted(products))}",
        )
    product = products.pop()
    plant = catalogs(session, [revision])[revision].definition
    codes = list(characteristics) or sorted({str(r[0]) for r in rows})
    unknown = [c for c in codes if c not in {ch.code for ch in plant.characteristics}]
    if unknown:
        raise not_found("qdas.unknown_characteristic", f"no characteristic {', '.join(unknown)}")
    index = {code: i for i, code in enumerate(codes, start=1)}
    lines = _header(plant, product, codes)
    rows.sort(key=lambda r: (index[str(r[0])], r[2], str(r[4])))
    for code, value, at, station, uid, _p, _r, batch, order, lot in rows:
        i = index[str(code)]
        lines += [
            f"K0001/{i} {_number(float(value))}",  # type: ignore[arg-type]
            f"K0004/{i} {at:%d.%m.%Y/%H:%M:%S}",
            f"K0006/{i} {_field(batch or order or lot or '')}".rstrip(),
            f"K0010/{i} {_field(station)}",
            f"K0014/{i} {_field(uid)}",
        ]
    text = "\r\n".join(lines) + "\r\n"
    return QdasExport(product, codes, len(rows), text)
