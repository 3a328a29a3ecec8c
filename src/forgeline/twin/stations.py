"""Station mechanics: parallel slots, down time, and the record of when a station was busy.

A piece station with `capacity` slots serves pieces first come, first served: each piece takes
the slot that frees first, so a tray's pieces are scheduled arithmetically (a heap of slot free
times) instead of one simulation event per piece. A batch station runs `capacity` batches at
once. Down time (failures, breaks) is a sorted list of intervals: work cannot start in one, and
work under way when a failure strikes resumes after the repair.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from dataclasses import dataclass, field

from forgeline.plant.definition import StationSpec

# A station idle for longer than this reports standby (E10 2000); shorter gaps stay productive.
IDLE_GAP_S = 900.0


@dataclass(frozen=True, slots=True)
class Down:
    start: float
    end: float
    state: str  # unscheduled_down / scheduled_down
    reason: str


@dataclass
class Downtime:
    """A station's down intervals, sorted and non-overlapping."""

    intervals: list[Down] = field(default_factory=list)
    _starts: list[float] = field(default_factory=list)

    def set(self, intervals: list[Down]) -> None:
        merged: list[Down] = []
        for down in sorted(intervals, key=lambda d: d.start):
            if merged and down.start < merged[-1].end:
                last = merged[-1]
                if down.end > last.end:
                    merged[-1] = Down(last.start, down.end, last.state, last.reason)
                continue
            merged.append(down)
        self.intervals = merged
        self._starts = [d.start for d in merged]

    def run(self, start: float, duration: float) -> tuple[float, float]:
        """When work of `duration` that may begin at `start` actually begins and ends."""
        starts, intervals = self._starts, self.intervals
        if not starts:
            return start, start + duration
        i = bisect_right(starts, start) - 1
        if i >= 0 and intervals[i].end > start:
            start = intervals[i].end
        end = start + duration
        j = bisect_right(starts, start)
        while j < len(starts) and starts[j] < end:
            end += intervals[j].end - intervals[j].start
            j += 1
        return start, end


@dataclass
class Busy:
    """Merged spans of work (gaps under IDLE_GAP_S joined) and the load carried."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    load_s: float = 0.0  # station-seconds of work: piece time / slots; batch: x fill / slots
    hourly: dict[int, float] = field(default_factory=dict)  # the same, by hour work ended
    _open: list[float] = field(default_factory=list)

    def work(self, end: float, load: float) -> None:
        self.load_s += load
        hour = int(end // 3600.0)
        self.hourly[hour] = self.hourly.get(hour, 0.0) + load

    def load_between(self, start: float, end: float) -> float:
        """Work that ended in [start, end), both on whole hours."""
        first, last = int(start // 3600.0), int(end // 3600.0)
        return sum(v for h, v in self.hourly.items() if first <= h < last)

    def add(self, start: float, end: float) -> None:
        if self._open and start <= self._open[1] + IDLE_GAP_S:
            self._open[1] = max(self._open[1], end)
            return
        if self._open:
            self.spans.append((self._open[0], self._open[1]))
        self._open = [start, end]

    def closed(self) -> list[tuple[float, float]]:
        return [*self.spans, *([(self._open[0], self._open[1])] if self._open else [])]


class Station:
    """One placed station: its spec, down time, busy record, and (piece mode) its slots."""

    def __init__(self, spec: StationSpec) -> None:
        self.spec = spec
        self.code = spec.code
        self.capacity = spec.capacity
        self.batch_size = spec.batch_size or 1
        self.downtime = Downtime()
        self.busy = Busy()
        self.slots = [0.0] * spec.capacity  # piece mode: when each slot frees (a heap)
        self.free_slots = spec.capacity  # batch mode: batches that may start now
        self.carriers: list[str] = []  # batch mode: one basket or rack per slot
        self.runs = 0
        self.in_use = True

    def schedule(self, arrival: float, durations: list[float]) -> list[tuple[float, float]]:
        """(start, end) of each piece, in order, each on the slot that frees first."""
        slots, run, busy = self.slots, self.downtime.run, self.busy
        share = 1.0 / self.capacity
        out = []
        for duration in durations:
            free = slots[0]
            start, end = run(free if free > arrival else arrival, duration)
            heapq.heapreplace(slots, end)
            busy.add(start, end)
            busy.work(end, duration * share)
            out.append((start, end))
        return out

    def ideal_piece_s(self) -> float:
        """Ideal seconds per piece for the whole station (OEE's ideal cycle)."""
        return self.spec.ideal_cycle_s / (self.capacity * self.batch_size)
