"""Hourly tallies of track-outs, kept by ingest inside each batch's transaction.

The overview, OEE and the yield page count track-outs over a window: the site's day so far, or
7 to 31 days. At the plant's scale a day is ~1.2 M operation records (100,000 starts, ~12
operations each), and counting them on every page view costs seconds. The tallies hold, per UTC
half hour (a slot), exactly the counts those reports need:

- `track_out_tally`, per (slot, routing, operation, station): track-outs with a result, those
  that passed, first visits (``visit = 1``) and first visits that passed. First-pass yield,
  OEE's performance and quality, and per-station output come from these.
- `output_tally`, per (slot, work order, product): units that passed the last normal-path
  operation of their routing (in their plant revision): output against plan.

A window [since, until) reads the whole slots inside it from the tallies and its partial slots,
at most one at each end, from `operation_record` (a range of the covering
``ix_operation_record_track_out``). Every figure is therefore exact and equal to counting the
records; `tests/production/test_tallies.py` compares the two on generated histories with
rework loops, scrap and windows that start and end mid-slot.

Ingest is the one writer of track-outs, so it is the one writer of tallies: a batch's
track-outs are added up in memory (`TallyBuffer`) and written with one upsert per table, rows
in key order so that concurrent PostgreSQL batches lock them in the same order. `rebuild`
recounts both tables from the records (migration 0007, and databases written outside ingest
such as the bench's generated history).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from forgeline.db.base import Base
from forgeline.production.catalog import PlantCatalog, catalogs
from forgeline.production.routing import Result
from forgeline.production.tables import CODE, OperationRecord, Unit

# Half-hour slots: every site midnight of a time zone on a whole or half hour (India's +5:30
# among them) is a slot boundary, so a report by site day reads only its last, partial slot
# from the records. Nepal's +5:45 is still exact, with two partial slots a day.
SLOT = timedelta(minutes=30)
NO_ORDER = 0  # output_tally.work_order_id of units started without a work order


class TrackOutTally(Base):
    """Track-outs with a result in one half-hour slot, of one routing's units at one operation and
    station."""

    __tablename__ = "track_out_tally"

    slot: Mapped[datetime] = mapped_column(primary_key=True)  # start of the half hour, UTC
    routing_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    operation_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    first: Mapped[int] = mapped_column(Integer)  # first visits
    first_passed: Mapped[int] = mapped_column(Integer)


class OutputTally(Base):
    """Units of one work order and product that completed their routing in one half-hour slot."""

    __tablename__ = "output_tally"

    slot: Mapped[datetime] = mapped_column(primary_key=True)
    # The work order's id, or NO_ORDER: a key column cannot be NULL, so no foreign key either.
    work_order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    passed: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class TrackOuts:
    """Track-outs with a result, in one window, of one routing's units at one operation and
    station; first visits (``visit = 1``) are what first-pass yield counts."""

    routing_code: str
    operation_code: str
    station_code: str
    total: int
    passed: int
    first: int
    first_passed: int


TrackOutKey = tuple[datetime, str, str, str]  # slot, routing, operation, station
OutputKey = tuple[datetime, int, str]  # slot, work order id (NO_ORDER), product


def slot_of(at: datetime) -> datetime:
    """The start of the half-hour slot `at` falls in (UTC)."""
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)


def last_steps(catalog: PlantCatalog) -> dict[str, str]:
    """Routing code -> its last normal-path operation: passing it completes the routing."""
    found: dict[str, str] = {}
    for code, route in catalog.routes.items():
        path = [step.code for step in route.steps if not step.rework_only]
        if path:
            found[code] = path[-1]
    return found


@dataclass
class TallyBuffer:
    """A batch's track-outs, added up per tally row until the batch is stored."""

    track_outs: dict[TrackOutKey, list[int]] = field(default_factory=dict)
    output: dict[OutputKey, int] = field(default_factory=lambda: defaultdict(int))

    def add(
        self,
        at: datetime,
        routing: str,
        operation: str,
        station: str,
        result: str,
        first: bool,
        completes: bool,
        work_order_id: int | None,
        product: str,
    ) -> None:
        """One track-out; `completes`: the operation is the last of the unit's routing."""
        slot = slot_of(at)
        passed = result == Result.PASS.value
        counts = self.track_outs.get((slot, routing, operation, station))
        if counts is None:
            counts = self.track_outs[(slot, routing, operation, station)] = [0, 0, 0, 0]
        counts[0] += 1
        counts[1] += passed
        counts[2] += first
        counts[3] += first and passed
        if passed and completes:
            self.output[(slot, work_order_id or NO_ORDER, product)] += 1

    def __bool__(self) -> bool:
        return bool(self.track_outs)


def store(session: Session, buffer: TallyBuffer) -> None:
    """Add the buffer's counts to the tallies: one upsert per table, rows in key order."""
    if not buffer:
        return
    _upsert(
        session,
        TrackOutTally,
        ["slot", "routing_code", "operation_code", "station_code"],
        ["total", "passed", "first", "first_passed"],
        [(*key, *counts) for key, counts in sorted(buffer.track_outs.items())],
    )
    _upsert(
        session,
        OutputTally,
        ["slot", "work_order_id", "product_code"],
        ["passed"],
        [(*key, n) for key, n in sorted(buffer.output.items())],
    )


def _upsert(
    session: Session,
    table: type[TrackOutTally] | type[OutputTally],
    keys: list[str],
    counts: list[str],
    rows: list[tuple[Any, ...]],
) -> None:
    if not rows:
        return
    columns = [*keys, *counts]
    dialect = session.get_bind().dialect.name
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    statement = upsert.on_conflict_do_update(
        index_elements=keys,
        set_={name: getattr(table, name) + getattr(upsert.excluded, name) for name in counts},
    )
    session.execute(statement, [dict(zip(columns, row, strict=True)) for row in rows])


# -- reading ---------------------------------------------------------------------------------


Ranges = list[tuple[int, datetime, datetime]]  # (window index, since, until)


def _split(windows: Sequence[tuple[datetime, datetime]]) -> tuple[Ranges, Ranges]:
    """Each window's whole slots (read from the tallies) and its partial slots at either end
    (read from the records)."""
    whole: Ranges = []
    edges: Ranges = []
    for index, (since, until) in enumerate(windows):
        first = slot_of(since) + (SLOT if slot_of(since) < since else timedelta(0))
        last = slot_of(until)
        if first >= last:  # no whole slot inside: all of it from the records
            edges.append((index, since, until))
            continue
        whole.append((index, first, last))
        if since < first:
            edges.append((index, since, first))
        if last < until:
            edges.append((index, last, until))
    return whole, edges


def _ranges(ranges: Ranges, stamp: Any) -> Any:
    """The ranges as a derived table (index, since, until) to join on a time range: the
    database seeks each range with its index at hand, one statement for all of them."""
    return union_all(
        *(
            select(
                literal_column(str(index)).label("window"),
                literal(since, stamp).label("since"),
                literal(until, stamp).label("until"),
            )
            for index, since, until in ranges
        )
    ).subquery("ranges")


def track_outs(
    session: Session, windows: Sequence[tuple[datetime, datetime]]
) -> list[list[TrackOuts]]:
    """Track-outs per routing, operation and station in each window: two statements, the
    windows' whole slots from `track_out_tally` and their partial slots from the records."""
    sums: list[dict[tuple[str, str, str], list[int]]] = [
        defaultdict(lambda: [0, 0, 0, 0]) for _ in windows
    ]
    whole, edges = _split(windows)
    if whole:
        tally = TrackOutTally
        ranges = _ranges(whole, tally.slot.type)
        keys = (ranges.c.window, tally.routing_code, tally.operation_code, tally.station_code)
        rows = session.execute(
            select(*keys, func.sum(tally.total), func.sum(tally.passed), func.sum(tally.first),
                   func.sum(tally.first_passed))
            .select_from(ranges)
            .join(tally, (tally.slot >= ranges.c.since) & (tally.slot < ranges.c.until))
            .group_by(*keys)
        )  # fmt: skip
        for index, routing, operation, station, *counts in rows:
            _add(sums[int(index)][(routing, operation, station)], counts)
    if edges:
        record = OperationRecord
        ranges = _ranges(edges, record.track_out_at.type)
        passed = record.result == Result.PASS.value
        first = record.visit == 1
        keys = (ranges.c.window, Unit.routing_code, record.operation_code, record.station_code)
        rows = session.execute(
            select(*keys, func.count(), _count(passed), _count(first), _count(first & passed))
            .select_from(ranges)
            .join(record, (record.track_out_at >= ranges.c.since)
                  & (record.track_out_at < ranges.c.until))
            .join(Unit, Unit.id == record.unit_id)
            .where(record.result.is_not(None))
            .group_by(*keys)
        )  # fmt: skip
        for index, routing, operation, station, *counts in rows:
            _add(sums[int(index)][(routing, operation, station)], counts)
    return [[TrackOuts(*key, *counts) for key, counts in sorted(found.items())] for found in sums]


def output(session: Session, since: datetime, until: datetime) -> dict[tuple[int | None, str], int]:
    """(work order id or None, product) -> units that completed their routing in the window."""
    whole, edges = _split([(since, until)])
    found: dict[tuple[int | None, str], int] = defaultdict(int)
    for _, first, last in whole:
        tally = OutputTally
        rows = session.execute(
            select(tally.work_order_id, tally.product_code, func.sum(tally.passed))
            .where(tally.slot >= first, tally.slot < last)
            .group_by(tally.work_order_id, tally.product_code)
        )
        for order_id, product, n in rows:
            found[(None if order_id == NO_ORDER else order_id, product)] += int(n)
    for _, edge_since, edge_until in edges:
        for key, n in _output_from_records(session, edge_since, edge_until).items():
            found[key] += n
    return dict(found)


def _output_from_records(
    session: Session, since: datetime, until: datetime
) -> dict[tuple[int | None, str], int]:
    record = OperationRecord
    rows = session.execute(
        select(
            Unit.plant_revision, Unit.routing_code, record.operation_code, Unit.work_order_id,
            Unit.product_code, func.count(),
        )
        .join(Unit, Unit.id == record.unit_id)
        .where(
            record.track_out_at >= since, record.track_out_at < until,
            record.result == Result.PASS.value,
        )
        .group_by(Unit.plant_revision, Unit.routing_code, record.operation_code,
                  Unit.work_order_id, Unit.product_code)
    ).all()  # fmt: skip
    finals = {n: last_steps(c) for n, c in catalogs(session, {r[0] for r in rows}).items()}
    found: dict[tuple[int | None, str], int] = defaultdict(int)
    for revision, routing, operation, order, product, n in rows:
        if finals[revision].get(routing) == operation:
            found[(order, product)] += int(n)
    return found


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _add(into: list[int], counts: Sequence[Any]) -> None:
    for i, n in enumerate(counts):
        into[i] += int(n or 0)


# -- recounting ------------------------------------------------------------------------------


def rebuild(session: Session) -> None:
    """Recount both tallies from every operation record (in SQL; the records never leave the
    database)."""
    session.execute(delete(TrackOutTally))
    session.execute(delete(OutputTally))
    record = OperationRecord
    slot = _slot_sql(session, record.track_out_at)
    passed = record.result == Result.PASS.value
    first = record.visit == 1
    keys = (slot, Unit.routing_code, record.operation_code, record.station_code)
    counted = (
        select(*keys, func.count(), _count(passed), _count(first), _count(first & passed))
        .join(Unit, Unit.id == record.unit_id)
        .where(record.result.is_not(None))
        .group_by(*keys)
    )
    session.execute(
        insert(TrackOutTally).from_select(
            ["slot", "routing_code", "operation_code", "station_code", "total", "passed", "first",
             "first_passed"],
            counted,
        )
    )  # fmt: skip
    revisions = set(session.scalars(select(Unit.plant_revision).distinct()))
    completes = [
        (Unit.plant_revision == number) & (Unit.routing_code == routing)
        & (record.operation_code == operation)
        for number, catalog in catalogs(session, revisions).items()
        for routing, operation in last_steps(catalog).items()
    ]  # fmt: skip
    if not completes:
        return
    order = func.coalesce(Unit.work_order_id, NO_ORDER)
    done = (
        select(slot, order, Unit.product_code, func.count())
        .join(Unit, Unit.id == record.unit_id)
        .where(passed, or_(*completes))
        .group_by(slot, order, Unit.product_code)
    )
    session.execute(
        insert(OutputTally).from_select(["slot", "work_order_id", "product_code", "passed"], done)
    )


def _slot_sql(session: Session, column: Any) -> ColumnElement[Any]:
    """The half-hour slot of a stored time, in the column's stored form."""
    if session.get_bind().dialect.name == "postgresql":
        wall = func.timezone("UTC", column)  # UTC wall time, to truncate in UTC
        halves = func.floor(func.extract("minute", wall) / 30)
        start = func.date_trunc("hour", wall) + halves * literal_column("interval '30 minutes'")
        return func.timezone("UTC", start)
    # SQLite stores UTC wall time as text, 'YYYY-MM-DD HH:MM:SS.ffffff'.
    half = case((func.substr(column, 15, 2) < "30", "00"), else_="30")
    return func.substr(column, 1, 14).concat(half).concat(":00.000000")
