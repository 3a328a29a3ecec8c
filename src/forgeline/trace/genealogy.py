"""The device history record of one unit: its genealogy and every record attached to it.

The genealogy is walked level by level (a handset, the glass in it, the sheet the glass was cut
from) with one statement per level; then the history of every unit found is read with one
statement per kind of record (operations, measurements, defects, lot uses, holds) and the
referenced carriers, batch runs, baths and lots with one statement each. A handset's record
costs about a dozen statements whatever its history holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from forgeline.api.schemas import StrictModel
from forgeline.production.schemas import BathOut, LotOut
from forgeline.trace import queries
from forgeline.trace.queries import AnyRow
from forgeline.trace.schemas import (
    BatchRunOut,
    BathAnalysis,
    CarrierOut,
    DefectOut,
    HoldOut,
    LotUseOut,
    MeasurementOut,
    OperationOut,
    TimelineEntry,
    UnitTrace,
)

# Handset > glass > sheet is three levels; the bound guards against a corrupted cycle.
MAX_DEPTH = 8


def lot_out(row: AnyRow) -> LotOut:
    return LotOut(
        code=row.code,
        kind=row.kind,
        material=row.material,
        supplier=row.supplier,
        supplier_lot=row.supplier_lot,
        quantity=row.quantity,
        certificate=row.certificate,
        received_at=row.received_at,
        hold_count=row.hold_count,
    )


def carrier_out(row: AnyRow) -> CarrierOut:
    return CarrierOut(
        code=row.code, kind=row.kind, capacity=row.capacity, hold_count=row.hold_count
    )


def _fields(model: type[StrictModel], row: AnyRow) -> dict[str, Any]:
    """The row's values for the model's fields (the row may carry more columns, e.g. ids)."""
    return {name: getattr(row, name) for name in model.model_fields}


def bath_out(row: AnyRow) -> BathOut:
    return BathOut.model_validate(_fields(BathOut, row))


def hold_out(row: AnyRow) -> HoldOut:
    return HoldOut.model_validate(_fields(HoldOut, row))


def batch_run_outs(session: Session, ids: Collection[int]) -> dict[int, BatchRunOut]:
    """Batch runs by id, each with its bath and the bath chemistry in force at its start."""
    outs: dict[int, BatchRunOut] = {}
    for run in queries.batch_runs(session, ids):
        values = run._asdict()
        bath = None
        if run.bath_id is not None:
            bath = BathOut.model_validate(
                {name: values[f"bath__{name}"] for name in BathOut.model_fields}
            )
        chemistry = None
        if run.analysis_at is not None:
            chemistry = BathAnalysis(at=run.analysis_at, values=run.analysis_values)
        outs[run.id] = BatchRunOut(
            code=run.code,
            station_code=run.station_code,
            operation_code=run.operation_code,
            started_at=run.started_at,
            ended_at=run.ended_at,
            carriers=list(run.carriers or []),
            parameters=run.parameters,
            hold_count=run.hold_count,
            bath=bath,
            chemistry=chemistry,
        )
    return outs


def _measurement(row: AnyRow) -> MeasurementOut:
    return MeasurementOut(
        characteristic_code=row.characteristic_code,
        value=row.value,
        lsl=row.lsl,
        usl=row.usl,
        in_spec=row.in_spec,
        operation_code=row.operation_code,
        station_code=row.station_code,
        measured_at=row.measured_at,
    )


def _defect(row: AnyRow) -> DefectOut:
    return DefectOut(
        defect_code=row.defect_code,
        zone=row.zone,
        x_mm=row.x_mm,
        y_mm=row.y_mm,
        size_mm=row.size_mm,
        origin_operation=row.origin_operation,
        station_code=row.station_code,
        found_at=row.found_at,
    )


def _walk(session: Session, unit_id: int) -> dict[int, AnyRow]:
    """The unit and everything it is made of: components (assembled_into) and the units they
    were split from (parent), one statement per level."""
    found = {row.id: row for row in queries.units(session, [unit_id])}
    frontier = list(found.values())
    for _ in range(MAX_DEPTH):
        parents = {r.parent_id for r in frontier if r.parent_id is not None} - found.keys()
        rows = queries.related_units(session, [r.id for r in frontier], parents)
        frontier = [row for row in rows if row.id not in found]
        if not frontier:
            break
        found.update((row.id, row) for row in frontier)
    return found


@dataclass
class _History:
    """Every record of the genealogy's units, grouped by unit id (and operation record id)."""

    operations: dict[int, list[AnyRow]] = field(default_factory=lambda: defaultdict(list))
    measurements: dict[int | None, list[MeasurementOut]] = field(
        default_factory=lambda: defaultdict(list)
    )
    defects: dict[int | None, list[DefectOut]] = field(default_factory=lambda: defaultdict(list))
    loose_measurements: dict[int, list[MeasurementOut]] = field(
        default_factory=lambda: defaultdict(list)
    )
    loose_defects: dict[int, list[DefectOut]] = field(default_factory=lambda: defaultdict(list))
    lot_uses: dict[int, list[LotUseOut]] = field(default_factory=lambda: defaultdict(list))
    holds: dict[int, list[HoldOut]] = field(default_factory=lambda: defaultdict(list))
    carriers: dict[int, CarrierOut] = field(default_factory=dict)
    batch_runs: dict[int, BatchRunOut] = field(default_factory=dict)
    lots: dict[int, LotOut] = field(default_factory=dict)


def _history(session: Session, units: dict[int, AnyRow]) -> _History:
    ids = list(units)
    history = _History()
    operations = queries.operations(session, ids)
    record_ids = set()
    for op in operations:
        history.operations[op.unit_id].append(op)
        record_ids.add(op.id)
    # A measurement or defect whose record is not in this history stays with its unit.
    for row in queries.measurements(session, ids):
        if row.record_id in record_ids:
            history.measurements[row.record_id].append(_measurement(row))
        else:
            history.loose_measurements[row.unit_id].append(_measurement(row))
    for row in queries.defects(session, ids):
        if row.record_id in record_ids:
            history.defects[row.record_id].append(_defect(row))
        else:
            history.loose_defects[row.unit_id].append(_defect(row))
    for row in queries.lot_uses(session, ids):
        history.lot_uses[row.unit_id].append(
            LotUseOut(role=row.role, at=row.used_at, lot=lot_out(row))
        )
    for row in queries.unit_holds(session, ids):
        history.holds[row.unit_id].append(hold_out(row))
    carrier_ids = {op.carrier_id for op in operations if op.carrier_id is not None}
    history.carriers = {r.id: carrier_out(r) for r in queries.carriers(session, carrier_ids)}
    run_ids = {op.batch_run_id for op in operations if op.batch_run_id is not None}
    history.batch_runs = batch_run_outs(session, run_ids) if run_ids else {}
    lot_ids = {row.lot_id for row in units.values() if row.lot_id is not None}
    history.lots = {row.id: lot_out(row) for row in queries.lots(session, lot_ids)}
    return history


def _operation(op: AnyRow, history: _History) -> OperationOut:
    return OperationOut(
        operation_code=op.operation_code,
        station_code=op.station_code,
        operator=op.operator,
        track_in_at=op.track_in_at,
        track_out_at=op.track_out_at,
        result=op.result,
        rework_to=op.rework_to,
        visit=op.visit,
        carrier=history.carriers.get(op.carrier_id) if op.carrier_id is not None else None,
        batch_run=history.batch_runs.get(op.batch_run_id) if op.batch_run_id is not None else None,
        measurements=history.measurements.get(op.id, []),
        defects=history.defects.get(op.id, []),
    )


def _node(
    unit: AnyRow, units: dict[int, AnyRow], history: _History, uid_of: dict[int, str]
) -> UnitTrace:
    components = [
        _node(other, units, history, uid_of)
        for other in sorted(units.values(), key=lambda r: r.uid)
        if other.assembled_into_id == unit.id
    ]
    parent = units.get(unit.parent_id) if unit.parent_id is not None else None
    into = unit.assembled_into_id
    return UnitTrace(
        uid=unit.uid,
        kind=unit.kind,
        product_code=unit.product_code,
        routing_code=unit.routing_code,
        status=unit.status,
        next_operation=unit.next_operation,
        current_station=unit.current_station,
        hold_count=unit.hold_count,
        created_at=unit.created_at,
        lot=history.lots.get(unit.lot_id) if unit.lot_id is not None else None,
        assembled_into=uid_of.get(into) if into is not None else None,
        operations=[_operation(op, history) for op in history.operations.get(unit.id, [])],
        other_measurements=history.loose_measurements.get(unit.id, []),
        other_defects=history.loose_defects.get(unit.id, []),
        lots_used=history.lot_uses.get(unit.id, []),
        holds=history.holds.get(unit.id, []),
        split_from=_node(parent, units, history, uid_of) if parent is not None else None,
        components=components,
    )


def _timeline(units: dict[int, AnyRow], history: _History) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=op.track_in_at,
            unit_uid=units[unit_id].uid,
            unit_kind=units[unit_id].kind,
            operation_code=op.operation_code,
            station_code=op.station_code,
            operator=op.operator,
            result=op.result,
        )
        for unit_id, ops in history.operations.items()
        for op in ops
    ]
    return sorted(entries, key=lambda e: (e.at, e.unit_uid))


def _uids(
    session: Session, units: dict[int, AnyRow], wanted: Iterable[int | None]
) -> dict[int, str]:
    uid_of = {row.id: row.uid for row in units.values()}
    missing = {i for i in wanted if i is not None} - uid_of.keys()
    return uid_of | (queries.uids(session, missing) if missing else {})


def unit_genealogy(session: Session, unit_id: int) -> tuple[UnitTrace, list[TimelineEntry]]:
    """The unit's device history record (its components nested in it) and one timeline of
    every operation in the genealogy."""
    units = _walk(session, unit_id)
    history = _history(session, units)
    # Only the root can be assembled into something outside the genealogy.
    uid_of = _uids(session, units, [units[unit_id].assembled_into_id])
    return _node(units[unit_id], units, history, uid_of), _timeline(units, history)
