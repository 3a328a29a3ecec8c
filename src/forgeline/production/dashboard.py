"""What the plant overview shows, read in a handful of index-backed queries.

- Every line and station with its SEMI E10 state now (the station's latest `equipment_state`,
  one correlated look-up per station on ``ix_equipment_state_station_time``) and whether a hold
  stops it.
- WIP per operation (`yields.wip`), OEE per station type and first-pass / rolled yield for the
  site's day so far (`performance.oee_report`, `yields.yield_report`).
- Output today against plan: output is the units that passed their routing's last step today
  (`tallies.output`); the plan is the released work orders (quantity, due date); each
  order's share of today is what it still needed at the start of the day spread evenly over the
  days left to its due date (all of it once the due date is today or past).
- Open holds, newest first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.db.base import utcnow
from forgeline.errors import DomainError
from forgeline.plant.definition import PlantDefinition
from forgeline.plant.tables import PlantStation
from forgeline.production import tallies
from forgeline.production.catalog import PlantCatalog, catalogs, current_revision_number
from forgeline.production.holds import active_holds, held_stations
from forgeline.production.order_progress import delivered_counts
from forgeline.production.performance import OeeRow, oee_report
from forgeline.production.tables import EquipmentState, Hold, WorkOrder
from forgeline.production.yields import RolledYield, WipRow, wip, yield_report

OPEN_HOLDS_SHOWN = 10


@dataclass(frozen=True)
class StationNow:
    code: str
    name: str
    station_type: str
    state: str | None  # SEMI E10 state, None before the station reports one
    since: datetime | None
    on_hold: bool


@dataclass(frozen=True)
class LineNow:
    code: str
    name: str
    area: str
    stations: list[StationNow]


@dataclass(frozen=True)
class OrderToday:
    """A released work order: its quantity, what is done, and its share of today's plan."""

    code: str
    product_code: str
    quantity: int
    due_date: date
    line_code: str | None
    done: int
    done_today: int
    plan_today: int

    @property
    def behind(self) -> bool:
        return self.done_today < self.plan_today


@dataclass(frozen=True)
class ProductToday:
    product_code: str
    output: int  # units that completed their routing today
    plan: int  # released orders' share of today


@dataclass
class Overview:
    plant_name: str
    revision: int
    day: date  # the site's calendar day
    day_start: datetime
    now: datetime
    lines: list[LineNow]
    wip: list[WipRow]
    oee_by_type: list[OeeRow]
    routing_yields: list[RolledYield]
    orders: list[OrderToday]
    products: list[ProductToday]
    open_holds: list[tuple[Hold, int]]
    open_hold_total: int
    state_counts: dict[str, int] = field(default_factory=dict)

    @property
    def output_today(self) -> int:
        return sum(p.output for p in self.products)

    @property
    def plan_today(self) -> int:
        return sum(p.plan for p in self.products)


def current_catalog(session: Session) -> PlantCatalog | None:
    """The current revision's parsed plant (cached across requests), or None before a load."""
    try:
        number = current_revision_number(session)
    except DomainError:
        return None
    return catalogs(session, [number])[number]


def site_day(plant: PlantDefinition, now: datetime) -> tuple[date, datetime]:
    """The site's calendar day at `now` and its start in UTC."""
    zone = ZoneInfo(plant.site.timezone)
    day = now.astimezone(zone).date()
    return day, datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def station_states(session: Session, revision: int) -> dict[str, tuple[str, datetime]]:
    """Station code -> (latest E10 state, since when), for stations that reported one."""
    es = EquipmentState
    latest = (
        select(es.id)
        .where(es.station_code == PlantStation.code)
        .order_by(es.started_at.desc(), es.id.desc())
        .limit(1)
        .correlate(PlantStation)
        .scalar_subquery()
    )
    rows = session.execute(
        select(PlantStation.code, es.state, es.started_at)
        .join(es, es.id == latest)
        .where(PlantStation.revision == revision)
    )
    return {code: (state, started_at) for code, state, started_at in rows}


def lines_now(session: Session, catalog: PlantCatalog) -> list[LineNow]:
    """Every line of the plant in definition order, each station with its state now."""
    states = station_states(session, catalog.revision)
    held = held_stations(session)
    specs = catalog.definition.station_specs()
    result = []
    for area in catalog.definition.areas:
        for line in area.lines:
            stations = []
            for s in (spec for spec in specs if spec.line == line.code):
                state, since = states.get(s.code, (None, None))
                stations.append(
                    StationNow(s.code, s.name, s.station_type, state, since, s.code in held)
                )
            result.append(LineNow(line.code, line.name, area.name, stations))
    return result


def completed_today(
    session: Session, since: datetime, until: datetime
) -> dict[tuple[int | None, str], int]:
    """(work order id, product) -> units that passed their routing's last step in the window."""
    return tallies.output(session, since, until)


def orders_today(
    session: Session, day: date, done_today: dict[tuple[int | None, str], int]
) -> list[OrderToday]:
    orders = list(
        session.scalars(
            select(WorkOrder)
            .where(WorkOrder.status == "released")
            .order_by(WorkOrder.due_date, WorkOrder.code)
        )
    )
    done = delivered_counts(session, [o.id for o in orders])
    result = []
    for order in orders:
        today = done_today.get((order.id, order.product_code), 0)
        finished = done.get(order.id, 0)
        still_needed = max(0, order.quantity - (finished - today))
        days_left = max(1, (order.due_date - day).days + 1)
        result.append(
            OrderToday(
                order.code,
                order.product_code,
                order.quantity,
                order.due_date,
                order.line_code,
                finished,
                today,
                math.ceil(still_needed / days_left),
            )
        )
    return result


def plant_overview(session: Session, now: datetime | None = None) -> Overview | None:
    """Everything the overview shows, or None before a plant is loaded."""
    catalog = current_catalog(session)
    if catalog is None:
        return None
    now = now or utcnow()
    day, day_start = site_day(catalog.definition, now)
    # The report windows end a moment after now so a track-out this second counts.
    until = now + timedelta(seconds=1)
    done_today = completed_today(session, day_start, until)
    orders = orders_today(session, day, done_today)
    by_product: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (_, product), n in done_today.items():
        by_product[product][0] += n
    for order in orders:
        by_product[order.product_code][1] += order.plan_today
    lines = lines_now(session, catalog)
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        for station in line.stations:
            counts[station.state or "unknown"] += 1
    holds, hold_total = active_holds(session, limit=OPEN_HOLDS_SHOWN)
    return Overview(
        plant_name=catalog.definition.name,
        revision=catalog.revision,
        day=day,
        day_start=day_start,
        now=now,
        lines=lines,
        wip=wip(session),
        oee_by_type=oee_report(
            session, since=day_start, until=until, group="station_type", now=now
        ),
        routing_yields=yield_report(session, since=day_start, until=until).routings,
        orders=orders,
        products=[ProductToday(p, out, plan) for p, (out, plan) in sorted(by_product.items())],
        open_holds=holds,
        open_hold_total=hold_total,
        state_counts=dict(counts),
    )
