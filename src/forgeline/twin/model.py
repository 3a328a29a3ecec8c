"""The twin of one plant for one scenario: stations, staffing, shifts, operators, products.

Built from the plant definition alone. Stations a scenario does not staff report
non-scheduled time; a simulation-only plan may ask for more stations of a group than the plant
has placed, which adds virtual ones (`CNC-01~2`) that never reach the ingest path.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import simpy

from forgeline.errors import invalid
from forgeline.plant.definition import Operation, PlantDefinition
from forgeline.production.gs1 import to_gtin14
from forgeline.production.routing import Route
from forgeline.twin import capacity
from forgeline.twin.chemistry import PHYSICS, CncFixture, IonExchange, Physics
from forgeline.twin.emitter import EventStream, NullStream
from forgeline.twin.failures import breaks, failures
from forgeline.twin.quality import OpQuality, Plan, op_quality, sampling_plans
from forgeline.twin.scenario import Scenario
from forgeline.twin.stations import Station

Limit2 = tuple[float | None, float | None]
ORDER_LEAD_DAYS = 2  # a day's work order is due this many days after its pieces start


@dataclass
class ProductModel:
    code: str
    gtin14: str
    route: Route
    routing_code: str
    thickness_mm: float
    lithium: bool
    limits: dict[str, tuple[float | None, float | None, float | None]] = field(default_factory=dict)
    kind: str = "glass"  # or "handset"

    def limit(self, characteristic: str) -> Limit2:
        lsl, _target, usl = self.limits[characteristic]
        return lsl, usl

    def limit3(self, characteristic: str) -> tuple[float | None, float | None, float | None]:
        return self.limits[characteristic]


class Piece:
    """One glass piece in the simulation."""

    __slots__ = ("counts", "latent", "n", "position", "product", "target", "uid")

    def __init__(self, n: int, uid: str, product: ProductModel) -> None:
        self.n = n
        self.uid = uid
        self.product = product
        self.position = -1
        self.target: str | None = None  # rework target, as the routing state machine keeps it
        self.counts: dict[str, int] | None = None
        self.latent: tuple[str, str | None, float | None, float | None] | None = None

    def next_op(self) -> str | None:
        return self.target or self.product.route.after(self.position)


@dataclass
class OpModel:
    """One operation of one routing, with the stations that may run it."""

    op: Operation
    group: capacity.Group
    quality: OpQuality
    plans: list[Plan]
    mode: str
    stations: list[Station] = field(default_factory=list)


@dataclass
class Ledger:
    """What happened, counted as it happened (the run's summary reads this)."""

    started: int = 0
    good: int = 0
    scrapped: int = 0
    held: int = 0
    first: dict[str, list[int]] = field(default_factory=dict)  # op -> [first visits, passed]

    def visit(self, op: str, passed: bool) -> None:
        counts = self.first.setdefault(op, [0, 0])
        counts[0] += 1
        counts[1] += passed


class Twin:
    """Everything a run shares: clock, random numbers, stations, operations, event stream."""

    def __init__(self, plant: PlantDefinition, scenario: Scenario) -> None:
        self.plant, self.scenario = plant, scenario
        self.start = scenario.start_time()
        self.tag = scenario.tag(self.start)
        self.horizon = scenario.days * capacity.DAY_S
        self.rng = np.random.default_rng(scenario.seed)
        self.env = simpy.Environment()
        self.stream = (
            EventStream(self.start, self.tag) if scenario.emit else NullStream(self.start, self.tag)
        )
        self.ledger = Ledger()
        self.multiplier = scenario.defect_multiplier
        good_per_year = capacity.NAMEPLATE * scenario.scale
        self.starts_per_day = capacity.starts_per_day(plant, good_per_year, self.multiplier)
        self.stations: dict[str, Station] = {}
        self.groups: dict[str, list[Station]] = {}
        self._build_stations()
        self.products = self._products()
        self.ops: dict[tuple[str, str], OpModel] = self._operations()
        self.physics: dict[str, Physics] = {k: f(self) for k, f in PHYSICS.items()}
        self.default_physics = Physics(self)
        self._shifts()
        self._downtime()
        self.serial = 0
        self.batch_serial = 0
        self.lots = self._lots()
        self.shift_seen: dict[tuple[str, str], int] = {}
        self.batch_queues: dict[tuple[str, str], Any] = {}
        self.station_queues: dict[str, list[Any]] = {}
        # Step handlers by station type, then by mode ("piece", "batch"): see `steps.py`.
        self.handlers: dict[str, Any] = {}
        self.withdrawn: set[str] = set()  # held by Forgeline: the line no longer moves them
        # The handset line (`handsets.py`), when the scenario asks for it: its own ledger, and
        # finished cover glass of the handset models' products waiting to be assembled.
        self.handset_ledger = Ledger()
        self.glass_stock: dict[str, deque[Piece]] = {}
        self.glass_finished: dict[str, int] = {}
        self.handset_line: Any = None  # a `handsets.HandsetLine` once attached
        self.aoi: Any = None  # an `aoi_images.AoiImages` when the run posts AOI images

    # -- build -------------------------------------------------------------------------------

    def _build_stations(self) -> None:
        plant, scenario = self.plant, self.scenario
        specs = {s.code: s for s in plant.station_specs()}
        wanted = scenario.station_counts or capacity.required_counts(
            plant, self.starts_per_day, self.multiplier, scenario.target_utilisation
        )
        for code, spec in specs.items():
            self.stations[code] = station = Station(spec)
            station.in_use = False
        loads = capacity.group_loads(plant, self.starts_per_day, self.multiplier)
        for key, load in loads.items():
            count = wanted.get(key, wanted.get(load.group.station_type, 1))
            members = [self.stations[c] for c in load.group.stations]
            for k in range(len(members), count):  # a plan may want more than is placed
                if scenario.emit:
                    break
                base = members[k % len(load.group.stations)].spec
                clone = Station(replace(base, code=f"{base.code}~{k + 1}"))
                self.stations[clone.code] = clone
                members.append(clone)
            chosen = members[: max(1, count)]
            for station in chosen:
                station.in_use = True
            self.groups[key] = chosen

    def _products(self) -> dict[str, ProductModel]:
        out = {}
        for product in self.plant.products.cover_glass:
            routing = self.plant.routing(product.routing)
            limits = {}
            for c in self.plant.characteristics:
                lim = self.plant.limits_for(c.code, product.code)
                limits[c.code] = (lim.lsl, lim.target, lim.usl)
            out[product.code] = ProductModel(
                product.code, to_gtin14(product.gtin), Route.from_definition(routing),
                routing.code, product.thickness_mm, "lithium" in product.glass, limits,
            )  # fmt: skip
        return out

    def _operations(self) -> dict[tuple[str, str], OpModel]:
        out = {}
        for routing in {p.routing_code for p in self.products.values()}:
            ops = list(self.plant.routing(routing).operations)
            for i, op in enumerate(ops):
                group = capacity.group_of(self.plant, op)
                quality = op_quality(self.plant, ops, i, self.multiplier)
                mode = self.plant.station_type(op.station_type).mode
                plans = sampling_plans(self.plant, op)
                out[(routing, op.code)] = OpModel(op, group, quality, plans, mode,
                                                  self.groups[group.key])  # fmt: skip
        return out

    def _shifts(self) -> None:
        """Shift starts (seconds from the run's start), their codes, and the crews on them."""
        site = self.plant.site
        zone = ZoneInfo(site.timezone)
        local = self.start.astimezone(zone)
        starts: list[tuple[float, str, float]] = []
        day = local.date() - timedelta(days=1)
        while True:
            for shift in site.shifts:
                hh, mm = (int(x) for x in shift.start.split(":"))
                begin = datetime(day.year, day.month, day.day, hh, mm, tzinfo=zone)
                offset = (begin - self.start).total_seconds()
                if -86400 < offset < self.horizon:
                    starts.append((offset, shift.code, shift.break_minutes * 60.0))
            day += timedelta(days=1)
            if (
                datetime(day.year, day.month, day.day, tzinfo=zone) - self.start
            ).total_seconds() > (self.horizon):
                break
        starts.sort()
        self.shift_starts = [s for s, _, _ in starts]
        self.shift_codes = [c for _, c, _ in starts]
        self.shift_breaks = [b for _, _, b in starts]

    def shift_at(self, t: float) -> tuple[int, str]:
        i = max(0, bisect_right(self.shift_starts, t) - 1)
        return i, self.shift_codes[i]

    def operator(self, station: Station, t: float) -> str:
        """The crew member of the station's area on the shift at time t."""
        return self.operator_name(station.spec.area, self.shift_at(t)[1])

    @staticmethod
    def operator_name(area: str, shift: str) -> str:
        return f"twin-{area.lower()}-{shift.lower()}"

    def crews(self) -> dict[str, list[str]]:
        """Operator user name -> the skills its area's staffed station types need."""
        skills: dict[str, set[str]] = {}
        for station in self.in_use():
            spec = station.spec
            for shift in self.plant.site.shifts:
                name = self.operator_name(spec.area, shift.code)
                skills.setdefault(name, set()).update(spec.skills)
        return {name: sorted(s) for name, s in sorted(skills.items())}

    def _downtime(self) -> None:
        shift_breaks = breaks(self.shift_starts, self.shift_breaks)
        for code in sorted(self.stations):
            station = self.stations[code]
            downs = failures(self.rng, station, self.horizon)
            if station.spec.mode == "piece" and station.spec.skills:
                downs += shift_breaks
            station.downtime.set(downs)
        if self.scenario.special_causes:
            self._special_causes()

    def _special_causes(self) -> None:
        """A contaminated bath in one furnace and a worn fixture in one CNC cell."""
        iox = [s for s in self.stations.values() if s.spec.station_type == "ion_exchange"]
        cnc = [s for s in self.stations.values() if s.spec.station_type == "cnc"]
        chem = self.physics.get("ion_exchange")
        fixture = self.physics.get("cnc")
        used_iox = [s for s in iox if s.in_use]
        used_cnc = [s for s in cnc if s.in_use]
        if used_iox and isinstance(chem, IonExchange):
            when = self.horizon * float(self.rng.uniform(0.55, 0.75))
            chem.contaminate[used_iox[-1].code] = when
        if used_cnc and isinstance(fixture, CncFixture):
            fixture.worn[used_cnc[0].code] = self.horizon * float(self.rng.uniform(0.3, 0.5))

    def _lots(self) -> list[dict[str, Any]]:
        """Material lots the run consumes: a sheet lot per product and day, ink, coating."""
        lots = []
        for day in range(math.ceil(self.scenario.days) + 1):
            for product in self.products:
                lots.append({"code": self.lot_code("SHEET", day, product), "kind": "glass_sheet"})
            lots.append({"code": self.lot_code("INK", day), "kind": "ink"})
            lots.append({"code": self.lot_code("COAT", day), "kind": "coating"})
        return lots

    def work_orders(self) -> list[dict[str, Any]]:
        """The plan the run works to: a work order per product and day, for what that day's starts
        should yield, due `ORDER_LEAD_DAYS` after it (site dates), released to the first line
        that can start the product's routing."""
        share = self.starts_per_day / len(self.products)
        good = max(1, round(share * capacity.rolled_yield(self.plant, self.multiplier)))
        zone = ZoneInfo(self.plant.site.timezone)
        orders = []
        for day in range(math.ceil(self.scenario.days)):
            due = (self.start + timedelta(days=day + ORDER_LEAD_DAYS)).astimezone(zone).date()
            for product in self.products.values():
                orders.append({"code": self.work_order_code(day, product.code),
                               "product": product.code, "quantity": good, "due_date": due,
                               "line": self._first_line(product)})  # fmt: skip
        return orders

    def _first_line(self, product: ProductModel) -> str:
        first = self.plant.routing(product.routing_code).operations[0].station_type
        for area in self.plant.areas:
            for line in area.lines:
                if any(station.type == first for station in line.stations):
                    return line.code
        raise invalid("twin.no_line", f"no line of the plant starts routing {product.routing_code}")

    # -- names -------------------------------------------------------------------------------

    def work_order_code(self, day: int, product: str) -> str:
        return f"WO-{self.tag}-D{day:02d}-{product}"

    def lot_code(self, kind: str, day: int, product: str = "") -> str:
        suffix = f"-{product}" if product else ""
        return f"{kind}-{self.tag}-D{day:02d}{suffix}"

    def bath_code(self, station: str, generation: int) -> str:
        return f"BATH-{station}-{self.tag}-{generation}"

    def new_uid(self, product: ProductModel) -> str:
        self.serial += 1
        return f"(01){product.gtin14}(21){self.tag}{self.serial:08d}"

    def new_batch(self, station: str) -> str:
        self.batch_serial += 1
        return f"{station}-{self.tag}-{self.batch_serial:06d}"

    def op_of(self, piece: Piece, code: str) -> OpModel:
        return self.ops[(piece.product.routing_code, code)]

    def physics_for(self, station: Station) -> Physics:
        return self.physics.get(station.spec.station_type, self.default_physics)

    def withdraw(self, uids: set[str]) -> None:
        """Forgeline put these units on hold: from now on the line sets them aside."""
        self.withdrawn |= uids

    def moving(self, pieces: list[Piece]) -> list[Piece]:
        """The pieces not on hold; the held ones are counted and stay where they are."""
        if not self.withdrawn:
            return pieces
        kept = [p for p in pieces if p.uid not in self.withdrawn]
        for piece in pieces:
            if piece.uid in self.withdrawn:
                self.ledger_of(piece).held += 1
        return kept

    def ledger_of(self, piece: Piece) -> Ledger:
        return self.handset_ledger if piece.product.kind == "handset" else self.ledger

    def finish(self, piece: Piece) -> None:
        """A piece left the end of its routing: good; cover glass a handset model uses goes to
        the stock the handset line assembles from."""
        self.ledger_of(piece).good += 1
        stock = self.glass_stock.get(piece.product.code)
        if stock is not None:
            stock.append(piece)
            self.glass_finished[piece.product.code] += 1

    def in_use(self) -> list[Station]:
        return [s for s in self.stations.values() if s.in_use]
