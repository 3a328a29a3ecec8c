"""The capacity plan: analytic figures that make sense, confirmed by simulation within the
stated tolerance."""

from __future__ import annotations

import pytest

from forgeline.errors import DomainError
from forgeline.plant.definition import PlantDefinition
from forgeline.twin import capacity
from forgeline.twin.plan import TOLERANCE, parse_ramp, plan


def test_the_default_plant_is_sized_for_its_nameplate(plant: PlantDefinition) -> None:
    """The definition's own sizing notes: ~100k starts a day, ~11 furnaces, ~12 CNC cells."""
    starts = capacity.starts_per_day(plant, 30e6, 1.0)
    assert 95_000 < starts < 110_000
    counts = capacity.required_counts(plant, starts, 1.0, 0.8)
    assert 10 <= counts["ion_exchange"] <= 15
    assert 11 <= counts["cnc"] <= 15
    assert 0.80 < capacity.rolled_yield(plant, 1.0) < 0.90
    # Twice the starts: about twice the equipment; a young plant yields less.
    double = capacity.required_counts(plant, 2 * starts, 1.0, 0.8)
    assert all(double[k] >= 2 * counts[k] - 1 for k in counts)
    assert capacity.rolled_yield(plant, 1.9) < 0.78


def test_analytic_utilisation_is_confirmed_by_simulation(plant: PlantDefinition) -> None:
    result = plan(plant, 30_000_000, [1.0], confirm=True, seed=3)
    year = result.years[0]
    assert year.check_share is not None and 0 < year.check_share < 1
    checked = [g for g in year.groups if g.check_simulated is not None]
    assert len(checked) == len(year.groups)
    worst = max(abs(g.check_simulated - g.check_analytic) for g in checked)  # type: ignore[operator]
    assert worst <= TOLERANCE, worst
    assert result.agrees
    assert year.simulated_yield == pytest.approx(year.rolled_yield, abs=0.03)
    busy = [g for g in checked if g.check_analytic and g.check_analytic > 0.3]
    assert len(busy) >= 8  # the check is made on loaded equipment, not on idle stations


@pytest.mark.parametrize("text", ["", "a,b", "0.3,-1", "5", ",".join(["1"] * 11)])
def test_a_bad_ramp_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_ramp(text)
    assert caught.value.code == "plan.ramp_invalid"
