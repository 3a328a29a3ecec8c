"""The ion-exchange bath as modelled: sodium builds up and CS falls; a top-up and a fresh bath
restore it; a contaminated bath pushes CS below its limit and gets the cycle held."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from forgeline.plant.definition import PlantDefinition
from forgeline.twin import chemistry
from forgeline.twin.chemistry import NA_SLOPE, IonExchange, cs_mpa, ct_mpa, dol_um
from forgeline.twin.emitter import Action
from forgeline.twin.model import Piece
from forgeline.twin.run import simulate
from forgeline.twin.scenario import Scenario
from forgeline.twin.steps import build

START = datetime(2026, 3, 2, tzinfo=UTC)


def test_the_formulas() -> None:
    fresh, aged = cs_mpa(0.05, 3.0, 450, 6, False), cs_mpa(0.35, 3.0, 450, 6, False)
    assert fresh - aged == pytest.approx(NA_SLOPE * 0.30)
    assert cs_mpa(0.05, chemistry.CONTAMINATED_CA, 450, 6, False) < 700  # Ca blocks the exchange
    assert dol_um(450, 6, False) == pytest.approx(45.0)
    assert dol_um(450, 12, False) == pytest.approx(45.0 * 2**0.5)  # sqrt(time)
    assert dol_um(470, 6, False) > dol_um(450, 6, False)  # hotter diffuses faster
    assert ct_mpa(850, 45, 0.55) == pytest.approx(850 * 45 / (2 * (550 - 90)))


def _cycles(plant: PlantDefinition, count: int) -> tuple[list[float], list[float], list[object]]:
    """Full baskets through one furnace: mean CS and the bath's Na after each cycle."""
    twin = build(plant, Scenario(days=30, scale=0.05, seed=5, start=START,
                                 special_causes=False))  # fmt: skip
    station = twin.stations["IOX-01"]
    physics = twin.physics["ion_exchange"]
    assert isinstance(physics, IonExchange)
    product = twin.products["CG-AUR-A55"]
    pieces = [Piece(i, f"P{i}", product) for i in range(station.batch_size)]
    means, na = [], []
    for k in range(count):
        t = k * 30_000.0
        params = physics.batch_parameters(twin, station, t)
        visit = physics.visit(twin, station, pieces, t + 28_800, params)
        means.append(float(np.mean(visit.values["CS"])))
        na.append(physics.baths["IOX-01"].na)
    return means, na, twin.stream.drain()


def test_an_ageing_bath_makes_cs_fall_as_modelled(plant: PlantDefinition) -> None:
    means, na, actions = _cycles(plant, 12)
    # Sodium builds up cycle by cycle until the first top-up; CS falls with it at NA_SLOPE.
    first_top_up = next(i for i in range(1, len(na)) if na[i] < na[i - 1])
    assert first_top_up >= 6
    drift = np.polyfit(range(first_top_up), means[:first_top_up], 1)[0]
    per_cycle_na = (na[first_top_up - 1] - na[0]) / (first_top_up - 1)
    assert drift == pytest.approx(-NA_SLOPE * per_cycle_na, rel=0.35)
    assert drift < -5  # MPa per cycle: a trend SPC's run rules see
    # The top-up dilutes the sodium and CS recovers.
    assert means[first_top_up + 1] > means[first_top_up - 1] + 20
    assert any(isinstance(a, Action) and a.kind == "bath_top_up" for a in actions)


def test_a_contaminated_bath_fails_the_cycle_and_is_held(plant: PlantDefinition) -> None:
    twin = build(plant, Scenario(days=2, scale=0.05, seed=5, start=START))
    physics = twin.physics["ion_exchange"]
    assert isinstance(physics, IonExchange)
    station = twin.stations["IOX-01"]
    physics.contaminate["IOX-01"] = 0.0
    pieces = [Piece(i, f"P{i}", twin.products["CG-AUR-A55"]) for i in range(500)]
    params = physics.batch_parameters(twin, station, 10.0)
    visit = physics.visit(twin, station, pieces, 28_800.0, params)
    lsl = twin.products["CG-AUR-A55"].limit("CS")[0]
    assert lsl is not None
    assert np.mean(visit.values["CS"]) < lsl + 30
    assert len(visit.forced) > 100 and {d[0] for d in visit.forced.values()} == {"STR-LOW"}
    assert visit.hold is not None and "contaminated" in visit.hold
    kinds = [a.kind for a in twin.stream.drain() if isinstance(a, Action)]
    assert "bath_replace" in kinds
    assert physics.baths["IOX-01"].ca < 30  # the fresh bath


def test_the_simulated_cs_trend_follows_the_bath(plant: PlantDefinition) -> None:
    """In a whole run, CS measured at a furnace falls while its bath's sodium rises."""
    items: list[object] = []
    simulate(plant, Scenario(days=4, scale=0.05, seed=2, start=START, special_causes=False),
             lambda batch, _d: items.extend(batch))  # fmt: skip
    events = [e for e in items if isinstance(e, dict) and e["type"] == "measurement"]
    lithium = {p.gtin for p in plant.products.cover_glass if "lithium" in p.glass}
    na: list[float] = []
    cs: list[list[float]] = []
    for e in events:
        if e["station"] != "IOX-01":
            continue
        if e["characteristic"] == "IOX-TEMP":  # the first of a cycle's measurements
            cs.append([])
        elif e["characteristic"] == "BATH-NA":
            na.append(e["value"])
        elif e["characteristic"] == "CS" and e["uid"][5:18] not in lithium:
            cs[-1].append(e["value"])
    pairs = [(n, float(np.mean(c))) for n, c in zip(na, cs, strict=True) if c]
    assert len(pairs) >= 6
    slope = np.polyfit([n for n, _ in pairs], [c for _, c in pairs], 1)[0]
    assert slope == pytest.approx(-NA_SLOPE, rel=0.35)
