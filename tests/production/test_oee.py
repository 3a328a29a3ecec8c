"""OEE per ISO 22400-2 over SEMI E10 states: a hand-computed shift, edge cases, properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forgeline.errors import DomainError
from forgeline.production.oee import (
    E10State,
    OeeInputs,
    StateInterval,
    StateTimes,
    compute_oee,
    ideal_piece_cycle_s,
    state_times,
    station_inputs,
)

T0 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
HOUR = 3600.0


def test_hand_computed_shift() -> None:
    """An 8 h shift: 6 h productive, 1 h breakdown, 30 min standby, 30 min planned break.

    planned busy time = 8 h - 0.5 h scheduled down = 7.5 h = 27,000 s
    availability = 21,600 / 27,000 = 0.8
    performance  = 60 s x 300 / 21,600 s = 0.8333...
    quality      = 285 / 300 = 0.95
    OEE          = 0.8 x 0.8333 x 0.95 = 0.6333... (= 60 s x 285 good / 27,000 s)
    """
    steps = [
        (E10State.PRODUCTIVE, 0, 4),
        (E10State.UNSCHEDULED_DOWN, 4, 5),
        (E10State.SCHEDULED_DOWN, 5, 5.5),
        (E10State.PRODUCTIVE, 5.5, 7.5),
        (E10State.STANDBY, 7.5, 8),
    ]
    intervals = [
        StateInterval(s, T0 + timedelta(hours=a), T0 + timedelta(hours=b)) for s, a, b in steps
    ]
    times = state_times(intervals)
    assert times.total == 8 * HOUR
    assert times.planned == 7.5 * HOUR
    result = compute_oee(station_inputs(times, ideal_piece_s=60, total_count=300, good_count=285))
    assert result.availability == pytest.approx(0.8)
    assert result.performance == pytest.approx(18_000 / 21_600)
    assert result.quality == pytest.approx(0.95)
    assert result.oee == pytest.approx(60 * 285 / 27_000)
    assert not result.performance_over_one


def test_non_scheduled_time_is_not_a_loss() -> None:
    times = StateTimes(productive=HOUR, non_scheduled=10 * HOUR)
    result = compute_oee(station_inputs(times, ideal_piece_s=36, total_count=100, good_count=100))
    assert result.availability == 1.0 and result.oee == pytest.approx(1.0)


def test_engineering_and_standby_are_availability_losses() -> None:
    times = StateTimes(productive=HOUR, engineering=HOUR, standby=2 * HOUR)
    result = compute_oee(OeeInputs(times))
    assert result.availability == pytest.approx(0.25)


def test_batch_and_multi_slot_ideal_cycle_per_piece() -> None:
    # An IOX furnace: 8 h per basket of 3,000 pieces.
    assert ideal_piece_cycle_s(28_800, capacity=1, batch_size=3_000) == pytest.approx(9.6)
    # A CNC cell of 25 spindles at 210 s per piece.
    assert ideal_piece_cycle_s(210, capacity=25) == pytest.approx(8.4)
    # An 11-tank cleaning line, 40 min per basket of 400.
    assert ideal_piece_cycle_s(2_400, capacity=11, batch_size=400) == pytest.approx(2400 / 4400)
    with pytest.raises(DomainError):
        ideal_piece_cycle_s(0)


def test_performance_above_one_is_reported_and_flagged() -> None:
    times = StateTimes(productive=HOUR)
    result = compute_oee(station_inputs(times, ideal_piece_s=10, total_count=720, good_count=720))
    assert result.performance == pytest.approx(2.0)
    assert result.performance_over_one


def test_output_without_productive_time_is_flagged() -> None:
    result = compute_oee(
        station_inputs(StateTimes(standby=HOUR), ideal_piece_s=1, total_count=5, good_count=5)
    )
    assert result.performance is None and result.oee is None and result.performance_over_one


def test_nothing_to_measure_gives_none_not_zero_division() -> None:
    result = compute_oee(OeeInputs())
    assert (result.availability, result.performance, result.quality, result.oee) == (None,) * 4


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(DomainError) as refused:
        station_inputs(StateTimes(), ideal_piece_s=1, total_count=1, good_count=2)
    assert refused.value.code == "oee.bad_counts"


@pytest.mark.parametrize(
    ("value", "state"),
    [
        ("productive", E10State.PRODUCTIVE),
        ("UNSCHEDULED_DOWN", E10State.UNSCHEDULED_DOWN),
        ("4000", E10State.SCHEDULED_DOWN),
        (2100, E10State.STANDBY),
        (6000, E10State.NON_SCHEDULED),
    ],
)
def test_states_parse_from_names_and_codes(value: str | int, state: E10State) -> None:
    assert E10State.parse(value) is state


@pytest.mark.parametrize("value", ["running", "7000", "", 999])
def test_unknown_states_are_refused(value: str | int) -> None:
    with pytest.raises(DomainError) as refused:
        E10State.parse(value)
    assert refused.value.code == "equipment.unknown_state"


def test_clipping_an_interval() -> None:
    interval = StateInterval(E10State.STANDBY, T0, T0 + timedelta(hours=2))
    clipped = interval.clipped(T0 + timedelta(hours=1), T0 + timedelta(hours=5))
    assert clipped is not None and clipped.seconds == HOUR
    assert interval.clipped(T0 + timedelta(hours=2), T0 + timedelta(hours=3)) is None


durations = st.lists(
    st.tuples(st.sampled_from(list(E10State)), st.integers(min_value=0, max_value=50_000)),
    max_size=30,
)


@given(durations)
def test_time_is_conserved(steps: list[tuple[E10State, int]]) -> None:
    """Intervals that tile a window add up to the window, and each state gets its own share."""
    intervals, cursor = [], T0
    for state, seconds in steps:
        end = cursor + timedelta(seconds=seconds)
        intervals.append(StateInterval(state, cursor, end))
        cursor = end
    times = state_times(intervals)
    assert times.total == pytest.approx((cursor - T0).total_seconds())
    assert times.planned + times.non_scheduled + times.scheduled_down == pytest.approx(times.total)
    for state in E10State:
        expected = sum(s for st_, s in steps if st_ is state)
        assert times.as_dict()[state.label] == pytest.approx(expected)


@st.composite
def consistent_inputs(draw: st.DrawFn) -> OeeInputs:
    """State times with counts the equipment could really have made in its productive time."""
    seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
    times = StateTimes(**{s.label: draw(seconds) for s in E10State})
    ideal = draw(st.floats(min_value=0.01, max_value=1e4, allow_nan=False))
    most = int(times.productive / ideal * (1 - 1e-9))  # margin: no float rounding above 1
    total = draw(st.integers(min_value=0, max_value=min(most, 10**7)))
    good = draw(st.integers(min_value=0, max_value=total))
    return station_inputs(times, ideal_piece_s=ideal, total_count=total, good_count=good)


@given(consistent_inputs(), consistent_inputs())
def test_oee_of_consistent_inputs_is_a_fraction(a: OeeInputs, b: OeeInputs) -> None:
    for inputs in (a, b, a + b):  # a group of stations is as consistent as its members
        result = compute_oee(inputs)
        for part in (result.availability, result.performance, result.quality, result.oee):
            assert part is None or -1e-9 <= part <= 1 + 1e-9
        assert not result.performance_over_one
        if result.oee is not None:
            expected = (
                inputs.ideal_s * inputs.good_count / inputs.total_count / inputs.times.planned
            )
            assert result.oee == pytest.approx(expected)


def test_state_times_puts_each_state_in_its_own_field() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    for n, state in enumerate(E10State, start=1):
        times = state_times([StateInterval(state, start, start + timedelta(seconds=n))])
        assert times.as_dict() == {s.label: float(n if s is state else 0) for s in E10State}
        assert times.total == n and (times + times).as_dict()[state.label] == 2 * n


def test_state_times_of_a_window_count_only_the_parts_inside_it() -> None:
    spans = [
        StateInterval(E10State.PRODUCTIVE, T0, T0 + timedelta(hours=3)),
        StateInterval(E10State.STANDBY, T0 + timedelta(hours=3), T0 + timedelta(hours=4)),
        StateInterval(E10State.UNSCHEDULED_DOWN, T0 + timedelta(hours=5), T0 + timedelta(hours=6)),
    ]
    times = state_times(spans, T0 + timedelta(hours=2), T0 + timedelta(hours=3, minutes=30))
    assert (times.productive, times.standby, times.unscheduled_down) == (HOUR, HOUR / 2, 0.0)
    clipped = [
        c
        for s in spans
        if (c := s.clipped(T0 + timedelta(hours=2), T0 + timedelta(hours=5, minutes=6)))
    ]
    assert state_times(spans, T0 + timedelta(hours=2), T0 + timedelta(hours=5, minutes=6)) == (
        state_times(clipped)
    )
