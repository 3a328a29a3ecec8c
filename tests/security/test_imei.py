"""IMEI arithmetic against python-stdnum, and the allocation plan's properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import imei as stdnum_imei
from stdnum import luhn

from forgeline.errors import DomainError
from forgeline.security.imei import (
    TAC_SIZE,
    RangeState,
    luhn_check_digit,
    make_imei,
    parse_imei,
    plan_blocks,
)

tacs = st.from_regex(r"^[1-9][0-9]{7}$", fullmatch=True)  # reporting bodies are non-zero
serials = st.integers(min_value=0, max_value=TAC_SIZE - 1)


@given(tacs, serials)
def test_every_imei_we_make_is_valid_for_stdnum(tac: str, serial: int) -> None:
    number = make_imei(tac, serial)
    assert stdnum_imei.is_valid(number)
    assert luhn.calc_check_digit(number[:14]) == number[14]
    assert parse_imei(number).serial == serial


@given(st.from_regex(r"^[0-9]{15}$", fullmatch=True))
def test_parse_agrees_with_stdnum(number: str) -> None:
    ours = luhn_check_digit(number[:14]) == int(number[14])
    assert ours == stdnum_imei.is_valid(number)
    if ours and number != "0" * 15:
        assert parse_imei(number).imei == number


def test_known_imei_and_refusal_codes() -> None:
    assert make_imei("49015420", 323751) == "490154203237518"  # the textbook example
    with pytest.raises(DomainError) as bad:
        parse_imei("490154203237519")
    assert bad.value.code == "imei.bad_check_digit"
    with pytest.raises(DomainError) as short:
        parse_imei("4901542032375")
    assert short.value.code == "imei.malformed"


def test_pairs_never_straddle_two_tacs() -> None:
    ranges = [RangeState("35829105", TAC_SIZE - 3), RangeState("35829106", 0)]
    blocks = plan_blocks(ranges, 3, 2)
    assert [(b.tac, b.first_serial, b.devices) for b in blocks] == [
        ("35829105", TAC_SIZE - 3, 1),
        ("35829106", 0, 2),
    ]
    pairs = [pair for b in blocks for pair in b.imeis()]
    assert all(p[0][:8] == p[1][:8] and int(p[1][8:14]) == int(p[0][8:14]) + 1 for p in pairs)


@given(
    st.lists(st.integers(min_value=0, max_value=TAC_SIZE), min_size=1, max_size=3),
    st.integers(min_value=1, max_value=50),
    st.sampled_from([1, 2]),
)
def test_plan_hands_out_distinct_serials_or_refuses(
    counters: list[int], devices: int, per_device: int
) -> None:
    ranges = [RangeState(f"3582910{i}", min(c, TAC_SIZE)) for i, c in enumerate(counters)]
    room = sum(r.remaining // per_device for r in ranges)
    if room < devices:
        with pytest.raises(DomainError) as refused:
            plan_blocks(ranges, devices, per_device)
        assert refused.value.code == "imei.range_exhausted"
        return
    imeis = [
        i for b in plan_blocks(ranges, devices, per_device) for pair in b.imeis() for i in pair
    ]
    assert len(imeis) == devices * per_device == len(set(imeis))
    for number in imeis:  # every serial handed out is at or above its TAC's counter
        start = next(r.next_serial for r in ranges if r.tac == number[:8])
        assert int(number[8:14]) >= start


def test_range_levels() -> None:
    assert RangeState("35829104", 0).level == "ok"
    assert RangeState("35829104", 900_000).level == "low"
    assert RangeState("35829104", 995_000).level == "critical"
    assert RangeState("35829104", TAC_SIZE).level == "exhausted"
