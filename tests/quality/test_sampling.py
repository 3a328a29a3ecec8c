"""ISO 2859-1 single sampling, normal inspection: code letters, plans, arrows, decisions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forgeline.errors import DomainError
from forgeline.quality.sampling import (
    AQLS,
    LETTERS,
    SAMPLE_SIZES,
    Decision,
    Level,
    code_letter,
    parse_level,
    plan,
    table_2a,
)


@pytest.mark.parametrize(
    ("lot", "level", "letter"),
    [
        (2, "II", "A"),
        (8, "III", "B"),
        (9, "II", "B"),
        (50, "I", "C"),
        (150, "II", "F"),
        (280, "III", "H"),
        (500, "II", "H"),
        (501, "II", "J"),
        (1000, "II", "J"),
        (1000, "I", "G"),
        (1000, "III", "K"),
        (3200, "II", "K"),
        (3201, "II", "L"),
        (10000, "II", "L"),
        (35000, "II", "M"),
        (150000, "II", "N"),
        (500000, "II", "P"),
        (500001, "II", "Q"),
        (500001, "III", "R"),
        (500001, "I", "N"),
        (1000, "S-1", "C"),
        (1000, "S-2", "C"),
        (1000, "S-3", "E"),
        (1000, "S-4", "F"),
        (100000, "S-4", "J"),
        (20, "S-3", "B"),
    ],
)
def test_table_1_code_letters(lot: int, level: str, letter: str) -> None:
    assert code_letter(lot, parse_level(level)) == letter


@pytest.mark.parametrize(
    ("lot", "aql", "n", "ac", "re"),
    [
        (1000, "1.0", 80, 2, 3),  # J
        (1000, "2.5", 80, 5, 6),
        (1000, "4.0", 80, 7, 8),
        (1000, "6.5", 80, 10, 11),
        (1000, "0.65", 80, 1, 2),
        (1000, "0.15", 80, 0, 1),
        (500, "2.5", 50, 3, 4),  # H
        (3000, "1.5", 125, 5, 6),  # K
        (3000, "10", 125, 21, 22),
        (10000, "0.65", 200, 3, 4),  # L
        (10000, "0.065", 200, 0, 1),
        (35000, "1.0", 315, 7, 8),  # M
        (150000, "0.40", 500, 5, 6),  # N
        (150, "0.65", 20, 0, 1),  # F
    ],
)
def test_table_2a_plans(lot: int, aql: str, n: int, ac: int, re: int) -> None:
    found = plan(lot, aql)
    assert (found.sample_size, found.accept, found.reject) == (n, ac, re)
    assert found.plan_letter == found.code_letter
    assert not found.hundred_percent


def test_up_arrow_takes_the_plan_above() -> None:
    # F (n=20) at AQL 1.0 points up to E: n=13, Ac 0.
    found = plan(150, "1.0")
    assert (found.code_letter, found.plan_letter, found.sample_size) == ("F", "E", 13)
    assert (found.accept, found.reject) == (0, 1)


def test_down_arrow_takes_the_plan_below() -> None:
    # F (n=20) at AQL 1.5 points down to G: n=32, Ac 1; J at 0.010 down to Q: n=1250, Ac 0.
    found = plan(150, "1.5")
    assert (found.plan_letter, found.sample_size, found.accept, found.reject) == ("G", 32, 1, 2)
    far = plan(100_000, Decimal("0.010"))
    assert (far.code_letter, far.plan_letter, far.sample_size, far.accept) == ("N", "Q", 1250, 0)


def test_sample_larger_than_lot_means_every_item() -> None:
    found = plan(1000, "0.010")
    assert found.plan_letter == "Q"
    assert found.sample_size == 1000 and found.hundred_percent


def test_high_aqls_are_nonconformities_per_hundred() -> None:
    assert (plan(2, "1000").accept, plan(2, "1000").reject) == (30, 31)
    assert plan(10, "1000").accept == 44  # B at 1000
    assert table_2a("C", Decimal("1000")) == "up"
    # A nonconformity count may exceed the sample size at these AQLs.
    assert plan(10, "1000").decide(44) is Decision.ACCEPT


def test_table_edges_where_an_arrow_has_nowhere_to_go() -> None:
    top = plan(5, "10")  # A at 10: no row above, followed down to C
    assert (top.plan_letter, top.accept, top.reject) == ("C", 1, 2)
    bottom = plan(600_000, "0.015", "III")  # R at 0.015: no row below, R's next plan
    assert (bottom.plan_letter, bottom.sample_size, bottom.accept) == ("R", 2000, 1)


def test_decision() -> None:
    found = plan(1000, "1.0")
    assert found.decide(0) is Decision.ACCEPT
    assert found.decide(2) is Decision.ACCEPT
    assert found.decide(3) is Decision.REJECT


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((1, "1.0"), "sampling.invalid_lot_size"),
        ((0, "1.0"), "sampling.invalid_lot_size"),
        ((100, "0.3"), "sampling.unknown_aql"),
        ((100, "abc"), "sampling.unknown_aql"),
        ((100, "1.0", "IV"), "sampling.unknown_level"),
    ],
)
def test_bad_input_is_refused_with_a_code(args: tuple[object, ...], code: str) -> None:
    with pytest.raises(DomainError) as caught:
        plan(*args)  # type: ignore[arg-type]
    assert caught.value.code == code


def test_bad_counts_are_refused() -> None:
    found = plan(1000, "1.0")
    for bad in (-1, 81):
        with pytest.raises(DomainError) as caught:
            found.decide(bad)
        assert caught.value.code.startswith("sampling.")


def test_levels_parse_in_common_spellings() -> None:
    assert parse_level("s2") is Level.S2
    assert parse_level("S-4") is Level.S4
    assert parse_level(" ii ") is Level.II
    assert parse_level("G-III") is Level.III


@given(
    lot=st.integers(min_value=2, max_value=10**9),
    aql=st.sampled_from(AQLS),
    level=st.sampled_from(list(Level)),
)
def test_every_lot_gets_a_valid_plan(lot: int, aql: Decimal, level: Level) -> None:
    found = plan(lot, aql, level)
    assert found.plan_letter in LETTERS
    assert found.reject == found.accept + 1
    assert found.sample_size == min(SAMPLE_SIZES[LETTERS.index(found.plan_letter)], lot)
    assert found.decide(found.accept) is Decision.ACCEPT
    assert found.decide(found.reject) is Decision.REJECT or found.reject > found.sample_size


@given(level=st.sampled_from(list(Level)), aql=st.sampled_from(AQLS))
def test_larger_lots_never_get_smaller_samples(level: Level, aql: Decimal) -> None:
    letters = [code_letter(lot, level) for lot in (2, 9, 16, 26, 51, 91, 151, 281, 501, 1201)]
    assert letters == sorted(letters, key=LETTERS.index)
