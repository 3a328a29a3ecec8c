"""What an SPC alarm puts on hold: the pieces processed in the chart's context since it was last
in control.

"Processed in the context" is read from the operation records of the operation where the
characteristic was measured: at the chart's station (``station`` or a station-type context that
is that operation's station type), in its bath (the record's batch run ran in it), of its product
or customer, on its line; a station-type context the operation does not run on (e.g. the furnace
for a measurement taken later) means the piece visited that station. ``shift`` narrows nothing:
a shift is not a place, and what a drifting process made spans shifts.

"Since the last in-control point" is strictly after the latest track-in, at that operation, of
the pieces in the last point that broke no rule: pieces of the same batch run as a good point
(an ion-exchange basket load shares one track-in time) stay free.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from forgeline.production.catalog import PlantCatalog
from forgeline.production.tables import BatchRun, Bath, HoldUnit, OperationRecord, Unit
from forgeline.quality.contexts import NO_VALUE


def last_good_cutoff(session: Session, unit_ids: Sequence[int], operation: str) -> datetime | None:
    """The latest track-in, at `operation`, of the pieces of the last in-control point."""
    if not unit_ids:
        return None
    found: datetime | None = session.scalar(
        select(func.max(OperationRecord.track_in_at)).where(
            OperationRecord.unit_id.in_(sorted(set(unit_ids))),
            OperationRecord.operation_code == operation,
        )
    )
    return found


def units_in_context(
    catalog: PlantCatalog,
    context: dict[str, str],
    operation: str,
    cutoff: datetime | None,
    *,
    exclude_holds: Sequence[int] = (),
) -> Select[Any]:
    """The ids of the units processed at `operation` in `context` after `cutoff`."""
    record = OperationRecord
    query = select(record.unit_id).where(record.operation_code == operation)
    if cutoff is not None:
        query = query.where(record.track_in_at > cutoff)
    plant = catalog.definition
    for name, value in context.items():
        if value == NO_VALUE or name == "shift":
            continue
        if name == "station" or (operation, name) in catalog.operations_by_type:
            query = query.where(record.station_code == value)
        elif name == "line":
            stations = [s.code for s in plant.station_specs() if s.line == value]
            query = query.where(record.station_code.in_(stations))
        elif name == "product":
            query = query.where(
                record.unit_id.in_(select(Unit.id).where(Unit.product_code == value))
            )
        elif name == "customer":
            products = [p.code for p in plant.all_products() if p.customer == value]
            query = query.where(
                record.unit_id.in_(select(Unit.id).where(Unit.product_code.in_(products)))
            )
        elif name == "bath":
            runs = (
                select(BatchRun.id)
                .join(Bath, Bath.id == BatchRun.bath_id)
                .where(Bath.code == value)
            )
            query = query.where(record.batch_run_id.in_(runs))
        else:  # a station type the operation does not run on: the piece visited that station
            visit = aliased(OperationRecord)
            query = query.where(
                record.unit_id.in_(select(visit.unit_id).where(visit.station_code == value))
            )
    if exclude_holds:
        held = select(HoldUnit.unit_id).where(HoldUnit.hold_id.in_(list(exclude_holds)))
        query = query.where(record.unit_id.not_in(held))
    return query
