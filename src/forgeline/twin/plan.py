"""The ramp plan: for each year's share of nameplate, the equipment each station group needs,
its utilisation, the bottleneck, the expected yield and output; then the same configuration
simulated to confirm the analytic utilisation (agreement within TOLERANCE, stated in the report).

A young plant scraps more: the defect rate multiplier falls with the years (YOUNG_PLANT), which
takes rolled yield from ~70 % in year 1 to the definition's mature figure by year 4.
Simulating a phase-2 day at 200k starts costs minutes, so a year is confirmed on a slice of
the plant: starts and equipment scaled by the same factor (at most CONFIRM_STARTS a day), the
analytic utilisation recomputed for the slice's equipment, and the two compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from forgeline.errors import invalid
from forgeline.plant.definition import PlantDefinition, parse_definition
from forgeline.twin import capacity
from forgeline.twin.flow import release
from forgeline.twin.report import utilisation
from forgeline.twin.scenario import MAX_SCALE, Scenario
from forgeline.twin.steps import build

YOUNG_PLANT = (1.9, 1.4, 1.1, 1.0)  # defect-rate multiplier in years 1, 2, 3, 4 and later
TOLERANCE = 0.05  # |simulated - analytic| utilisation, absolute
CONFIRM_STARTS = 12_000.0  # starts a day in a confirmation slice
CONFIRM_DAYS = 4.0
WARM_UP_DAYS = 1.0
MAX_RAMP_YEARS = 10


def multiplier(year: int) -> float:
    return YOUNG_PLANT[min(year, len(YOUNG_PLANT)) - 1]


def parse_ramp(text: str) -> list[float]:
    try:
        shares = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise invalid("plan.ramp_invalid", f"--ramp: {text!r} is not a list of numbers") from None
    if not shares or len(shares) > MAX_RAMP_YEARS or any(not 0 < s <= MAX_SCALE for s in shares):
        raise invalid(
            "plan.ramp_invalid",
            f"--ramp: 1-{MAX_RAMP_YEARS} shares of nameplate, each above 0 and at most "
            f"{MAX_SCALE:g}",
        )
    return shares


def load_plant(path: Path | None) -> PlantDefinition:
    from forgeline.plant.service import DEFAULT_PLANT, read_definition_file

    source = path or DEFAULT_PLANT
    return parse_definition(read_definition_file(source), str(source))


@dataclass(frozen=True)
class GroupPlan:
    key: str
    station_type: str
    placed: int
    needed: int
    utilisation: float  # analytic, at `needed`
    check_stations: int = 0  # in the confirmation slice
    check_analytic: float | None = None
    check_simulated: float | None = None

    @property
    def agrees(self) -> bool:
        if self.check_analytic is None or self.check_simulated is None:
            return True
        return abs(self.check_simulated - self.check_analytic) <= TOLERANCE


@dataclass
class YearPlan:
    year: int
    share: float
    good_per_year: float
    starts_per_day: float
    rolled_yield: float
    groups: list[GroupPlan] = field(default_factory=list)
    check_share: float | None = None  # the slice simulated, as a share of this year's starts
    simulated_yield: float | None = None  # good / (good + scrapped) of pieces that ended

    @property
    def bottleneck(self) -> GroupPlan:
        return max(self.groups, key=lambda g: g.utilisation)

    @property
    def output_per_day(self) -> float:
        return self.starts_per_day * self.rolled_yield


@dataclass
class CapacityPlan:
    nameplate: int
    years: list[YearPlan]
    tolerance: float = TOLERANCE
    utilisation_target: float = 0.8

    @property
    def agrees(self) -> bool:
        return all(g.agrees for y in self.years for g in y.groups)

    def as_dict(self) -> dict[str, object]:
        return {
            "nameplate": self.nameplate, "tolerance": self.tolerance,
            "utilisation_target": self.utilisation_target, "agrees": self.agrees,
            "years": [
                {"year": y.year, "share": y.share, "good_per_year": round(y.good_per_year),
                 "starts_per_day": round(y.starts_per_day), "rolled_yield": y.rolled_yield,
                 "simulated_yield": y.simulated_yield, "bottleneck": y.bottleneck.key,
                 "check_share": y.check_share,
                 "groups": [g.__dict__ | {"agrees": g.agrees} for g in y.groups]}
                for y in self.years
            ],
        }  # fmt: skip


def plan(
    plant: PlantDefinition,
    nameplate: int,
    ramp: list[float],
    *,
    confirm: bool = True,
    seed: int = 1,
    utilisation_target: float = 0.8,
) -> CapacityPlan:
    years = []
    checked: dict[tuple[float, float], tuple[float | None, dict[str, float]]] = {}
    for number, share in enumerate(ramp, start=1):
        m = multiplier(number)
        good = nameplate * share
        starts = capacity.starts_per_day(plant, good, m)
        loads = capacity.group_loads(plant, starts, m)
        year = YearPlan(number, share, good, starts, capacity.rolled_yield(plant, m))
        for key, load in loads.items():
            needed = load.needed(utilisation_target)
            year.groups.append(GroupPlan(key, load.group.station_type, load.placed, needed,
                                         load.utilisation(needed)))  # fmt: skip
        if confirm:
            _confirm(plant, year, m, seed, utilisation_target, checked)
        years.append(year)
    return CapacityPlan(nameplate, years, TOLERANCE, utilisation_target)


def _confirm(
    plant: PlantDefinition,
    year: YearPlan,
    m: float,
    seed: int,
    target: float,
    checked: dict[tuple[float, float], tuple[float | None, dict[str, float]]],
) -> None:
    """Simulate a slice of the year's plant and set each group's check figures (a slice
    already simulated, same starts and multiplier, is not simulated again)."""
    fraction = min(1.0, CONFIRM_STARTS / year.starts_per_day)
    starts = year.starts_per_day * fraction
    loads = capacity.group_loads(plant, starts, m)
    counts = {k: load.needed(target) for k, load in loads.items()}
    key = (round(starts, 3), m)
    if key not in checked:
        checked[key] = _simulate_slice(plant, starts, m, counts, seed, target)
    year.simulated_yield, simulated = checked[key]
    year.check_share = fraction
    year.groups = [
        GroupPlan(g.key, g.station_type, g.placed, g.needed, g.utilisation, counts[g.key],
                  loads[g.key].utilisation(counts[g.key]), simulated.get(g.key))
        for g in year.groups
    ]  # fmt: skip


def _simulate_slice(
    plant: PlantDefinition,
    starts: float,
    m: float,
    counts: dict[str, int],
    seed: int,
    target: float,
) -> tuple[float | None, dict[str, float]]:
    """(rolled yield of pieces that ended, utilisation per group) after a warm-up."""
    good = starts * capacity.rolled_yield(plant, m) * plant.site.working_days_per_year
    scenario = Scenario(
        days=CONFIRM_DAYS + WARM_UP_DAYS, scale=good / capacity.NAMEPLATE, seed=seed,
        special_causes=False, defect_multiplier=m, station_counts=counts, emit=False,
        target_utilisation=target,
    )  # fmt: skip
    twin = build(plant, scenario)
    twin.env.process(release(twin))
    warm = WARM_UP_DAYS * capacity.DAY_S
    twin.env.run(until=warm)
    good_before, scrapped_before = twin.ledger.good, twin.ledger.scrapped
    twin.env.run(until=twin.horizon)
    good = twin.ledger.good - good_before
    ended = good + twin.ledger.scrapped - scrapped_before
    return (good / ended if ended else None), utilisation(twin, since=warm)
