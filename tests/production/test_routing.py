"""The routing state machine against the default plant's routings: examples and random events."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forgeline.errors import DomainError, ErrorKind
from forgeline.plant.definition import parse_definition
from forgeline.plant.service import DEFAULT_PLANT
from forgeline.production.routing import (
    TERMINAL,
    Result,
    ReworkLoop,
    Route,
    Status,
    Step,
    UnitState,
    consume,
    next_operation,
    split,
    track_in,
    track_out,
)

PLANT = parse_definition(DEFAULT_PLANT.read_text(encoding="utf-8"), "default.yaml")
ROUTES = {routing.code: Route.from_definition(routing) for routing in PLANT.routings}
STD, LI, HS = ROUTES["CG-STD"], ROUTES["CG-LI"], ROUTES["HS-SEC"]
LOOPS = [
    (route, step, loop) for route in ROUTES.values() for step in route.steps for loop in step.rework
]
COLUMNS = ("status", "position", "next_operation", "rework_target", "rework_counts")


def make_step(code: str, *loops: str, rework_only: bool = False) -> Step:
    return Step(
        code, "t", (), frozenset(), tuple(ReworkLoop(to, 1, ()) for to in loops), rework_only
    )


def station_of(step: Step) -> str:
    return step.stations[0] if step.stations else f"{step.station_type.upper()}-01"


def start(route: Route, state: UnitState, op: str) -> UnitState:
    step = route.step(op)
    return track_in(route, state, op, step.station_type, station_of(step), True)


def run(
    route: Route, state: UnitState, op: str, result: Result = Result.PASS, to: str | None = None
) -> UnitState:
    return track_out(route, start(route, state, op), op, result, to)


def advance_to(route: Route, op: str, state: UnitState | None = None) -> UnitState:
    """Pass every step until `op` is next."""
    state = state or UnitState.new()
    while (expected := next_operation(route, state)) != op:
        assert expected is not None, f"{op} never came"
        state = run(route, state, expected)
    return state


def refused(code: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


# Happy paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_passing_every_step_in_order_finishes(route: Route) -> None:
    state = UnitState.new()
    visited = []
    while (op := next_operation(route, state)) is not None:
        visited.append(op)
        state = start(route, state, op)
        assert state.status is Status.IN_PROCESS
        assert next_operation(route, state) == op
        state = track_out(route, state, op, Result.PASS)
    assert visited == [step.code for step in route.steps if not step.rework_only]
    assert state == UnitState(Status.FINISHED, position=len(route.steps) - 1)


def test_cg_li_skips_riox_until_strengthening_is_reworked() -> None:
    state = advance_to(LI, "IOX")
    assert state.position == LI.index("CLN1")
    state = run(LI, state, "IOX", Result.REWORK)  # the only loop: no target named
    assert state.status is Status.WAITING
    assert state.rework_target == next_operation(LI, state) == "RIOX"
    state = run(LI, state, "RIOX")
    assert (state.position, next_operation(LI, state)) == (LI.index("RIOX"), "IOX")
    state = run(LI, state, "IOX")
    assert next_operation(LI, state) == "CLN2"
    state = run(LI, advance_to(LI, "PACK", state), "PACK")
    assert state.status is Status.FINISHED
    assert dict(state.rework_counts) == {"IOX>RIOX": 1}


def test_hs_sec_with_repair() -> None:
    state = run(HS, advance_to(HS, "FT"), "FT", Result.REWORK, "REPAIR")
    assert next_operation(HS, state) == "REPAIR"
    state = run(HS, state, "REPAIR")
    assert next_operation(HS, state) == "FT"
    state = run(HS, run(HS, state, "FT"), "HS-PACK")
    assert state.status is Status.FINISHED
    assert dict(state.rework_counts) == {"FT>REPAIR": 1}


@pytest.mark.parametrize(
    ("route", "source", "target", "then"),
    [
        (HS, "FT", "REPAIR", "FT"),
        (STD, "AOI", "FILM", "AOI"),
        (STD, "POLISH", "POLISH", "CLN1"),
        (LI, "IOX", "RIOX", "IOX"),
        (STD, "FQC", "FILM", "AOI"),
    ],
)
def test_after_a_rework_target_passes_the_flow_continues_after_it(
    route: Route, source: str, target: str, then: str
) -> None:
    state = run(route, advance_to(route, source), source, Result.REWORK, target)
    state = run(route, state, target)
    assert state.position == route.index(target)
    assert next_operation(route, state) == then


@pytest.mark.parametrize(
    ("route", "step", "loop"),
    LOOPS,
    ids=[f"{r.code}:{s.code}>{loop.to}" for r, s, loop in LOOPS],
)
def test_every_rework_loop_is_allowed_up_to_its_maximum(
    route: Route, step: Step, loop: ReworkLoop
) -> None:
    state = advance_to(route, step.code)
    key = f"{step.code}>{loop.to}"
    for taken in range(1, loop.max_count + 1):
        position = state.position
        state = run(route, state, step.code, Result.REWORK, loop.to)
        assert (state.status, state.position) == (Status.WAITING, position)
        assert state.rework_target == next_operation(route, state) == loop.to
        assert state.rework_counts[key] == taken
        normal = route.after(position)
        if normal != loop.to:  # a self-loop's target is also the normal next step
            refused("routing.out_of_order", start, route, state, normal)
        if loop.to != step.code:  # a self-loop's target is the step itself: do it below
            state = advance_to(route, step.code, run(route, state, loop.to))
    in_process = start(route, state, step.code)
    error = refused(
        "routing.rework_limit", track_out, route, in_process, step.code, Result.REWORK, loop.to
    )
    assert f"{loop.max_count}" in error.message
    assert "fail or scrap" in error.message
    assert track_out(route, in_process, step.code, Result.SCRAP).status is Status.SCRAPPED


# Refusals ------------------------------------------------------------------------------------

NEW = UnitState.new()
AT_IQC = start(STD, NEW, "IQC")
AT_FT = start(HS, advance_to(HS, "FT"), "FT")
AT_CLN1 = advance_to(STD, "CLN1")
TO_REPAIR = track_out(HS, AT_FT, "FT", Result.REWORK)
FINISHED = track_out(HS, start(HS, advance_to(HS, "HS-PACK"), "HS-PACK"), "HS-PACK", Result.PASS)
SCRAPPED = run(STD, advance_to(STD, "CNC"), "CNC", Result.SCRAP)
FAILED = run(STD, advance_to(STD, "CNC"), "CNC", Result.FAIL)
CONSUMED = consume(FINISHED)
CLEAN = "ultrasonic_clean"
cln1 = partial(track_in, STD, AT_CLN1, "CLN1")
iqc_out = partial(track_out, STD, AT_IQC, "IQC")
ft_out = partial(track_out, HS, AT_FT, "FT")
ERROR_KINDS = {"unit.on_hold": ErrorKind.CONFLICT, "unit.in_process": ErrorKind.CONFLICT}
ERROR_KINDS["routing.unknown_operation"] = ErrorKind.NOT_FOUND
CASES: list[tuple[str, Callable[[], object], str]] = [
    ("unit.on_hold", lambda: start(STD, replace(NEW, held=True), "IQC"), "on hold"),
    ("unit.on_hold", lambda: consume(replace(FINISHED, held=True)), "on hold"),
    ("unit.on_hold", lambda: split(replace(AT_IQC, held=True)), "on hold"),
    ("unit.scrapped", lambda: start(STD, SCRAPPED, "CNC"), "scrapped"),
    ("unit.scrapped", lambda: track_out(STD, SCRAPPED, "CNC", Result.PASS), "scrapped"),
    ("unit.scrapped", lambda: consume(SCRAPPED), "scrapped"),
    ("unit.failed", lambda: start(STD, FAILED, "CNC"), "failed"),
    ("unit.failed", lambda: track_out(STD, FAILED, "CNC", Result.PASS), "failed"),
    ("unit.failed", lambda: split(FAILED), "failed"),
    ("unit.finished", lambda: start(HS, FINISHED, "HS-PACK"), "finished"),
    ("unit.finished", lambda: track_out(HS, FINISHED, "HS-PACK", Result.PASS), "finished"),
    ("unit.consumed", lambda: start(HS, CONSUMED, "PCBA-IN"), "assembled"),
    ("unit.consumed", lambda: consume(CONSUMED), "assembled"),
    ("unit.consumed", lambda: split(CONSUMED), "assembled"),
    ("unit.in_process", lambda: start(STD, AT_IQC, "IQC"), "in process at IQC"),
    ("unit.not_in_process", lambda: track_out(STD, NEW, "IQC", Result.PASS), "track it in to IQC"),
    ("unit.not_consumable", lambda: consume(NEW), "only a finished unit can be assembled"),
    ("unit.not_consumable", lambda: split(FINISHED), "in process"),
    ("routing.out_of_order", lambda: start(STD, NEW, "CUT"), "next operation is IQC"),
    ("routing.out_of_order", lambda: start(LI, advance_to(LI, "IOX"), "RIOX"), "is IOX"),
    ("routing.out_of_order", lambda: start(HS, TO_REPAIR, "FT"), "rework at REPAIR"),
    ("routing.unknown_operation", lambda: start(STD, NEW, "NOPE"), "IQC, CUT, CNC"),
    ("routing.unknown_operation", lambda: STD.step("NOPE"), "'NOPE'"),
    ("routing.unknown_operation", lambda: STD.index("RIOX"), "'RIOX'"),
    ("routing.unknown_operation", lambda: track_out(STD, AT_IQC, "NOPE", Result.PASS), "PACK"),
    ("routing.wrong_station_type", lambda: cln1("cnc", "CLN-01", True), "clean, not cnc"),
    ("routing.wrong_station", lambda: cln1(CLEAN, "CLN-02", True), "station(s) CLN-01"),
    ("operator.unqualified", lambda: cln1(CLEAN, "CLN-01", False), "lacks a skill"),
    ("routing.rework_not_allowed", lambda: iqc_out(Result.REWORK), "IQC has no rework loop"),
    ("routing.rework_not_allowed", lambda: ft_out(Result.REWORK, "FLASH"), "only to REPAIR"),
    ("routing.unexpected_rework_to", lambda: ft_out(Result.PASS, "REPAIR"), "result 'rework'"),
    (
        "routing.operation_mismatch",
        lambda: track_out(STD, AT_IQC, "CUT", Result.PASS),
        "not at CUT",
    ),
    ("routing.unknown_result", lambda: iqc_out("maybe"), "not one of pass, fail, rework, scrap"),
]


@pytest.mark.parametrize(("code", "call", "says"), CASES, ids=[case[0] for case in CASES])
def test_each_refusal_says_what_is_wrong(code: str, call: Callable[[], object], says: str) -> None:
    error = refused(code, call)
    assert says in error.message
    assert error.kind is ERROR_KINDS.get(code, ErrorKind.INVALID)


def test_held_unit_can_still_be_tracked_out() -> None:
    after = track_out(STD, replace(AT_IQC, held=True), "IQC", Result.PASS)
    assert (after.status, after.held) == (Status.WAITING, True)


def test_an_unrestricted_step_runs_at_any_station_of_its_type() -> None:
    assert track_in(STD, advance_to(STD, "IOX"), "IOX", "ion_exchange", "ANY", True).in_operation


def test_several_loops_need_a_named_target() -> None:
    two = Route("TWO", (make_step("A"), make_step("B"), make_step("C", "A", "B")))
    at_c = start(two, advance_to(two, "C"), "C")
    error = refused("routing.rework_not_allowed", track_out, two, at_c, "C", Result.REWORK)
    assert "A, B" in error.message
    assert track_out(two, at_c, "C", Result.REWORK, "B").rework_target == "B"


def test_a_decoded_string_result_works() -> None:
    assert track_out(STD, AT_IQC, "IQC", "pass").position == 0  # type: ignore[arg-type]


# Consumption and persistence -----------------------------------------------------------------


def test_a_finished_unit_is_consumed_and_then_gone() -> None:
    assert UnitState(Status.CONSUMED, FINISHED.position) == CONSUMED
    assert next_operation(HS, CONSUMED) is None


def test_a_sheet_in_process_splits_into_pieces_in_process_at_the_same_operation() -> None:
    sheet = start(STD, run(STD, UnitState.new(), "IQC"), "CUT")
    consumed, piece = split(sheet)
    assert consumed.status is Status.CONSUMED
    assert (piece.status, piece.in_operation, piece.position) == (Status.IN_PROCESS, "CUT", 0)
    assert next_operation(STD, track_out(STD, piece, "CUT", Result.PASS)) == "CNC"


def test_state_round_trips_through_columns_and_json() -> None:
    for state in (NEW, AT_FT, TO_REPAIR, FINISHED, replace(run(HS, NEW, "PCBA-IN"), held=True)):
        columns = state.to_columns(HS)
        assert set(columns) == set(COLUMNS)
        assert UnitState.from_columns(**columns, held=state.held) == state
        assert UnitState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    assert AT_FT.to_columns(HS)["next_operation"] == "FT"
    assert "next_operation" not in AT_FT.to_columns()


@pytest.mark.parametrize(
    "columns",
    [
        {"status": "in_process", "next_operation": None},
        {"status": "failed", "rework_target": "FT"},
        {"position": -2},
        {"rework_counts": {"FT>REPAIR": -1}},
    ],
)
def test_impossible_stored_states_are_refused(columns: dict[str, Any]) -> None:
    row = dict(zip(COLUMNS, ["waiting", -1, "PCBA-IN", None, {}], strict=True))
    with pytest.raises(ValueError):  # noqa: PT011 (the message varies with the defect)
        UnitState.from_columns(**(row | columns))


def test_state_is_immutable_and_hashable() -> None:
    counts = {"FT>REPAIR": 1}
    state = UnitState(Status.WAITING, 2, rework_counts=counts)
    counts["FT>REPAIR"] = 2
    assert state.rework_counts["FT>REPAIR"] == 1
    with pytest.raises(TypeError):
        state.rework_counts["FT>REPAIR"] = 3  # type: ignore[index]
    assert hash(state) == hash(UnitState(Status.WAITING, 2, rework_counts={"FT>REPAIR": 1}))


@pytest.mark.parametrize(
    "steps",
    [
        (make_step("A"), make_step("A")),
        (make_step("A", "B"), make_step("B")),
        (make_step("A", "A", rework_only=True),),
    ],
    ids=["duplicate", "forward-rework", "all-rework-only"],
)
def test_a_route_that_cannot_run_is_refused(steps: tuple[Step, ...]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Route("BAD", steps)


# Random event sequences ----------------------------------------------------------------------

REFUSALS = {code for code, _, _ in CASES} - {"routing.unknown_result"} | {"routing.rework_limit"}
KINDS = ["in", "out", "hold", "release", "consume", "split"]
RESULTS = [Result.PASS] * 6 + [Result.REWORK] * 4 + [Result.FAIL, Result.SCRAP]


@st.composite
def events(draw: st.DrawFn, route: Route, state: UnitState) -> tuple[Any, ...]:
    """One event, mostly plausible, sometimes wrong in one way."""
    usual = "out" if state.status is Status.IN_PROCESS else "in"
    kind = draw(st.sampled_from([usual] * 12 + ["release"] * 2 * state.held + KINDS))
    likely = next_operation(route, state)
    codes = [*route.codes, "NOPE"]
    op = draw(st.sampled_from([likely] * 30 + codes if likely else codes))
    step = route.step(op) if op in route.codes else route.steps[0]
    if kind == "in":
        station_type = draw(st.sampled_from([step.station_type] * 5 + ["cnc"]))
        station = draw(st.sampled_from([*step.stations, "X-01"] if step.stations else ["X-01"]))
        return (track_in, op, station_type, station, draw(st.sampled_from([True] * 5 + [False])))
    if kind == "out":
        rework_to = draw(st.sampled_from([None, None, *(loop.to for loop in step.rework), "IQC"]))
        results = RESULTS + [Result.REWORK] * 4 * bool(step.rework)  # to reach loop limits
        return (track_out, op, draw(st.sampled_from(results)), rework_to)
    return (kind,)


def apply(route: Route, state: UnitState, event: tuple[Any, ...]) -> UnitState:
    if event[0] in (track_in, track_out):
        return event[0](route, state, *event[1:])  # type: ignore[no-any-return]
    if event[0] in ("hold", "release"):
        return replace(state, held=event[0] == "hold")
    return consume(state) if event[0] == "consume" else split(state)[1]  # go on as a piece


def check_invariants(route: Route, state: UnitState) -> None:
    assert -1 <= state.position < len(route.steps)
    assert (state.status is Status.IN_PROCESS) == (state.in_operation is not None)
    assert state.rework_target is None or state.status is Status.WAITING
    assert (next_operation(route, state) is None) == (state.status in TERMINAL)
    for key, count in state.rework_counts.items():
        source, target = key.split(">")
        (loop,) = (loop for loop in route.step(source).rework if loop.to == target)
        assert 1 <= count <= loop.max_count
    assert UnitState.from_columns(**state.to_columns(route), held=state.held) == state
    assert UnitState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@settings(max_examples=250)
@given(route=st.sampled_from(list(ROUTES.values())), data=st.data())
def test_random_events_never_reach_an_impossible_state(route: Route, data: st.DataObject) -> None:
    state = UnitState.new()
    for _ in range(data.draw(st.integers(1, 150))):
        if state.status in TERMINAL and data.draw(st.booleans()):
            state = UnitState.new()  # after checking a refusal or two, follow a new unit
        event = data.draw(events(route, state))
        snapshot = state.to_dict()
        refusal: DomainError | None = None
        try:
            after = apply(route, state, event)
        except DomainError as error:
            refusal = error
        if refusal is not None:
            assert refusal.code in REFUSALS
            assert refusal.message
            assert state.to_dict() == snapshot  # a refusal changes nothing
            continue
        assert state.to_dict() == snapshot  # pure: the input state is untouched
        assembled = event[0] == "consume" and state.status is Status.FINISHED
        if event[0] not in ("hold", "release") and not assembled:
            assert state.status not in TERMINAL, f"{event} accepted by a {state.status} unit"
        if event[0] is track_in:
            assert event[1] == next_operation(route, state)
            assert state.rework_target in (None, event[1])
            assert not state.held
        check_invariants(route, after)
        state = after
