"""SEMI E10 equipment states and OEE per ISO 22400-2. Pure: no database, no web.

Time model (SEMI E10 -> ISO 22400-2)
------------------------------------
SEMI E10 divides *total time* into non-scheduled time (6000) and operations time; operations
time into equipment downtime (scheduled 4000, unscheduled 5000) and uptime; uptime into
engineering (3000) and manufacturing time (productive 1000, standby 2000).

ISO 22400-2 measures availability against the *planned busy time* PBT = planned operation time
(POT) - planned down time (PDT). We map:

- non_scheduled (6000) is outside POT: the equipment was not planned to work (unworked shifts,
  holidays, installation). It is not a loss.
- scheduled_down (4000) is PDT: planned maintenance, consumable change (bath replacement),
  set-up, and planned breaks (ISO 22400-2 lists breaks under PDT; stations and the twin report a
  break as scheduled_down). It is not an availability loss either.
- productive (1000) is ISO's actual production time APT ("run time").
- standby (2000), engineering (3000) and unscheduled_down (5000) are planned busy time in which
  nothing was produced: availability losses. Engineering counts as a loss because the equipment
  was planned for production and was used for something else (experiments, qualification).

So ``planned = total - non_scheduled - scheduled_down`` and
availability = APT / PBT, performance (ISO "effectiveness") = ideal time per piece x produced
quantity / APT, quality = good quantity / produced quantity, OEE = product of the three.

Performance above 1 is reported as it is and flagged: it means the ideal cycle time in the
plant definition is longer than what the equipment really does, and must be corrected there;
capping it would hide that.

Batch equipment: a station type's ``ideal_cycle_s`` is per batch, so the ideal time per piece is
``ideal_cycle_s / (capacity x batch_size)``; a half-full basket shows up as a performance loss.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import IntEnum

from forgeline.errors import invalid


class E10State(IntEnum):
    """SEMI E10 basic equipment states, with the codes IPC-CFX ResourceState uses."""

    PRODUCTIVE = 1000
    STANDBY = 2000
    ENGINEERING = 3000
    SCHEDULED_DOWN = 4000
    UNSCHEDULED_DOWN = 5000
    NON_SCHEDULED = 6000

    @property
    def label(self) -> str:
        """The name stored in ``equipment_state.state``: "productive", "scheduled_down"..."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int) -> E10State:
        """A state from its name ("standby"), its code (2000, "2000") or a CFX sub-state code
        (2100 is a kind of standby): the thousands digit decides."""
        text = str(value).strip()
        if text.isdigit():
            code = int(text) // 1000 * 1000
            if code in cls._value2member_map_:
                return cls(code)
        else:
            member = cls.__members__.get(text.upper())
            if member is not None:
                return member
        raise invalid(
            "equipment.unknown_state",
            f"{value!r} is not a SEMI E10 state",
            allowed=[s.label for s in cls],
        )


@dataclass(frozen=True)
class StateInterval:
    """A station was in `state` from `start` (inclusive) to `end` (exclusive)."""

    state: E10State
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())

    def clipped(self, start: datetime, end: datetime) -> StateInterval | None:
        """The part of this interval inside [start, end), or None when they do not overlap."""
        lo, hi = max(self.start, start), min(self.end, end)
        return StateInterval(self.state, lo, hi) if lo < hi else None


@dataclass(frozen=True)
class StateTimes:
    """Seconds spent in each E10 state."""

    productive: float = 0.0
    standby: float = 0.0
    engineering: float = 0.0
    scheduled_down: float = 0.0
    unscheduled_down: float = 0.0
    non_scheduled: float = 0.0

    @property
    def total(self) -> float:
        return (
            self.productive + self.standby + self.engineering + self.scheduled_down
            + self.unscheduled_down + self.non_scheduled
        )  # fmt: skip

    @property
    def planned(self) -> float:
        """ISO 22400-2 planned busy time: total less non-scheduled and scheduled downtime."""
        return self.total - self.non_scheduled - self.scheduled_down

    def __add__(self, other: StateTimes) -> StateTimes:
        # Spelled out: a month's OEE trend adds these a few thousand times per page.
        return StateTimes(
            self.productive + other.productive, self.standby + other.standby,
            self.engineering + other.engineering, self.scheduled_down + other.scheduled_down,
            self.unscheduled_down + other.unscheduled_down,
            self.non_scheduled + other.non_scheduled,
        )  # fmt: skip

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_STATES = tuple(E10State)  # in StateTimes' field order (iterating the enum itself is slow)


def state_times(
    intervals: Iterable[StateInterval],
    start: datetime | None = None,
    end: datetime | None = None,
) -> StateTimes:
    """Sum interval lengths per state; with `start` and `end`, of their parts inside [start, end)
    (a trend's day clips a station's intervals a few thousand times per page)."""
    totals = dict.fromkeys(_STATES, 0.0)
    for interval in intervals:
        lo = interval.start if start is None else max(interval.start, start)
        hi = interval.end if end is None else min(interval.end, end)
        if lo < hi:
            totals[interval.state] += (hi - lo).total_seconds()
    return StateTimes(*totals.values())


def ideal_piece_cycle_s(
    ideal_cycle_s: float, *, capacity: int = 1, batch_size: int | None = None
) -> float:
    """Ideal seconds per piece of a whole station.

    Piece mode: ``ideal_cycle_s`` is per piece per slot, so `capacity` slots divide it.
    Batch mode (`batch_size` set): ``ideal_cycle_s`` is per batch per slot.
    """
    if ideal_cycle_s <= 0 or capacity <= 0 or (batch_size is not None and batch_size <= 0):
        raise invalid(
            "oee.bad_ideal_cycle", "ideal cycle time, capacity and batch size must be positive"
        )
    return ideal_cycle_s / (capacity * (batch_size or 1))


@dataclass(frozen=True)
class OeeInputs:
    """What OEE is computed from; inputs of several stations or periods add up."""

    times: StateTimes = field(default_factory=StateTimes)
    ideal_s: float = 0.0  # ideal time for the produced quantity: sum of ideal piece cycle x count
    total_count: int = 0  # produced quantity (every track-out)
    good_count: int = 0  # good quantity (track-outs that passed)

    def __add__(self, other: OeeInputs) -> OeeInputs:
        return OeeInputs(
            self.times + other.times,
            self.ideal_s + other.ideal_s,
            self.total_count + other.total_count,
            self.good_count + other.good_count,
        )


def station_inputs(
    times: StateTimes, *, ideal_piece_s: float, total_count: int, good_count: int
) -> OeeInputs:
    """Inputs of one station: its state times and its track-out counts."""
    if total_count < 0 or good_count < 0 or good_count > total_count:
        raise invalid("oee.bad_counts", "counts must satisfy 0 <= good <= total", total=total_count)
    return OeeInputs(times, ideal_piece_s * total_count, total_count, good_count)


@dataclass(frozen=True)
class Oee:
    """The ISO 22400-2 figures; None where the denominator is zero (nothing to measure)."""

    inputs: OeeInputs
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    # Performance > 1: the definition's ideal cycle time is too long for this equipment.
    performance_over_one: bool


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def compute_oee(inputs: OeeInputs) -> Oee:
    """Availability x performance x quality, each reported on its own."""
    times = inputs.times
    availability = _ratio(times.productive, times.planned)
    performance = _ratio(inputs.ideal_s, times.productive)
    quality = _ratio(inputs.good_count, inputs.total_count)
    parts = (availability, performance, quality)
    overall = None
    if all(p is not None for p in parts):
        overall = (availability or 0.0) * (performance or 0.0) * (quality or 0.0)
    # Output with no productive time at all is just as inconsistent as performance > 1.
    over = (performance is not None and performance > 1.0) or (
        performance is None and inputs.total_count > 0
    )
    return Oee(inputs, availability, performance, quality, overall, over)
