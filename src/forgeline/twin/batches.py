"""Batch equipment: polishers, cleaning lines, ion-exchange furnaces, coating chambers.

Pieces queue per operation. A batch starts on a free slot when the queue fills the station's
batch, or when the oldest piece has waited MAX_WAIT_SHARE of a cycle (at most MAX_WAIT_S): a
real line does not hold glass for half a day to fill a 3,000-piece basket at low load. The batch
is loaded into the slot's basket or rack, run, and tracked in and out as a carrier; pieces that
fail are unloaded and tracked out on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import simpy

from forgeline.twin import capacity
from forgeline.twin.flow import TRANSPORT_S, Process, _defect, apply, decide, forward, measure
from forgeline.twin.model import OpModel, Piece, Twin
from forgeline.twin.stations import Station

MAX_WAIT_SHARE = 0.5
MAX_WAIT_S = 3 * 3600.0
MIN_WAIT_S = 600.0
BATCH_SIGMA = 0.02


class BatchQueue:
    """One operation's queue in front of its batch stations, and the dispatcher that starts
    batches on free slots."""

    def __init__(self, twin: Twin, op: OpModel) -> None:
        self.twin, self.op = twin, op
        self.queue: list[tuple[float, Piece]] = []
        self.wake = twin.env.event()
        cycle = op.stations[0].spec.ideal_cycle_s
        self.max_wait = min(MAX_WAIT_S, max(MIN_WAIT_S, cycle * MAX_WAIT_SHARE))
        for station in op.stations:
            if not station.carriers:
                station.carriers = [
                    f"BSK-{station.code}-{twin.tag}-{k + 1}" for k in range(station.capacity)
                ]
            twin.station_queues.setdefault(station.code, []).append(self)
        twin.env.process(self.dispatch())

    def add(self, pieces: list[Piece]) -> None:
        now = self.twin.env.now
        self.queue.extend((now, p) for p in pieces)
        self.notify()

    def notify(self) -> None:
        if not self.wake.triggered:
            self.wake.succeed()

    def _sleep(self, timeout: float | None = None) -> simpy.Event:
        self.wake = self.twin.env.event()
        if timeout is None:
            return self.wake
        return self.twin.env.any_of([self.wake, self.twin.env.timeout(timeout)])

    def dispatch(self) -> Process:
        env = self.twin.env
        while True:
            if not self.queue:
                yield self._sleep()
                continue
            station = next((s for s in self.op.stations if s.free_slots > 0), None)
            if station is None:
                yield self._sleep()
                continue
            due = self.queue[0][0] + self.max_wait
            if len(self.queue) < station.batch_size and env.now < due:
                yield self._sleep(due - env.now)
                continue
            taken = self.twin.moving([p for _, p in self.queue[: station.batch_size]])
            del self.queue[: station.batch_size]
            if not taken:
                continue
            station.free_slots -= 1
            env.process(run_batch(self.twin, self.op, station, taken))


@dataclass
class Run:
    """One batch under way: where, what, and when it started and ends."""

    station: Station
    pieces: list[Piece]
    carrier: str
    code: str
    params: dict[str, Any]
    start: float
    end: float


def run_batch(twin: Twin, op: OpModel, station: Station, pieces: list[Piece]) -> Process:
    """Load, run, unload: a batch's whole life at one slot of the station."""
    run = _begin(twin, op, station, pieces)
    yield twin.env.timeout(run.end - twin.env.now)
    twin.stream.emit("batch_end", run.end, {"batch": run.code})
    onward = _finish(twin, op, run)
    station.carriers.append(run.carrier)
    station.free_slots += 1
    for queue in twin.station_queues.get(station.code, []):
        queue.notify()
    yield twin.env.timeout(TRANSPORT_S)
    forward(twin, onward)


def _begin(twin: Twin, op: OpModel, station: Station, pieces: list[Piece]) -> Run:
    stream, t0 = twin.stream, twin.env.now
    carrier = station.carriers.pop()
    physics = twin.physics_for(station)
    params = physics.batch_parameters(twin, station, t0)
    bath = physics.bath(station)
    if bath is None and twin.plant.station_type(station.spec.station_type).bath:
        bath = twin.bath_code(station.code, 0)
    noise = float(twin.rng.lognormal(-(BATCH_SIGMA**2) / 2, BATCH_SIGMA))
    duration = station.spec.ideal_cycle_s * capacity.BATCH_SLOWDOWN * noise
    start, end = station.downtime.run(t0, duration)
    station.busy.add(start, end)
    station.busy.work(end, duration * len(pieces) / (station.batch_size * station.capacity))
    station.runs += 1
    code = twin.new_batch(station.code)
    stream.emit("carrier_load", t0, {"carrier": carrier, "uids": [p.uid for p in pieces]})
    begin: dict[str, Any] = {"batch": code, "station": station.code, "operation": op.op.code,
                             "carriers": [carrier]}  # fmt: skip
    if bath is not None:
        begin["bath"] = bath
    if params:
        begin["parameters"] = params
    stream.emit("batch_start", start, begin)
    track_in: dict[str, Any] = {"carrier": carrier, "station": station.code, "batch": code,
                                "operator": twin.operator(station, start)}  # fmt: skip
    if op.op.code == "COAT":
        track_in["lots"] = {"coating": twin.lot_code("COAT", int(start // capacity.DAY_S))}
    stream.emit("track_in", start, track_in)
    return Run(station, pieces, carrier, code, params, start, end)


def _finish(twin: Twin, op: OpModel, run: Run) -> list[Piece]:
    """Judge the batch: failures unloaded and tracked out alone, the rest as the carrier;
    samples measured; a special cause puts the cycle on hold. Returns the pieces moving on."""
    stream, station, end = twin.stream, run.station, run.end
    visit = twin.physics_for(station).visit(twin, station, run.pieces, end, run.params)
    outcomes = decide(twin, op, run.pieces, visit, inspection=False)
    failed = [p for p, (result, _, _) in zip(run.pieces, outcomes, strict=True) if result != "pass"]
    if failed:
        stream.emit("carrier_unload", end + 1, {"carrier": run.carrier,
                                                "uids": [p.uid for p in failed]})  # fmt: skip
    onward: list[Piece] = []
    passed: list[Piece] = []
    for piece, (result, target, defect) in zip(run.pieces, outcomes, strict=True):
        if result == "pass":
            passed.append(piece)
        else:
            if defect is not None:
                _defect(twin, piece, station, defect, end + 1.5)
            out: dict[str, Any] = {"uid": piece.uid, "station": station.code, "result": result}
            if target is not None:
                out["rework_to"] = target
            stream.emit("track_out", end + 2, out)
        if apply(twin, op, piece, result, target) and result != "pass":
            onward.append(piece)
    if passed:
        stream.emit("track_out", end + 2, {"carrier": run.carrier, "station": station.code,
                                           "result": "pass"})  # fmt: skip
    measure(twin, op, station, run.pieces, visit, end + 3, station.runs)
    if not passed:
        return onward
    if visit.hold is not None:
        stream.emit("hold", end + 4, {"target_type": "batch", "target": run.code,
                                      "reason": visit.hold})  # fmt: skip
        twin.ledger.held += len(passed)
    else:
        onward.extend(passed)
    stream.emit("carrier_unload", end + 5, {"carrier": run.carrier,
                                            "uids": [p.uid for p in passed]})  # fmt: skip
    return onward


def batch_step(twin: Twin, op: OpModel, pieces: list[Piece]) -> Process:
    """Queue the tray's pieces for the operation's batch equipment; the batch moves them on."""
    key = (op.group.key, op.op.code)
    queue = twin.batch_queues.get(key)
    if queue is None:
        queue = twin.batch_queues[key] = BatchQueue(twin, op)
    queue.add(pieces)
    return
    yield  # a generator, like every step handler
