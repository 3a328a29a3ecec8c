"""What goes wrong, where: per-operation yields, the defect mix by code and zone, rework loops
within their limits, and plausible values for every characteristic an operation measures.

Defect rates come from each operation's `expected_yield` (times the scenario's multiplier); a
failing piece gets a defect whose `likely_origins` name the operation (inspection steps find
defects made upstream). A defect an allowed loop covers is reworked (REWORK_SHARE of the time,
while the loop's count allows), otherwise the piece is scrapped. The same numbers feed the
analytic capacity plan (`capacity.py`), so plan and simulation share one quality model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forgeline.plant.definition import Characteristic, Limits, Operation, PlantDefinition

REWORK_SHARE = 0.7  # a reworkable defect is reworked this often; otherwise scrapped
INSPECTION_TYPES = frozenset({"aoi", "manual_inspection"})
# Defects an inspection step finds, made upstream (category -> relative weight).
FOUND_AT_INSPECTION = {"surface": 3.0, "edge": 1.0, "film": 3.0, "contamination": 2.0, "ink": 1.0}


@dataclass(frozen=True, slots=True)
class DefectKind:
    code: str
    zones: tuple[str, ...]
    origin: str
    weight: float
    size_mm: float  # typical size; drawn around it


@dataclass(frozen=True, slots=True)
class Loop:
    to: str
    max_count: int
    defects: frozenset[str]


@dataclass
class OpQuality:
    """One operation of one routing: how often it fails, with what, and where it reworks to."""

    code: str
    fail_p: float
    mix: list[DefectKind]
    loops: list[Loop]
    weights: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        total = sum(k.weight for k in self.mix) or 1.0
        self.weights = np.array([k.weight / total for k in self.mix])

    def loop_for(self, defect: str) -> Loop | None:
        for loop in self.loops:
            if defect in loop.defects:
                return loop
        return None

    def rework_p(self) -> float:
        """Probability a visit ends in rework (ignoring loop limits): for the capacity plan."""
        share = sum(w for k, w in zip(self.mix, self.weights, strict=True) if self.loop_for(k.code))
        return float(self.fail_p * share * REWORK_SHARE)


def _size(category: str) -> float:
    return {"surface": 0.8, "edge": 0.08, "film": 0.6, "ink": 0.04, "contamination": 0.2}.get(
        category, 0.1
    )


def op_quality(
    plant: PlantDefinition, operations: list[Operation], index: int, multiplier: float
) -> OpQuality:
    op = operations[index]
    upstream = [o.code for o in operations[:index]]
    mix: list[DefectKind] = []
    for defect in plant.defect_codes:
        zones = tuple(defect.zones)
        if op.code in defect.likely_origins:
            mix.append(DefectKind(defect.code, zones, op.code, 1.0, _size(defect.category)))
        elif op.station_type in INSPECTION_TYPES and defect.category in FOUND_AT_INSPECTION:
            origin = next((o for o in defect.likely_origins if o in upstream), None)
            if origin is not None:
                weight = FOUND_AT_INSPECTION[defect.category]
                mix.append(DefectKind(defect.code, zones, origin, weight, _size(defect.category)))
    loops = [Loop(r.to, r.max_count, frozenset(r.defects)) for r in op.rework]
    fail = (1.0 - (op.expected_yield or 1.0)) * multiplier
    return OpQuality(op.code, min(fail, 0.95), mix, loops)


@dataclass(frozen=True, slots=True)
class Plan:
    """How a characteristic is sampled at an operation: `size` pieces of every `every`-th
    tray or batch (per: piece = every piece; shift = first tray or batch of each shift)."""

    characteristic: Characteristic
    per: str
    size: int
    every: int


def sampling_plans(plant: PlantDefinition, op: Operation) -> list[Plan]:
    plans = []
    for code in op.measurements:
        c = plant.characteristic(code)
        if c.sampling.destructive and c.sampling.per == "piece":
            continue  # a destructive test of every piece would leave nothing to ship
        plans.append(Plan(c, c.sampling.per, c.sampling.size, c.sampling.every))
    return plans


def generic_value(rng: np.random.Generator, c: Characteristic, limits: Limits) -> float:
    """A capable process (Cpk ~1.3) centred on the target, or inside one-sided limits."""
    lsl, target, usl = limits.lsl, limits.target, limits.usl
    if c.unit in ("class", "grade") and usl is not None:
        return float(usl if rng.random() < 0.9 else max(lsl or usl - 1, usl - 1))
    if c.unit == "count":
        return float(rng.poisson(max((usl or 5.0) * 0.2, 0.1)))
    if lsl is not None and usl is not None:
        centre = target if target is not None else (lsl + usl) / 2
        return float(rng.normal(centre, (usl - lsl) / 8))
    if usl is not None:
        if target is not None:
            return float(min(rng.normal(target, abs(usl - target) / 4), usl * 1.2))
        return float(abs(rng.normal(usl * 0.4, usl * 0.12)))
    if lsl is not None:
        centre = target if target is not None else lsl * 1.1 if lsl > 0 else lsl + 1.0
        spread = abs(centre - lsl) / 4 if centre != lsl else max(abs(lsl) * 0.02, 0.1)
        return float(rng.normal(centre, spread))
    return float(rng.normal(target or 0.0, 1.0))
