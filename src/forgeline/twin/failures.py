"""Breakdowns, repairs and breaks, and the SEMI E10 state history they give each station.

Failures arrive with exponential times between them (mean `mtbf_h` of running time, taken here
as calendar time, a conservative simplification) and take a lognormal time to repair with mean
`mttr_h` (repair times are right-skewed). Staffed piece stations stop for each shift's break
(E10 scheduled down, which OEE leaves out of planned time). A station's state history is painted
from its down intervals over its busy spans over standby, so every second has exactly one state.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from forgeline.twin.stations import Down, Station

REPAIR_SIGMA = 0.6  # lognormal shape of repair times


@dataclass(frozen=True, slots=True)
class StateChange:
    at: float
    state: str
    reason: str


def failures(rng: np.random.Generator, station: Station, horizon: float) -> list[Down]:
    """Unscheduled down intervals over [0, horizon) from the station type's MTBF and MTTR."""
    spec = station.spec
    if spec.mtbf_h is None or spec.mttr_h is None:
        return []
    mtbf, mttr = spec.mtbf_h * 3600.0, spec.mttr_h * 3600.0
    mu = math.log(mttr) - REPAIR_SIGMA**2 / 2  # so that the mean repair time is mttr
    out: list[Down] = []
    t = float(rng.exponential(mtbf))
    while t < horizon:
        repair = float(rng.lognormal(mu, REPAIR_SIGMA))
        out.append(Down(t, t + repair, "unscheduled_down", "breakdown"))
        t += repair + float(rng.exponential(mtbf))
    return out


def breaks(shift_starts: list[float], break_s: list[float]) -> list[Down]:
    """One break per shift, half-way through it (E10 4000: planned, excluded from OEE)."""
    return [
        Down(start + 4 * 3600.0, start + 4 * 3600.0 + length, "scheduled_down", "break")
        for start, length in zip(shift_starts, break_s, strict=True)
        if length > 0
    ]


def state_history(station: Station, horizon: float) -> list[StateChange]:
    """The station's E10 state changes over [0, horizon): down > productive > standby."""
    if not station.in_use:
        return [StateChange(0.0, "non_scheduled", "not staffed in this run")]
    downs = [d for d in station.downtime.intervals if d.start < horizon]
    spans = station.busy.closed()
    points = {0.0}
    for d in downs:
        points.update((d.start, min(d.end, horizon)))
    for s, e in spans:
        points.update((min(s, horizon), min(e, horizon)))
    down_starts = [d.start for d in downs]
    span_starts = [s for s, _ in spans]
    changes: list[StateChange] = []
    for at in sorted(p for p in points if p < horizon):
        state, reason = "standby", "no work"
        i = bisect_right(down_starts, at) - 1
        if i >= 0 and downs[i].end > at:
            state, reason = downs[i].state, downs[i].reason
        else:
            j = bisect_right(span_starts, at) - 1
            if j >= 0 and spans[j][1] > at:
                state, reason = "productive", "running"
        if not changes or changes[-1].state != state:
            changes.append(StateChange(at, state, reason))
    return changes
