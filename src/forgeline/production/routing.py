"""The routing state machine: may this unit be tracked in or out here, and where does it go next.

Pure and allocation-light, as it runs on every ingest event. A `Route` is built once per routing
revision (the caller caches it) with its lookup tables precomputed; a `UnitState` is an immutable
value kept in the unit row (`to_columns` / `from_columns`). Every function returns a new state or
raises a `DomainError` with a stable code; inputs are never changed, so a refusal needs no undo.

Decisions:
- A rework is decided at track-out (result REWORK, `rework_to`): the loop's count is checked and
  taken then, and the next track-in may only be into the loop's target.
- While a unit is in process, `next_operation()` answers the operation it is in, so the
  `unit.next_operation` column also says where an in-process unit is (`from_columns` reads it).
- A held unit may be tracked out (it is in the machine; its result must be recorded) but not
  tracked in or consumed: a held piece must not vanish into a handset, nor a held sheet into
  untraced pieces.
- `consume` takes a FINISHED unit (assembly) or an IN_PROCESS one (a sheet split at its cutting
  operation); `split` gives the pieces' state: in process at that operation, each to be tracked
  out, with its own result, on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from forgeline.errors import DomainError, conflict, invalid, not_found

if TYPE_CHECKING:
    from forgeline.plant.definition.process import Routing


class Status(StrEnum):
    WAITING = "waiting"
    IN_PROCESS = "in_process"
    FAILED = "failed"
    FINISHED = "finished"
    SCRAPPED = "scrapped"
    CONSUMED = "consumed"  # split into pieces or assembled into a handset


class Result(StrEnum):
    PASS = "pass"  # noqa: S105 (a result, not a password)
    FAIL = "fail"
    REWORK = "rework"
    SCRAP = "scrap"


TERMINAL = frozenset({Status.FAILED, Status.FINISHED, Status.SCRAPPED, Status.CONSUMED})

# Shared by every state without rework history, so the common case allocates nothing.
_NO_COUNTS: Mapping[str, int] = MappingProxyType({})


def _no_counts() -> Mapping[str, int]:
    return _NO_COUNTS


@dataclass(frozen=True, slots=True)
class ReworkLoop:
    to: str
    max_count: int
    defects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Step:
    code: str
    station_type: str
    stations: tuple[str, ...]  # empty: any station of the type
    measurements: frozenset[str]
    rework: tuple[ReworkLoop, ...]
    rework_only: bool


@dataclass(frozen=True, slots=True)
class Route:
    """One routing revision's steps, with the tables every event consults precomputed."""

    code: str
    steps: tuple[Step, ...]
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)
    # _after[position + 1]: the code of the next non-rework-only step, None past the last.
    _after: tuple[str | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {step.code: i for i, step in enumerate(self.steps)}
        if len(index) != len(self.steps):
            raise ValueError(f"routing {self.code}: operation codes must be unique")
        for i, step in enumerate(self.steps):
            for loop in step.rework:
                # check_definition refuses these too; a Route built by hand must not bypass it.
                if index.get(loop.to, len(self.steps)) > i:
                    raise ValueError(f"routing {self.code}: {step.code} reworks to {loop.to!r}")
        after: list[str | None] = [None] * (len(self.steps) + 1)
        following: str | None = None
        for i in range(len(self.steps) - 1, -2, -1):
            after[i + 1] = following
            if i >= 0 and not self.steps[i].rework_only:
                following = self.steps[i].code
        if after[0] is None:
            raise ValueError(f"routing {self.code}: every operation is rework_only")
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_after", tuple(after))

    @classmethod
    def from_definition(cls, routing: Routing) -> Route:
        return cls(
            code=routing.code,
            steps=tuple(
                Step(
                    code=op.code,
                    station_type=op.station_type,
                    stations=tuple(op.stations),
                    measurements=frozenset(op.measurements),
                    rework=tuple(
                        ReworkLoop(to=rw.to, max_count=rw.max_count, defects=tuple(rw.defects))
                        for rw in op.rework
                    ),
                    rework_only=op.rework_only,
                )
                for op in routing.operations
            ),
        )

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(step.code for step in self.steps)

    def index(self, code: str) -> int:
        try:
            return self._index[code]
        except KeyError:
            raise self._unknown(code) from None

    def step(self, code: str) -> Step:
        return self.steps[self.index(code)]

    def after(self, position: int) -> str | None:
        """The next non-rework-only step after `position` (-1: the first); None past the last."""
        if not -1 <= position < len(self.steps):
            raise ValueError(f"position {position} is outside routing {self.code}")
        return self._after[position + 1]

    def _unknown(self, code: str) -> DomainError:
        msg = f"{code!r} is not an operation of routing {self.code}; it has {', '.join(self.codes)}"
        return not_found("routing.unknown_operation", msg, operation=code, allowed=self.codes)


@dataclass(frozen=True, slots=True)
class UnitState:
    """Where a unit stands in its routing; immutable, so a refused event changes nothing."""

    status: Status
    position: int = -1  # index of the last completed step, -1 before the first
    in_operation: str | None = None  # the step code while IN_PROCESS
    rework_target: str | None = None  # after a REWORK result: the only step allowed next
    # Key "FROM>TO": how many times that loop was taken. Read-only; replaced, never mutated.
    rework_counts: Mapping[str, int] = field(default_factory=_no_counts, hash=False)
    held: bool = False

    def __post_init__(self) -> None:
        # A caller's plain dict would let the "immutable" state change behind our back.
        if type(self.rework_counts) is not MappingProxyType:
            object.__setattr__(self, "rework_counts", _frozen_counts(self.rework_counts))

    @classmethod
    def new(cls) -> UnitState:
        return cls(Status.WAITING)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (event results, caches); `from_dict` reads it back."""
        return {**self.to_columns(), "in_operation": self.in_operation, "held": self.held}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnitState:
        status, position = Status(data["status"]), int(data["position"])
        in_operation, target = data.get("in_operation"), data.get("rework_target")
        counts, held = data.get("rework_counts") or {}, bool(data.get("held", False))
        return _checked(cls(status, position, in_operation, target, counts, held))

    def to_columns(self, route: Route | None = None) -> dict[str, Any]:
        """Values for the `unit` row's routing columns (`held` comes from its hold_count).

        With `route`, includes `next_operation` (see `next_operation()`); without it the key is
        absent and the caller must set the column itself. With it, `from_columns(**result)`
        round-trips.
        """
        columns: dict[str, Any] = {
            "status": self.status.value,
            "position": self.position,
            "rework_target": self.rework_target,
            "rework_counts": dict(self.rework_counts),
        }
        if route is not None:
            columns["next_operation"] = next_operation(route, self)
        return columns

    @classmethod
    def from_columns(
        cls,
        status: str,
        position: int,
        next_operation: str | None,
        rework_target: str | None,
        rework_counts: Mapping[str, int] | None,
        held: bool = False,
    ) -> UnitState:
        """The state stored in a `unit` row; pass `held=unit.hold_count > 0`."""
        state = Status(status)
        in_operation = next_operation if state is Status.IN_PROCESS else None
        counts = rework_counts or {}
        return _checked(cls(state, position, in_operation, rework_target, counts, held))


def next_operation(route: Route, state: UnitState) -> str | None:
    """The step in process, else the rework target, else the next in order; None if terminal."""
    if state.status is Status.WAITING:
        return state.rework_target or route.after(state.position)
    return state.in_operation  # set exactly while in process


def track_in(
    route: Route,
    state: UnitState,
    operation: str,
    station_type: str,
    station: str,
    has_skills: bool,
) -> UnitState:
    """Start `operation` at `station`; refused unless it is the step this unit may do next."""
    if state.status is not Status.WAITING:
        if state.status is Status.IN_PROCESS:
            msg = f"the unit is already in process at {state.in_operation}; track it out first"
            raise conflict("unit.in_process", msg, in_operation=state.in_operation)
        raise _terminal(state)
    if state.held:
        msg = "the unit is on hold; it can be tracked in once every hold on it is released"
        raise conflict("unit.on_hold", msg, operation=operation)
    expected = state.rework_target or route.after(state.position)
    if operation != expected:
        raise _out_of_order(route, state, operation, expected)
    step = route.steps[route._index[operation]]
    if station_type != step.station_type:
        msg = f"{operation} runs at a station of type {step.station_type}, not {station_type}"
        raise invalid(
            "routing.wrong_station_type", msg, operation=operation, expected=step.station_type
        )
    if step.stations and station not in step.stations:
        allowed = ", ".join(step.stations)
        msg = f"{operation} is restricted to station(s) {allowed}; {station} is not one of them"
        raise invalid("routing.wrong_station", msg, operation=operation, allowed=step.stations)
    if not has_skills:
        msg = f"the operator lacks a skill {operation} needs; a qualified operator must track in"
        raise invalid("operator.unqualified", msg, operation=operation, station=station)
    return UnitState(
        Status.IN_PROCESS, state.position, operation, None, state.rework_counts, state.held
    )


def track_out(
    route: Route,
    state: UnitState,
    operation: str,
    result: Result,
    rework_to: str | None = None,
) -> UnitState:
    """Finish the operation in process with `result`; REWORK sends it round a rework loop."""
    if state.status is not Status.IN_PROCESS:
        if state.status is Status.WAITING:
            msg = f"the unit is not in process; track it in to {next_operation(route, state)}"
            raise invalid("unit.not_in_process", msg, operation=operation)
        raise _terminal(state)
    if operation != state.in_operation:
        if operation not in route._index:
            raise route._unknown(operation)
        msg = f"the unit is in process at {state.in_operation}, not at {operation}"
        raise invalid("routing.operation_mismatch", msg, expected=state.in_operation)
    if rework_to is not None and result != Result.REWORK:
        msg = f"a rework target goes only with result 'rework', not with {str(result)!r}"
        raise invalid("routing.unexpected_rework_to", msg, rework_to=rework_to)
    # Compared with ==, so a plain "pass" from a decoded event works as well as Result.PASS.
    if result == Result.PASS:
        index = route._index[operation]
        status = Status.WAITING if route._after[index + 1] else Status.FINISHED
        return UnitState(status, index, None, None, state.rework_counts, state.held)
    if result == Result.REWORK:
        return _rework(route, state, operation, rework_to)
    ended = _ENDS.get(result)
    if ended is None:
        msg = f"result {str(result)!r} is not one of {', '.join(Result)}"
        raise invalid("routing.unknown_result", msg, allowed=list(Result))
    return UnitState(ended, state.position, None, None, state.rework_counts, state.held)


def consume(state: UnitState) -> UnitState:
    """The unit is gone into others: assembled when FINISHED, split while IN_PROCESS."""
    _check_consumable(state, finished_ok=True)
    return UnitState(Status.CONSUMED, state.position, None, None, state.rework_counts, state.held)


def split(state: UnitState) -> tuple[UnitState, UnitState]:
    """A sheet cut into pieces in its operation: (the consumed sheet, every piece's state).

    Pieces start in process at the sheet's operation with its rework history, and are tracked
    out one by one with their own results.
    """
    _check_consumable(state, finished_ok=False)
    piece = UnitState(
        Status.IN_PROCESS, state.position, state.in_operation, None, state.rework_counts, False
    )
    return consume(state), piece


_ENDS = {Result.FAIL: Status.FAILED, Result.SCRAP: Status.SCRAPPED}


def _check_consumable(state: UnitState, *, finished_ok: bool) -> None:
    status = state.status
    if status is Status.WAITING or (status is Status.FINISHED and not finished_ok):
        msg = (
            f"the unit is {status.value}: only a finished unit can be assembled, and only a "
            "unit in process (at its cutting operation) can be split"
        )
        raise invalid("unit.not_consumable", msg, status=status.value)
    if status is not Status.IN_PROCESS and status is not Status.FINISHED:
        raise _terminal(state)
    if state.held:
        msg = "the unit is on hold; it cannot be assembled or split until every hold is released"
        raise conflict("unit.on_hold", msg)


def _rework(route: Route, state: UnitState, operation: str, rework_to: str | None) -> UnitState:
    loops = route.steps[route._index[operation]].rework
    targets = [loop.to for loop in loops]
    # Without a named target, a step with a single loop needs no name.
    only = loops[0] if rework_to is None and len(loops) == 1 else None
    loop = only or next((loop for loop in loops if loop.to == rework_to), None)
    if loop is None:
        if not loops:
            msg = f"{operation} has no rework loop; pass, fail or scrap the unit"
        elif rework_to is None:
            msg = f"{operation} has several rework loops; name one of {', '.join(targets)}"
        else:
            msg = f"{operation} may rework only to {', '.join(targets)}, not to {rework_to}"
        raise invalid("routing.rework_not_allowed", msg, operation=operation, allowed=targets)
    key = f"{operation}>{loop.to}"
    count = state.rework_counts.get(key, 0)
    if count >= loop.max_count:
        msg = (
            f"rework from {operation} to {loop.to} has been taken {count} time(s), its maximum "
            f"of {loop.max_count}; what remains is to fail or scrap the unit"
        )
        raise invalid("routing.rework_limit", msg, loop=key, count=count, max_count=loop.max_count)
    counts = dict(state.rework_counts)
    counts[key] = count + 1
    return UnitState(
        Status.WAITING, state.position, None, loop.to, MappingProxyType(counts), state.held
    )


_TERMINAL_MESSAGES = {
    Status.SCRAPPED: "the unit is scrapped; nothing more can be done with it",
    Status.FAILED: "the unit failed and awaits a quality disposition",
    Status.FINISHED: "the unit has finished its routing; it can only be assembled or shipped",
    Status.CONSUMED: "the unit was split or assembled into another; it no longer exists alone",
}


def _terminal(state: UnitState) -> DomainError:
    status = state.status.value
    return invalid(f"unit.{status}", _TERMINAL_MESSAGES[state.status], status=status)


def _out_of_order(route: Route, state: UnitState, op: str, expected: str | None) -> DomainError:
    if op not in route._index:
        return route._unknown(op)
    why = "the unit was sent to rework at" if state.rework_target else "its next operation is"
    msg = f"{op} is out of order in routing {route.code}: {why} {expected}"
    return invalid("routing.out_of_order", msg, operation=op, expected=expected)


def _frozen_counts(counts: Mapping[str, int]) -> Mapping[str, int]:
    frozen = MappingProxyType({str(key): int(value) for key, value in counts.items()})
    return frozen if counts else _NO_COUNTS


def _checked(state: UnitState) -> UnitState:
    """Refuse stored states no sequence of events can produce (a corrupt row, a bad payload)."""
    if (state.status is Status.IN_PROCESS) != (state.in_operation is not None):
        raise ValueError("in_operation is set exactly when the unit is in process")
    if state.rework_target is not None and state.status is not Status.WAITING:
        raise ValueError("only a waiting unit has a rework target")
    if state.position < -1 or any(count < 0 for count in state.rework_counts.values()):
        raise ValueError("position and rework counts cannot be negative")
    return state
