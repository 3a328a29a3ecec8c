"""The analytic capacity plan: load per station group, equipment needed, utilisation, yield.

For a target of good pieces a year, the starts a day follow from the rolled yield; each start
visits each operation with the probability of surviving to it (plus rework revisits); each visit
costs the station's actual time per piece (ideal cycle / (capacity x batch size), times the
simulation's mean slowdown). A group is a station type, or the stations an operation is
restricted to (the three cleaning lines each serve one operation). Equipment needed = load /
(86,400 s x availability x target utilisation), availability = MTBF / (MTBF + MTTR) less the
shift breaks of staffed piece stations. `confirm.py` checks these figures by simulation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from forgeline.plant.definition import Operation, PlantDefinition, Routing, StationSpec
from forgeline.twin.quality import op_quality

DAY_S = 86_400.0
PIECE_SLOWDOWN = 1.08  # actual / ideal cycle, piece stations (mean of the simulated times)
BATCH_SLOWDOWN = 1.02  # batch cycles run close to recipe
NAMEPLATE = 30_000_000


@dataclass(frozen=True)
class Group:
    """Stations that share one queue: a type, or an operation's own stations."""

    key: str
    station_type: str
    stations: tuple[str, ...]  # placed stations that may serve it

    @property
    def label(self) -> str:
        return self.key


def group_of(plant: PlantDefinition, op: Operation) -> Group:
    if op.stations:
        return Group(f"{op.station_type}:{'+'.join(op.stations)}", op.station_type,
                     tuple(op.stations))  # fmt: skip
    placed = tuple(s.code for s in plant.station_specs() if s.station_type == op.station_type)
    return Group(op.station_type, op.station_type, placed)


def cover_glass_mix(plant: PlantDefinition) -> dict[str, float]:
    """Product -> share of starts. The twin starts every cover-glass SKU equally often."""
    products = [p.code for p in plant.products.cover_glass]
    return {code: 1.0 / len(products) for code in products}


def _ops(routing: Routing) -> list[Operation]:
    return list(routing.operations)


def visits_per_start(
    plant: PlantDefinition, routing: Routing, multiplier: float
) -> tuple[dict[str, float], float]:
    """Expected visits of each operation per piece started, and the routing's rolled yield."""
    ops = _ops(routing)
    index = {op.code: i for i, op in enumerate(ops)}
    visits: dict[str, float] = defaultdict(float)
    alive = 1.0
    for i, op in enumerate(ops):
        if op.rework_only:
            continue
        q = op_quality(plant, ops, i, multiplier)
        visits[op.code] += alive
        scrap = q.fail_p - q.rework_p()
        for loop in q.loops:
            share = sum(w for k, w in zip(q.mix, q.weights, strict=True) if k.code in loop.defects)
            extra = alive * q.fail_p * share * 0.7
            for j in range(index[loop.to], i + 1):
                visits[ops[j].code] += extra
        alive *= 1.0 - scrap
    return dict(visits), alive


def piece_seconds(spec: StationSpec) -> float:
    """Actual station-seconds one piece costs (piece-equivalent for batch equipment)."""
    per = spec.ideal_cycle_s / (spec.capacity * (spec.batch_size or 1))
    return per * (BATCH_SLOWDOWN if spec.mode == "batch" else PIECE_SLOWDOWN)


def availability(plant: PlantDefinition, spec: StationSpec) -> float:
    up = 1.0
    if spec.mtbf_h and spec.mttr_h:
        up = spec.mtbf_h / (spec.mtbf_h + spec.mttr_h)
    if spec.mode == "piece":
        breaks = sum(s.break_minutes for s in plant.site.shifts) * 60.0
        up *= 1.0 - breaks / DAY_S
    return up


@dataclass(frozen=True)
class GroupLoad:
    group: Group
    load_s: float  # station-seconds of work a day
    available_s: float  # one station's available seconds a day
    placed: int

    def needed(self, utilisation: float) -> int:
        return max(1, math.ceil(self.load_s / (self.available_s * utilisation) - 1e-9))

    def utilisation(self, count: int) -> float:
        return self.load_s / (self.available_s * count)


def group_loads(
    plant: PlantDefinition, starts_per_day: float, multiplier: float
) -> dict[str, GroupLoad]:
    """Work per station group a day for `starts_per_day` cover-glass starts."""
    specs = {s.code: s for s in plant.station_specs()}
    loads: dict[str, float] = defaultdict(float)
    groups: dict[str, Group] = {}
    for product, share in cover_glass_mix(plant).items():
        routing = plant.routing(plant.product(product).routing)
        visits, _ = visits_per_start(plant, routing, multiplier)
        for op in routing.operations:
            group = group_of(plant, op)
            groups[group.key] = group
            spec = specs[group.stations[0]]
            loads[group.key] += (
                starts_per_day * share * visits.get(op.code, 0.0) * piece_seconds(spec)
            )
    out = {}
    for key, group in groups.items():
        spec = specs[group.stations[0]]
        out[key] = GroupLoad(group, loads[key], DAY_S * availability(plant, spec),
                             len(group.stations))  # fmt: skip
    return out


def rolled_yield(plant: PlantDefinition, multiplier: float) -> float:
    """Good pieces per start over the product mix."""
    total = 0.0
    for product, share in cover_glass_mix(plant).items():
        routing = plant.routing(plant.product(product).routing)
        total += share * visits_per_start(plant, routing, multiplier)[1]
    return total


def starts_per_day(plant: PlantDefinition, good_per_year: float, multiplier: float) -> float:
    days = plant.site.working_days_per_year
    return good_per_year / days / rolled_yield(plant, multiplier)


def required_counts(
    plant: PlantDefinition, starts: float, multiplier: float, utilisation: float
) -> dict[str, int]:
    return {k: g.needed(utilisation) for k, g in group_loads(plant, starts, multiplier).items()}
