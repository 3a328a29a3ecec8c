"""Run rules: hand-made patterns, the loop reference on random data, and the rule-set parser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forgeline.quality.spc import (
    NELSON,
    WESTERN_ELECTRIC,
    Chart,
    Limits,
    RuleSet,
    SpcInputError,
    evaluate,
)
from forgeline.quality.spc.rules import check_rules
from tests.quality.spc.rules_reference import reference_rules


def flagged(values: list[float], rules: RuleSet | str) -> dict[str, list[int]]:
    """Individuals with centre 0 and sigma 1 (limits at +/-3)."""
    result = evaluate("i-mr", values, Limits(Chart.IMR, center=0.0, sigma=1.0), rules=rules)
    return {v.rule: v.points.tolist() for v in result.violations if v.series == "i"}


def test_rule1_strictly_beyond_the_limits() -> None:
    assert flagged([0, 3.0, 3.01, -3.5, 0], "nelson:1") == {"nelson1": [2, 3]}


def test_rule2_nine_on_one_side_and_the_centre_line() -> None:
    assert flagged([0.5] * 9, "nelson:2") == {"nelson2": [8]}
    assert flagged([0.5] * 11, "nelson:2") == {"nelson2": [8, 9, 10]}  # later points of the run
    assert flagged([0.5] * 8, "nelson:2") == {}
    broken = [0.5] * 4 + [0.0] + [0.5] * 4
    assert flagged(broken, "nelson:2") == {}
    assert flagged(broken, RuleSet(("nelson2",), center_breaks_run=False)) == {"nelson2": [8]}
    assert flagged([0.5] * 9, RuleSet(("nelson2",), flag="pattern")) == {"nelson2": list(range(9))}


def test_rule3_trend_points_versus_steps_and_ties() -> None:
    six = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert flagged(six, "nelson:3") == {"nelson3": [5]}
    assert flagged(six[::-1], "nelson:3") == {"nelson3": [5]}
    assert flagged(six, RuleSet(("nelson3",), trend_counts="steps")) == {}
    assert flagged([0.0, *six], RuleSet(("nelson3",), trend_counts="steps")) == {"nelson3": [6]}
    tie = [0.1, 0.2, 0.3, 0.3, 0.4, 0.5]
    assert flagged(tie, "nelson:3") == {}
    assert flagged(tie, RuleSet(("nelson3",), ties_break_trend=False)) == {"nelson3": [5]}
    assert flagged([0.2] * 6, RuleSet(("nelson3",), ties_break_trend=False)) == {}


def test_rule4_fourteen_alternating() -> None:
    zigzag = [0.5 if i % 2 else -0.5 for i in range(14)]
    assert flagged(zigzag, "nelson:4") == {"nelson4": [13]}
    assert flagged(zigzag[:13], "nelson:4") == {}
    tied = zigzag.copy()
    tied[7] = tied[6]
    assert flagged(tied, "nelson:4") == {}


def test_rules5_and_6_zone_counts_same_side() -> None:
    assert flagged([2.5, 0, 2.1], "nelson:5") == {"nelson5": [2]}
    assert flagged([2.5, 0, -2.1], "nelson:5") == {}
    # Only complete windows count: two points beyond 2 sigma at the very start flag nothing yet.
    assert flagged([2.5, 2.1], "nelson:5") == {}
    assert flagged([0, 2.5, 2.1, 0], "nelson:5") == {"nelson5": [2, 3]}
    last = RuleSet(("nelson5",), last_point_must_count=True)
    assert flagged([0, 2.5, 2.1, 0], last) == {"nelson5": [2]}
    pattern = RuleSet(("nelson5",), flag="pattern")
    assert flagged([2.5, 0, 2.1], pattern) == {"nelson5": [0, 2]}
    assert flagged([1.5, 1.5, 0, 1.5, 1.5], "nelson:6") == {"nelson6": [4]}
    assert flagged([-1.5, -1.5, 0, -1.5, 1.5], "nelson:6") == {}


def test_rule7_fifteen_within_one_sigma_and_rule8_both_sides() -> None:
    assert flagged([0.5, -0.5] * 7 + [0.9], "nelson:7") == {"nelson7": [14]}
    assert flagged([0.5] * 14 + [1.0], "nelson:7") == {}  # on 1 sigma is not within
    mixed = [1.5, -1.5] * 4
    assert flagged(mixed, "nelson:8") == {"nelson8": [7]}
    one_side = [1.5] * 8
    assert flagged(one_side, "nelson:8") == {}
    assert flagged(one_side, RuleSet(("nelson8",), mixture_both_sides=False)) == {"nelson8": [7]}


def test_western_electric_four_is_eight_on_one_side() -> None:
    assert flagged([-0.2] * 8, "we") == {"we4": [7]}
    assert flagged([2.5, 0, 2.1, 3.5], "we:1,2") == {"we1": [3], "we2": [2, 3]}


def test_parse_rule_specs() -> None:
    assert RuleSet.parse("nelson").rules == NELSON
    assert RuleSet.parse("we").rules == WESTERN_ELECTRIC
    assert RuleSet.parse("none").rules == ()
    assert RuleSet.parse("nelson:1,2,5").rules == ("nelson1", "nelson2", "nelson5")
    assert RuleSet.parse("nelson:1+we:4").rules == ("nelson1", "we4")
    for bad in ("nelsen", "nelson:9", "we:5", "nelson:x"):
        with pytest.raises(SpcInputError):
            RuleSet.parse(bad)
    with pytest.raises(SpcInputError, match="unknown rule"):
        RuleSet(("nelson9",))


def test_rules_break_on_short_series_without_error() -> None:
    for count in range(0, 4):
        values = np.zeros(count)
        masks = check_rules(values, values, np.ones(count), values - 3, values + 3, RuleSet())
        assert all(len(m) == count and not m.any() for m in masks.values())


LEVELS = [-3.5, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.5]


@settings(max_examples=250)
@given(
    values=st.lists(st.sampled_from(LEVELS), min_size=0, max_size=60),
    flag=st.sampled_from(["completing", "pattern"]),
    trend_counts=st.sampled_from(["points", "steps"]),
    ties=st.booleans(),
    centre_breaks=st.booleans(),
    both=st.booleans(),
    last=st.booleans(),
    runs=st.tuples(*(st.integers(3, 9) for _ in range(6))),
)
def test_vectorised_rules_match_the_loop_reference(
    values: list[float],
    flag: str,
    trend_counts: str,
    ties: bool,
    centre_breaks: bool,
    both: bool,
    last: bool,
    runs: tuple[int, ...],
) -> None:
    cfg = RuleSet(
        NELSON + WESTERN_ELECTRIC,
        flag=flag,  # type: ignore[arg-type]
        trend_counts=trend_counts,  # type: ignore[arg-type]
        ties_break_trend=ties,
        center_breaks_run=centre_breaks,
        mixture_both_sides=both,
        last_point_must_count=last,
        same_side_run=runs[0],
        trend_run=runs[1],
        alternating_run=runs[2],
        stratification_run=runs[3],
        mixture_run=runs[4],
        we_same_side_run=runs[5],
    )
    x = np.array(values, dtype=np.float64)
    count = len(x)
    masks = check_rules(
        x, np.zeros(count), np.ones(count), np.full(count, -3.0), np.full(count, 3.0), cfg
    )
    expected = reference_rules(x, 0.0, 1.0, -3.0, 3.0, cfg)
    assert {k: set(np.flatnonzero(m).tolist()) for k, m in masks.items()} == expected


# Off the zone boundaries: z recomputed from values * sigma is not exact there.
OFF_BOUNDARY = [-3.5, -2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 3.5]


@settings(max_examples=60)
@given(
    z=st.lists(st.sampled_from(OFF_BOUNDARY), min_size=1, max_size=40),
    sizes=st.lists(st.integers(2, 9), min_size=40, max_size=40),
)
def test_per_point_sigma_zones_match_the_reference_on_z(z: list[float], sizes: list[int]) -> None:
    """With per-point sigma (variable n), zone rules look at z, trends at the plotted values."""
    count = len(z)
    sigma = 1.0 / np.sqrt(np.array(sizes[:count], dtype=np.float64))
    values = 10.0 + np.array(z) * sigma
    cfg = RuleSet(("nelson1", "nelson2", "nelson5", "nelson6", "nelson7", "nelson8"))
    masks = check_rules(values, np.full(count, 10.0), sigma, 10 - 3 * sigma, 10 + 3 * sigma, cfg)
    expected = reference_rules(np.array(z), 0.0, 1.0, -3.0, 3.0, cfg)
    expected["nelson1"] = {i for i in range(count) if abs(z[i]) > 3}
    assert {k: set(np.flatnonzero(m).tolist()) for k, m in masks.items()} == expected
