"""Half-hour and daily tallies of track-outs, kept by ingest inside each batch's transaction.

The overview, OEE and the yield page count track-outs over a window: the site's day so far, or
7 to 31 days. At the plant's scale a day is ~1.2 M operation records (100,000 starts, ~12
operations each), and counting them on every page view costs seconds. The tallies hold exactly
the counts those reports need, per UTC half hour (a slot) and per site day:

- `track_out_tally`, per (slot, routing, operation, station): track-outs with a result, those
  that passed, first visits (``visit = 1``) and first visits that passed. First-pass yield,
  OEE's performance and quality, and per-station output come from these.
- `output_tally`, per (slot, work order, product): units that passed the last normal-path
  operation of their routing (in their plant revision): output against plan.
- `track_out_day_tally`: the same counts as `track_out_tally` per site day (local midnight to
  midnight, in the site's time zone when ingest counted them). A month's trend reads ~2,700 of
  these instead of ~130,000 slot rows (the 31-day yield page at 10 M pieces: 185 ms of summing).

A window [since, until) reads the site days inside it from the day tally, the whole slots of the
rest from the slot tally, and its partial slots, at most one at each end, from `operation_record`
(a range of the covering ``ix_operation_record_track_out``), unless the rest of that slot holds
no track-out: then the slot's tally is the same count (the slot going on now, at the end of a
window that ends now). Every figure is therefore exact and equal to counting the records;
`tests/production/test_tallies.py` compares the two on generated histories with rework loops,
scrap, several days and windows that start and end mid-slot.

Which days the day tally holds depends on the time zone ingest used. A reader uses it only when
every day it holds near the window is a site day of the current revision's zone; after a change
of the site's zone (a corrected plant definition) reports stay exact, reading slots, until
`forgeline events recount` counts the days again.

Ingest is the one writer of track-outs, so it is the one writer of tallies: a batch's
track-outs are added up in memory (`TallyBuffer`) and written with one upsert per table, rows
in key order so that concurrent PostgreSQL batches lock them in the same order. `rebuild`
recounts the tables from the records (migrations 0007 and 0008, `forgeline events recount`, and
databases written outside ingest such as the bench's generated history).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

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
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from forgeline.db.base import Base
from forgeline.plant.tables import PlantRevision
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


class DayTally(Base):
    """Track-outs with a result in one site day: the sum of that day's `TrackOutTally` slots."""

    __tablename__ = "track_out_day_tally"

    day: Mapped[datetime] = mapped_column(primary_key=True)  # local midnight, UTC
    routing_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    operation_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    first: Mapped[int] = mapped_column(Integer)
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


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def site_days(since: datetime, until: datetime, zone: str) -> list[tuple[datetime, datetime]]:
    """The site days (local midnight to midnight, in UTC) that overlap [since, until)."""
    tz = ZoneInfo(zone)
    day, last = since.astimezone(tz).date(), until.astimezone(tz).date()
    found = []
    while day <= last:
        start, end = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
        if start < until and since < end:
            found.append((start, end))
        day += timedelta(days=1)
    return found


@lru_cache(maxsize=4096)
def _day_of_slot(slot: datetime, zone: str) -> datetime | None:
    """The start of the site day holding the whole slot; None if a midnight falls inside it
    (zones off the half hour, such as Nepal's +5:45)."""
    days = site_days(slot, slot + SLOT, zone)
    return days[0][0] if len(days) == 1 else None


def day_of(at: datetime, zone: str) -> datetime:
    """The start of the site day `at` falls in (UTC)."""
    tz = ZoneInfo(zone)
    return _midnight(at.astimezone(tz).date(), tz)


def site_zone(session: Session) -> str:
    """The current plant revision's time zone (UTC before any plant is loaded): the zone whose
    site days ingest tallies and reports read."""
    number = session.scalar(select(func.max(PlantRevision.number)))
    if number is None:
        return "UTC"
    return catalogs(session, [number])[number].definition.site.timezone


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
    """A batch's track-outs, added up per slot and site day until the batch is stored."""

    # (slot, day, routing, operation, station) -> total, passed, first, first passed: a slot
    # has one day, but for zones off the half hour the slot holding midnight has two.
    track_outs: dict[tuple[datetime, datetime, str, str, str], list[int]] = field(
        default_factory=dict
    )
    output: dict[OutputKey, int] = field(default_factory=lambda: defaultdict(int))

    def add(
        self,
        at: datetime,
        zone: str,
        routing: str,
        operation: str,
        station: str,
        result: str,
        first: bool,
        completes: bool,
        work_order_id: int | None,
        product: str,
    ) -> None:
        """One track-out, its day in the site's time zone `zone`; `completes`: the operation is
        the last of the unit's routing."""
        slot = slot_of(at)
        day = _day_of_slot(slot, zone) or day_of(at, zone)  # the second only around midnight
        passed = result == Result.PASS.value
        key = (slot, day, routing, operation, station)
        counts = self.track_outs.get(key)
        if counts is None:
            counts = self.track_outs[key] = [0, 0, 0, 0]
        counts[0] += 1
        counts[1] += passed
        counts[2] += first
        counts[3] += first and passed
        if passed and completes:
            self.output[(slot, work_order_id or NO_ORDER, product)] += 1

    def __bool__(self) -> bool:
        return bool(self.track_outs)


COUNTS = ["total", "passed", "first", "first_passed"]
TRACK_OUT_KEY = ["routing_code", "operation_code", "station_code"]


def store(session: Session, buffer: TallyBuffer) -> None:
    """Add the buffer's counts to the tallies: one upsert per table, rows in key order."""
    if not buffer:
        return
    slots: dict[TrackOutKey, list[int]] = {}
    days: dict[TrackOutKey, list[int]] = {}
    for (slot, day, *key), counts in buffer.track_outs.items():
        _add(slots.setdefault((slot, *key), [0, 0, 0, 0]), counts)  # type: ignore[arg-type]
        _add(days.setdefault((day, *key), [0, 0, 0, 0]), counts)  # type: ignore[arg-type]
    for table, at, rows in ((TrackOutTally, "slot", slots), (DayTally, "day", days)):
        _upsert(
            session, table, [at, *TRACK_OUT_KEY], COUNTS,
            [(*key, *counts) for key, counts in sorted(rows.items())],
        )  # fmt: skip
    _upsert(
        session,
        OutputTally,
        ["slot", "work_order_id", "product_code"],
        ["passed"],
        [(*key, n) for key, n in sorted(buffer.output.items())],
    )


def _upsert(
    session: Session,
    table: type[TrackOutTally] | type[DayTally] | type[OutputTally],
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


def _whole_days(session: Session, windows: Ranges) -> tuple[Ranges, Ranges]:
    """The site days inside each window that the day tally holds, and the rest of the windows.

    The day tally is used only if every day it holds from a day before the windows to their end
    is a site day of the current zone: days counted in another zone (before the plant's zone was
    corrected) would overlap these, and the windows are then read from their slots."""
    zone = site_zone(session)
    inside = {
        (index, start, end)
        for index, since, until in windows
        for start, end in site_days(since, until, zone)
        if since <= start and end <= until
    }
    if not inside:
        return [], windows
    lo = min(since for _, since, _ in windows) - timedelta(days=1)
    hi = max(until for _, _, until in windows)
    held = set(
        session.scalars(
            select(DayTally.day).where(DayTally.day >= lo, DayTally.day < hi).distinct()
        )
    )
    if held - {start for start, _ in site_days(lo, hi, zone)}:
        return [], windows
    days = sorted(day for day in inside if day[1] in held)
    rest: Ranges = []
    for index, since, until in windows:
        begin = since  # of what the days before have not covered
        for _, start, end in (d for d in days if d[0] == index):
            if begin < start:
                rest.append((index, begin, start))
            begin = end
        if begin < until:
            rest.append((index, begin, until))
    return days, rest


def _split(session: Session, windows: Ranges) -> tuple[Ranges, Ranges]:
    """Each window's whole slots (read from the tallies) and its partial slots at either end
    (read from the records). A partial slot whose other part holds no track-out is read whole
    from the tallies: the same counts without reading its records. That is the slot going on
    now, at the end of a window that ends now (the overview's day, a trend's today), which at
    the plant's rate holds up to ~25,000 records."""
    whole: Ranges = []
    edges: Ranges = []
    for index, since, until in windows:
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
    partial: Ranges = []
    for index, since, until in edges:
        start = slot_of(since)
        if _quiet(session, start, since) and _quiet(session, until, start + SLOT):
            whole.append((index, start, start + SLOT))
        else:
            partial.append((index, since, until))
    return whole, partial


def _quiet(session: Session, since: datetime, until: datetime) -> bool:
    """No track-out in [since, until): one probe of the track-out index."""
    record = OperationRecord
    return (
        since >= until
        or session.scalar(
            select(literal_column("1"))
            .where(record.track_out_at >= since, record.track_out_at < until)
            .where(record.result.is_not(None))
            .limit(1)
        )
        is None
    )


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
    """Track-outs per routing, operation and station in each window: the site days inside the
    windows from `track_out_day_tally`, the rest's whole slots from `track_out_tally` and its
    partial slots from the records (a statement each, for all windows at once)."""
    sums: list[dict[tuple[str, str, str], list[int]]] = [
        defaultdict(lambda: [0, 0, 0, 0]) for _ in windows
    ]
    days, rest = _whole_days(
        session, [(i, since, until) for i, (since, until) in enumerate(windows)]
    )
    whole, edges = _split(session, rest)
    for tally, ranges, at in (
        (DayTally, days, DayTally.day),
        (TrackOutTally, whole, TrackOutTally.slot),
    ):
        if not ranges:
            continue
        joined = _ranges(ranges, at.type)
        keys = (joined.c.window, tally.routing_code, tally.operation_code, tally.station_code)
        rows = session.execute(
            select(*keys, func.sum(tally.total), func.sum(tally.passed), func.sum(tally.first),
                   func.sum(tally.first_passed))
            .select_from(joined)
            .join(tally, (at >= joined.c.since) & (at < joined.c.until))
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
    whole, edges = _split(session, [(0, since, until)])
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


def rebuild(session: Session, *, days: bool = True) -> None:
    """Recount the tallies from every operation record (in SQL; the records never leave the
    database); `days=False` leaves the day tally alone (migration 0007, before it existed).
    On PostgreSQL the tallies are locked first, so ingest waits instead of adding to rows that
    are being recounted."""
    _lock(session, [TrackOutTally, OutputTally, *([DayTally] if days else [])])
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
    session.execute(insert(TrackOutTally).from_select(["slot", *TRACK_OUT_KEY, *COUNTS], counted))
    _rebuild_output(session)
    if days:
        rebuild_days(session)


def rebuild_days(session: Session) -> None:
    """Recount the day tally, in the current site time zone, from the slot tally and the records
    (a day with a midnight inside a slot reads that slot's part from the records)."""
    _lock(session, [DayTally])
    session.execute(delete(DayTally))
    first, last = session.execute(
        select(func.min(TrackOutTally.slot), func.max(TrackOutTally.slot))
    ).one()
    if first is None:
        return
    days = site_days(first, last + SLOT, site_zone(session))
    for chunk in range(0, len(days), 100):  # a statement joins at most a few hundred ranges
        part = days[chunk : chunk + 100]
        rows = [
            (start, t.routing_code, t.operation_code, t.station_code, t.total, t.passed,
             t.first, t.first_passed)
            for (start, _), counted in zip(part, track_outs(session, part), strict=True)
            for t in counted
        ]  # fmt: skip
        if rows:
            columns = ["day", *TRACK_OUT_KEY, *COUNTS]
            session.execute(
                insert(DayTally), [dict(zip(columns, row, strict=True)) for row in rows]
            )


def row_counts(session: Session) -> dict[str, int]:
    """How many rows each tally holds."""
    tables = {"slots": TrackOutTally, "days": DayTally, "output": OutputTally}
    return {
        name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in tables.items()
    }


def _lock(session: Session, tables: list[type[Base]]) -> None:
    if session.get_bind().dialect.name == "postgresql":  # SQLite has one writer anyway
        names = ", ".join(table.__tablename__ for table in tables)
        session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


def _rebuild_output(session: Session) -> None:
    record = OperationRecord
    slot = _slot_sql(session, record.track_out_at)
    passed = record.result == Result.PASS.value
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
