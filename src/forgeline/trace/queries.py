"""Every read of the trace domain, batched by unit ids so a trace costs a fixed number of queries
per genealogy level, never one per record.

Reads select columns, not ORM entities: a device history record touches dozens of rows and a
recall set thousands, and identity-map bookkeeping would be most of the cost. Each statement is
built once and run through the driver (`trace.driver`); a list of ids is one parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from functools import cache
from typing import Any, TypeAlias, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Table,
    bindparam,
    exists,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from forgeline.db.base import Base, UTCDateTime
from forgeline.plant.tables import PlantStation
from forgeline.production.bulk import driver_values
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
from forgeline.trace.driver import AnyRow, Read

__all__ = ["AnyRow", "AnySelect"]

# Selects of any shape: the trace reads many column lists and names columns by label.
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
ANALYSIS = "analysis"


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


# Core tables, not ORM classes: the statements are only ever rendered to SQL text.
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

_UNITS = Read(select(*UNIT_COLUMNS).where(unit.c.id.in_(IDS)))
_RELATED = Read(
    select(*UNIT_COLUMNS).where(
        or_(
            unit.c.assembled_into_id.in_(bindparam("containers", expanding=True)),
            unit.c.id.in_(bindparam("parents", expanding=True)),
        )
    )
)
# A unit's operation records and measurements are read in the order of their covering indexes
# (ix_operation_record_unit, ix_measurement_unit): one range scan per unit, no sort, no table
# page. Per unit (and so per operation record) that is still time order.
_OPERATIONS = Read(
    select(*record.c)
    .where(record.c.unit_id.in_(IDS))
    .order_by(record.c.unit_id, record.c.track_in_at, record.c.id)
)
_MEASUREMENTS = Read(
    select(*measurement.c)
    .where(measurement.c.unit_id.in_(IDS))
    .order_by(measurement.c.unit_id, measurement.c.measured_at, measurement.c.id)
)
_DEFECTS = Read(
    select(*defect.c).where(defect.c.unit_id.in_(IDS)).order_by(defect.c.found_at, defect.c.id)
)
_LOT_USES = Read(
    select(lot_use.c.unit_id, lot_use.c.role, lot_use.c.at.label("used_at"), *LOT_COLUMNS)
    .join_from(lot_use, lot, lot.c.id == lot_use.c.lot_id)
    .where(lot_use.c.unit_id.in_(IDS))
    .order_by(lot_use.c.at, lot_use.c.id)
)
_UNIT_HOLDS = Read(
    select(hold_unit.c.unit_id, *HOLD_COLUMNS)
    .join_from(hold_unit, hold, hold.c.id == hold_unit.c.hold_id)
    .where(hold_unit.c.unit_id.in_(IDS))
    .order_by(hold.c.placed_at, hold.c.id)
)
_TARGET_HOLDS = Read(
    select(*HOLD_COLUMNS)
    .where(hold.c.target_type == bindparam("target_type"), hold.c.target_code == CODE)
    .order_by(hold.c.placed_at, hold.c.id)
)
_LOTS = Read(select(*LOT_COLUMNS).where(lot.c.id.in_(IDS)))
_CARRIERS = Read(select(*carrier.c).where(carrier.c.id.in_(IDS)))
_BATHS = Read(select(*bath.c).where(bath.c.id.in_(IDS)))
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
_BATCH_RUNS = Read(
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
_BATH_ANALYSES = Read(
    select(bath_event.c.at, bath_event.c["values"])
    .where(bath_event.c.bath_id == bindparam("bath_id"), bath_event.c.kind == ANALYSIS)
    .order_by(bath_event.c.at, bath_event.c.id)
)
_UIDS = Read(select(unit.c.id, unit.c.uid).where(unit.c.id.in_(IDS)))


# --- resolving identifiers -------------------------------------------------------------------

_UNIT_BY_UID = Read(select(unit.c.id, unit.c.kind).where(unit.c.uid == CODE))
_ID_BY_CODE = {
    name: Read(select(table.c.id).where(table.c.code == CODE))
    for name, table in (("lot", lot), ("carrier", carrier), ("batch_run", batch_run),
                        ("bath", bath))
}  # fmt: skip
_STATION = Read(
    select(
        or_(
            exists().where(record.c.station_code == CODE),
            exists().where(_table(PlantStation).c.code == CODE),
        )
    )
)
_OPERATOR = Read(select(exists().where(record.c.operator == CODE)))


def unit_by_uid(session: Session, uid: str) -> AnyRow | None:
    """(id, kind) of the unit with this uid."""
    rows = _UNIT_BY_UID(session, code=uid)
    return rows[0] if rows else None


def id_by_code(session: Session, kind: str, code: str) -> int | None:
    """The id of the lot, carrier, batch run or bath with this code."""
    rows = _ID_BY_CODE[kind](session, code=code)
    return int(rows[0].id) if rows else None


def station_exists(session: Session, code: str) -> bool:
    """A station is known if it is in any plant revision or has operation records."""
    return bool(_STATION(session, code=code)[0][0])


def operator_exists(session: Session, code: str) -> bool:
    return bool(_OPERATOR(session, code=code)[0][0])


# --- backward: the genealogy and its history -------------------------------------------------


def units(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _UNITS(session, ids=sorted(ids))


def related_units(
    session: Session, container_ids: Collection[int], parent_ids: Collection[int]
) -> list[AnyRow]:
    """One genealogy level down: units assembled into `container_ids`, and the sheets
    `parent_ids` these were split from. One statement; both columns are indexed."""
    if not container_ids and not parent_ids:
        return []
    return _RELATED(session, containers=sorted(container_ids), parents=sorted(parent_ids))


def operations(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _OPERATIONS(session, ids=sorted(unit_ids))


def measurements(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _MEASUREMENTS(session, ids=sorted(unit_ids))


def defects(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _DEFECTS(session, ids=sorted(unit_ids))


def lot_uses(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    """Lot uses of the units, each with its lot's columns (and `used_at`)."""
    return _LOT_USES(session, ids=sorted(unit_ids))


def unit_holds(session: Session, unit_ids: Collection[int]) -> list[AnyRow]:
    return _UNIT_HOLDS(session, ids=sorted(unit_ids))


def target_holds(session: Session, target_type: str, code: str) -> list[AnyRow]:
    return _TARGET_HOLDS(session, target_type=target_type, code=code)


def lots(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _LOTS(session, ids=sorted(ids))


def carriers(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _CARRIERS(session, ids=sorted(ids))


def baths(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _BATHS(session, ids=sorted(ids))


def batch_runs(session: Session, ids: Collection[int]) -> list[AnyRow]:
    """Batch runs with their bath (`bath__*`) and the analysis in force (`analysis_*`)."""
    return _BATCH_RUNS(session, ids=sorted(ids))


def bath_analyses(session: Session, bath_id: int) -> list[AnyRow]:
    return _BATH_ANALYSES(session, bath_id=bath_id)


# --- forward: the recall set -----------------------------------------------------------------


# The recall set's seed, per kind of subject: the subject's id (a code for a station or an
# operator) and the window ends are parameters, so one statement serves every subject of a kind.
SUBJECT: BindParameter[Any] = bindparam("subject")
SINCE: BindParameter[Any] = bindparam("since", type_=UTCDateTime())
UNTIL: BindParameter[Any] = bindparam("until", type_=UTCDateTime())


def _window(column: Any, since: bool, until: bool) -> list[ColumnElement[bool]]:
    """`since <= column < until`, each end only when it is given."""
    return [*([column >= SINCE] if since else []), *([column < UNTIL] if until else [])]


def _records_where(column: Any) -> Callable[[bool, bool], AnySelect]:
    """Ids of units with an operation record whose `column` is the subject, inside the window."""
    return lambda since, until: select(record.c.unit_id.label("unit_id")).where(
        column == SUBJECT, *_window(record.c.track_in_at, since, until)
    )


def _lot_seed(since: bool, until: bool) -> AnySelect:
    """Units made from the lot (sheets cut from a sheet lot) and units that consumed it."""
    made = select(unit.c.id.label("unit_id")).where(
        unit.c.lot_id == SUBJECT, *_window(unit.c.created_at, since, until)
    )
    used = select(lot_use.c.unit_id.label("unit_id")).where(
        lot_use.c.lot_id == SUBJECT, *_window(lot_use.c.at, since, until)
    )
    return select(union(made, used).subquery().c.unit_id)


def _bath_seed(since: bool, until: bool) -> AnySelect:
    runs = select(batch_run.c.id).where(
        batch_run.c.bath_id == SUBJECT, *_window(batch_run.c.started_at, since, until)
    )
    return select(record.c.unit_id.label("unit_id")).where(record.c.batch_run_id.in_(runs))


def _unit_seed(since: bool, until: bool) -> AnySelect:
    # A unit is its own seed whatever the window.
    return select(unit.c.id.label("unit_id")).where(unit.c.id == SUBJECT)


# By SubjectKind value.
_SEEDS: dict[str, Callable[[bool, bool], AnySelect]] = {
    "unit": _unit_seed,
    "lot": _lot_seed,
    "bath": _bath_seed,
    "batch_run": _records_where(record.c.batch_run_id),
    "carrier": _records_where(record.c.carrier_id),
    "station": _records_where(record.c.station_code),
    "operator": _records_where(record.c.operator),
}


@cache
def _affected(kind: str, since: bool, until: bool) -> Read:
    seed_cte = _SEEDS[kind](since, until).cte("seed")
    tree = select(seed_cte.c.unit_id.label("id")).cte("affected", recursive=True)
    tree = tree.union(select(unit.c.id).join_from(unit, tree, unit.c.parent_id == tree.c.id))
    # Join from the (deduplicated) tree to unit by primary key: one probe per affected unit.
    query = select(*AFFECTED_COLUMNS).join_from(tree, unit, unit.c.id == tree.c.id)
    return Read(query.limit(bindparam("limit")))


def affected_units(
    session: Session,
    kind: str,
    subject: int | str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[AnyRow]:
    """The units the subject of `kind` touched directly (inside the window), and every unit
    split from them, recursively (sheet -> glass pieces).

    At most `limit` rows: the caller asks for one more than it accepts to detect an overflow.
    """
    read = _affected(kind, since is not None, until is not None)
    time = driver_values(session).optional_time
    window = {"since": time(since), "until": time(until)}
    return read(session, subject=subject, limit=limit, **window)


_CONTAINERS = Read(select(*AFFECTED_COLUMNS).where(unit.c.id.in_(IDS)))


def containers(session: Session, ids: Collection[int]) -> list[AnyRow]:
    return _CONTAINERS(session, ids=sorted(ids))


def uids(session: Session, ids: Collection[int]) -> dict[int, str]:
    return {row.id: row.uid for row in _UIDS(session, ids=sorted(ids))}
