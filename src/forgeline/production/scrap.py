"""The primary defect of each scrap, kept on its record for the scrap Pareto.

A scrap track-out counts once in the Pareto (`yields.scrap_pareto`), under its primary defect:
the first defect recorded at the scrapping visit, else the unit's latest defect, else none
("unspecified"); and under that defect's origin operation, else the scrapping operation.

Working that out when the Pareto is drawn means two defect lookups per scrap: ~110 ms for the
31,000 scraps of a month at 10 M pieces (1 % scrap), ten times that at a real plant's scrap
rate. So the attribution is kept on the scrap record (`scrap_defect`, `scrap_origin`, in the
covering partial index of scraps) and the Pareto is one range of that index.

Defects can come after the scrap (a defect event from the station that just scrapped the
unit, or failure analysis later), so ingest works the attribution out again, in SQL and after
the batch's rows are written, for the scrap record of every unit it scrapped or recorded a
defect on (`attribute`); the definition lives in that one statement.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, literal_column, select, update
from sqlalchemy.orm import Session, aliased

from forgeline.production.routing import Result
from forgeline.production.tables import Defect, OperationRecord

# A literal, so that the planner can use the partial index of scraps (SQLite cannot match a
# bound parameter to an index's WHERE).
IS_SCRAP = OperationRecord.result == literal_column(f"'{Result.SCRAP.value}'")


def attribute(session: Session, unit_ids: Collection[int] | None = None) -> None:
    """Work out the primary defect of the scrap records of these units (of all, with None)."""
    if unit_ids is not None and not unit_ids:
        return
    record = OperationRecord
    on_visit, latest, chosen = aliased(Defect), aliased(Defect), aliased(Defect)
    primary = func.coalesce(
        select(func.min(on_visit.id))
        .where(on_visit.unit_id == record.unit_id, on_visit.record_id == record.id)
        .correlate(record)
        .scalar_subquery(),
        select(func.max(latest.id))
        .where(latest.unit_id == record.unit_id)
        .correlate(record)
        .scalar_subquery(),
    )
    statement = (
        update(record)
        .where(IS_SCRAP)
        .values(
            scrap_defect=select(chosen.defect_code).where(chosen.id == primary).scalar_subquery(),
            scrap_origin=select(chosen.origin_operation)
            .where(chosen.id == primary)
            .scalar_subquery(),
        )
        .execution_options(synchronize_session=False)
    )
    if unit_ids is not None:
        statement = statement.where(record.unit_id.in_(sorted(unit_ids)))
    session.execute(statement)
