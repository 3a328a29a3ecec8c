"""Every read of the trace domain, batched by unit ids so a trace costs a fixed number of queries
per genealogy level, never one per record.

Reads select columns (Core rows), not ORM entities: a device history record touches dozens of
rows and a recall set thousands, and identity-map bookkeeping would be most of the cost.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeAlias, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Row,
    Select,
    Table,
    bindparam,
    exists,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from forgeline.db.base import Base
from forgeline.plant.tables import PlantStation
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

# Rows and selects of any shape: the trace reads many column lists and names columns by label.
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
# Well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
IN_CHUNK = 5_000
ANALYSIS = "analysis"


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


# Core tables, not ORM classes: statements built once at import and executed on the session's
# connection skip the ORM's per-statement machinery, which would otherwise be most of the cost
# of a dozen small reads.
unit, lot, carrier, bath = _table(Unit), _table(MaterialLot), _table(Carrier), _table(Bath)
bath_event, batch_run, record = _table(BathEvent), _table(BatchRun), _table(OperationRecord)
measurement, defect, lot_use = _table(Measurement), _table(Defect), _table(LotUse)
hold, hold_unit = _table(Hold), _table(HoldUnit)
IDS: BindParameter[Any] = bindparam("ids", expanding=True)
CODE: BindParameter[Any] = bindparam("code")

UNIT_COLUMNS = [unit.c[name] for name in (
    "id", "uid", "kind", "product_code", "routing_code", "status", "next_operation",
    "current_station", "hold_count", "created_at", "lot_id", "parent_id", "assembled_into_id",
)]  # fmt: skip
# The few columns a recall set needs per unit.
AFFECTED_COLUMNS = [unit.c[name] for name in (
    "id", "uid", "kind", "product_code", "status", "next_operation", "current_station",
    "hold_count", "assembled_into_id",
)]  # fmt: skip
LOT_COLUMNS = list(lot.c)
HOLD_COLUMNS = list(hold.c)

_UNITS = select(*UNIT_COLUMNS).where(unit.c.id.in_(IDS))
_RELATED = select(*UNIT_COLUMNS).where(
    or_(
        unit.c.assembled_into_id.in_(bindparam("containers", expanding=True)),
        unit.c.id.in_(bindparam("parents", expanding=True)),
    )
)
_OPERATIONS = (
    select(*(c for c in record.c))
    .where(record.c.unit_id.in_(IDS))
    .order_by(record.c.unit_id, record.c.track_in_at, record.c.id)
)
_MEASUREMENTS = (
    select(*measurement.c).where(measurement.c.unit_id.in_(IDS))
    .order_by(measurement.c.measured_at, measurement.c.id)
)  # fmt: skip
_DEFECTS = (
    select(*defect.c).where(defect.c.unit_id.in_(IDS)).order_by(defect.c.found_at, defect.c.id)
)
_LOT_USES = (
    select(lot_use.c.unit_id, lot_use.c.role, lot_use.c.at.label("used_at"), *LOT_COLUMNS)
    .join_from(lot_use, lot, lot.c.id == lot_use.c.lot_id)
    .where(lot_use.c.unit_id.in_(IDS))
    .order_by(lot_use.c.at, lot_use.c.id)
)
_UNIT_HOLDS = (
    select(hold_unit.c.unit_id, *HOLD_COLUMNS)
    .join_from(hold_unit, hold, hold.c.id == hold_unit.c.hold_id)
    .where(hold_unit.c.unit_id.in_(IDS))
    .order_by(hold.c.placed_at, hold.c.id)
)
_TARGET_HOLDS = (
    select(*HOLD_COLUMNS)
    .where(hold.c.target_type == bindparam("target_type"), hold.c.target_code == CODE)
    .order_by(hold.c.placed_at, hold.c.id)
)
_LOTS = select(*LOT_COLUMNS).where(lot.c.id.in_(IDS))
_CARRIERS = select(*carrier.c).where(carrier.c.id.in_(IDS))
_BATHS = select(*bath.c).where(bath.c.id.in_(IDS))
# The bath analysis in force when a batch run started: the latest one at or before it.
_latest_analysis = (
    select(bath_event.c.id)
    .where(
        bath_event.c.bath_id == batch_run.c.bath_id,
        bath_event.c.kind == ANALYSIS,
        bath_event.c.at <= batch_run.c.started_at,
    )
    .order_by(bath_event.c.at.desc(), bath_event.c.id.desc())
    .limit(1)
    .correlate(batch_run)
    .scalar_subquery()
)
_analysis = bath_event.alias("analysis")
# A batch run, its bath (columns prefixed bath__) and the analysis in force, in one statement.
_BATCH_RUNS = (
    select(
        *batch_run.c,
        *(c.label(f"bath__{c.name}") for c in bath.c),
        _analysis.c.at.label("analysis_at"),
        _analysis.c["values"].label("analysis_values"),
    )
    .select_from(batch_run)
    .outerjoin(bath, bath.c.id == batch_run.c.bath_id)
    .outerjoin(_analysis, _analysis.c.id == _latest_analysis)
    .where(batch_run.c.id.in_(IDS))
)
_BATH_ANALYSES = (
    select(bath_event.c.at, bath_event.c["values"])
    .where(bath_event.c.bath_id == bindparam("bath_id"), bath_event.c.kind == ANALYSIS)
    .order_by(bath_event.c.at, bath_event.c.id)
)
_UIDS = select(unit.c.id, unit.c.uid).where(unit.c.id.in_(IDS))


def chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def _run(session: Session, statement: Executable, **params: Any) -> list[AnyRow]:
    return list(session.connection().execute(statement, params).all())


def _rows(session: Session, statement: Executable, ids: Collection[int]) -> list[AnyRow]:
    """`statement` for `ids` (its expanding "ids" parameter), chunked for any number of ids."""
    found: list[AnyRow] = []
    for part in chunks(ids):
        found.extend(_run(session, statement, ids=part))
    return found


# --- resolving identifiers -------------------------------------------------------------------

_UNIT_BY_UID = select(unit.c.id, unit.c.kind).where(unit.c.uid == CODE)
_ID_BY_CODE = {
    name: select(table.c.id).where(table.c.code == CODE)
    for name, table in (("lot", lot), ("carrier", carrier), ("batch_run", batch_run),
                        ("bath", bath))
}  # fmt: skip
_STATION = select(
    or_(
        exists().where(record.c.station_code == CODE),
        exists().where(_table(PlantStation).c.code == CODE),
    )
)
_OPERATOR = select(exists().where(record.c.operator == CODE))


def unit_by_uid(session: Session, uid: str) -> AnyRow | None:
    """(id, kind) of the unit with this uid."""
    rows = _run(session, _UNIT_BY_UID, code=uid)
    return rows[0] if rows else None


def id_by_code(session: Session, kind: str, code: str) -> int | None:
    """The id of the lot, carrier, batch run or bath with this code."""
    rows = _run(session, _ID_BY_CODE[kind], code=code)
    return int(rows[0].id) if rows else None


def station_exists(session: Session, code: str) -> bool:
    """A station is known if it is in any plant revision or has operation records."""
    return bool(_run(session, _STATION, code=code)[0][0])


def operator_exists(session: Session, code: str) -> bool:
    return bool(_run(session, _OPERATOR, code=code)[0][0])


# --- backward: the genealogy and its history -------------------------------------------------


def units(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _UNITS, ids)


def related_units(
    session: Session, container_ids: Collection[int], parent_ids: Collection[int]
) -> list[AnyRow]:
    """One genealogy level down: units assembled into `container_ids`, and the sheets
    `parent_ids` these were split from. One statement; both columns are indexed."""
    if not container_ids and not parent_ids:
        return []
    return _run(session, _RELATED, containers=sorted(container_ids), parents=sorted(parent_ids))


def operations(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _OPERATIONS, unit_ids)


def measurements(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _MEASUREMENTS, unit_ids)


def defects(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _DEFECTS, unit_ids)


def lot_uses(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    """Lot uses of the units, each with its lot's columns (and `used_at`)."""
    return _rows(session, _LOT_USES, unit_ids)


def unit_holds(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _UNIT_HOLDS, unit_ids)


def target_holds(session: Session, target_type: str, code: str) -> list[AnyRow]:
    return _run(session, _TARGET_HOLDS, target_type=target_type, code=code)


def lots(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _LOTS, ids)


def carriers(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _CARRIERS, ids)


def baths(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _BATHS, ids)


def batch_runs(session: Session, ids: Collection[int]) -> list[AnyRow]:
    """Batch runs with their bath (`bath__*`) and the analysis in force (`analysis_*`)."""
    return _rows(session, _BATCH_RUNS, ids)


def bath_analyses(session: Session, bath_id: int) -> list[AnyRow]:
    return _run(session, _BATH_ANALYSES, bath_id=bath_id)


# --- forward: the recall set -----------------------------------------------------------------


def _window(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """`since <= column < until`, either end open when None."""
    clauses: list[ColumnElement[bool]] = []
    if since is not None:
        clauses.append(column >= since)
    if until is not None:
        clauses.append(column < until)
    return clauses


def records_where(
    condition: ColumnElement[bool], since: datetime | None, until: datetime | None
) -> AnySelect:
    """Ids of units with an operation record matching `condition` inside the window."""
    window = _window(record.c.track_in_at, since, until)
    return select(record.c.unit_id.label("unit_id")).where(condition, *window)


def lot_seed(lot_id: int, since: datetime | None, until: datetime | None) -> AnySelect:
    """Units made from the lot (sheets cut from a sheet lot) and units that consumed it."""
    made = select(unit.c.id.label("unit_id")).where(
        unit.c.lot_id == lot_id, *_window(unit.c.created_at, since, until)
    )
    used = select(lot_use.c.unit_id.label("unit_id")).where(
        lot_use.c.lot_id == lot_id, *_window(lot_use.c.at, since, until)
    )
    return select(union(made, used).subquery().c.unit_id)


def bath_seed(bath_id: int, since: datetime | None, until: datetime | None) -> AnySelect:
    runs = select(batch_run.c.id).where(
        batch_run.c.bath_id == bath_id, *_window(batch_run.c.started_at, since, until)
    )
    return select(record.c.unit_id.label("unit_id")).where(record.c.batch_run_id.in_(runs))


def unit_seed(unit_id: int) -> AnySelect:
    return select(unit.c.id.label("unit_id")).where(unit.c.id == unit_id)


def affected_units(session: Session, seed: AnySelect, limit: int) -> Sequence[AnyRow]:
    """The seed units and every unit split from them, recursively (sheet -> glass pieces).

    At most `limit` rows: the caller asks for one more than it accepts to detect an overflow.
    """
    seed_cte = seed.cte("seed")
    tree = select(seed_cte.c.unit_id.label("id")).cte("affected", recursive=True)
    tree = tree.union(select(unit.c.id).join_from(unit, tree, unit.c.parent_id == tree.c.id))
    # Join from the (deduplicated) tree to unit by primary key: one probe per affected unit.
    query = select(*AFFECTED_COLUMNS).join_from(tree, unit, unit.c.id == tree.c.id)
    return _run(session, query.limit(limit))


_CONTAINERS = select(*AFFECTED_COLUMNS).where(unit.c.id.in_(IDS))


def containers(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _rows(session, _CONTAINERS, ids)


def uids(session: Session, ids: Collection[int]) -> dict[int, str]:
    return {row.id: row.uid for row in _rows(session, _UIDS, ids)}
