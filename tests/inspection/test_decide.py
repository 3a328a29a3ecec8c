"""Zone rules from the shipped plant definition decide pass, re-clean or reject."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from forgeline.inspection import decide
from forgeline.inspection.decide import Finding
from forgeline.inspection.limits import load_plant, zone_rules


@cache
def _shipped_rules() -> dict[str, decide.CodeRule]:
    return decide.rules_from_json(zone_rules(load_plant()))


def f(
    cls: str, zone: str, length: float = 0.05, width: float = 0.005, dia: float = 0.05
) -> Finding:
    return Finding(cls, zone, length, width, dia)


def test_nothing_found_passes(rules: dict[str, decide.CodeRule]) -> None:
    assert decide.decide([], rules).verdict == decide.PASS


def test_dust_asks_for_reclean_not_reject(rules: dict[str, decide.CodeRule]) -> None:
    d = decide.decide([f("dust", "A"), f("dust", "A")], rules)
    assert d.verdict == decide.RECLEAN and not d.violating


def test_scratch_in_viewing_area_longer_than_limit_rejects(
    rules: dict[str, decide.CodeRule],
) -> None:
    ok = decide.decide([f("scratch", "A", length=1.5, width=0.005)], rules)
    long = decide.decide([f("scratch", "A", length=2.5, width=0.005)], rules)
    assert ok.verdict == decide.PASS
    assert long.verdict == decide.REJECT and "SCR in zone A: length" in long.reasons[0]


def test_count_limit_per_zone(rules: dict[str, decide.CodeRule]) -> None:
    two_in_b = [f("dig", "B", dia=0.1)] * 2
    assert decide.decide(two_in_b, rules).verdict == decide.PASS
    d = decide.decide([*two_in_b, f("dig", "B", dia=0.1)], rules)
    assert d.verdict == decide.REJECT and d.violating == (0, 1, 2)


def test_zone_not_listed_or_without_limits_tolerates_nothing(
    rules: dict[str, decide.CodeRule],
) -> None:
    assert decide.decide([f("chip", "A")], rules).verdict == decide.REJECT  # CHIP lists B, C
    assert decide.decide([f("bubble", "A")], rules).verdict == decide.REJECT  # no A limits
    assert decide.decide([f("crack", "C")], rules).verdict == decide.REJECT  # never tolerated


def test_reject_wins_over_reclean(rules: dict[str, decide.CodeRule]) -> None:
    d = decide.decide([f("dust", "A"), f("crack", "B")], rules)
    assert d.verdict == decide.REJECT and d.violating == (1,)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(decide.CLASS_CODES)), st.sampled_from("ABC")), max_size=6
    )
)
def test_adding_a_defect_never_turns_a_reject_into_a_pass(items: list[tuple[str, str]]) -> None:
    rules = _shipped_rules()
    findings = [f(c, z) for c, z in items]
    before = decide.decide(findings, rules).verdict
    after = decide.decide([*findings, f("crack", "A")], rules).verdict
    assert after == decide.REJECT
    if before == decide.REJECT:
        assert decide.decide([*findings, f("dust", "A")], rules).verdict == decide.REJECT
