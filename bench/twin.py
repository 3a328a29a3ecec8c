"""Plant twin speed: one full plant-day at nameplate, simulation only (no database).

Run: .venv/bin/python bench/twin.py [--warm-up 1] [--days 1] [--scale 1.0] [--seed 1]

The twin simulates the default plant at nameplate (~100k starts a day) and builds every event
a real line would send (JSON-ready dicts, as the driver submits them), without ingesting them.
An empty plant needs about a day to fill (an ion-exchange cycle alone is 8 h), so the run is a
warm-up day and then the measured "full plant-day" in steady state. Reported for the measured
day: wall and CPU seconds, pieces started, operations run (track-outs), events made and
events per second; and the same for the whole run. Baseline in the same run: building as many
event dicts of the same shape in a bare loop (no simulation) -- the ratio says what the
simulation itself costs on top of writing its output down.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

from forgeline.twin.emitter import EventStream, Item
from forgeline.twin.plan import load_plant
from forgeline.twin.run import simulate
from forgeline.twin.scenario import Scenario

START = datetime(2026, 3, 2, tzinfo=UTC)
UID = "(01)08901234500019(21)BENCH0000001"


def simulated(warm_up: float, days: float, scale: float, seed: int) -> dict[str, Any]:
    plant = load_plant(None)
    counts = {"track_out": 0, "start": 0, "events": 0}
    mark: dict[str, Any] = {}
    split = warm_up / (warm_up + days)

    def sink(items: list[Item], done: float) -> None:
        if done > split and not mark:  # the first hour of the measured day is about to run
            mark.update(counts, wall=time.perf_counter(), cpu=time.process_time())
        for item in items:
            if isinstance(item, dict):
                counts["events"] += 1
                if item["type"] in counts:
                    counts[item["type"]] += 1

    wall, cpu = time.perf_counter(), time.process_time()
    scenario = Scenario(days=warm_up + days, scale=scale, seed=seed, start=START)
    twin = simulate(plant, scenario, sink)
    end_wall, end_cpu = time.perf_counter(), time.process_time()
    day_wall, day_cpu = end_wall - mark["wall"], end_cpu - mark["cpu"]
    day_events = counts["events"] - mark["events"]
    return {
        "warm_up_days": warm_up, "measured_days": days, "scale": scale,
        "measured": {
            "starts": counts["start"] - mark["start"],
            "track_outs": counts["track_out"] - mark["track_out"],
            "events": day_events, "wall_s": round(day_wall, 2), "cpu_s": round(day_cpu, 2),
            "events_per_s": round(day_events / day_wall),
            "events_per_cpu_s": round(day_events / day_cpu),
        },
        "whole_run": {
            "starts": twin.ledger.started, "good": twin.ledger.good,
            "scrapped": twin.ledger.scrapped, "events": twin.stream.count,
            "wall_s": round(end_wall - wall, 2), "cpu_s": round(end_cpu - cpu, 2),
        },
    }  # fmt: skip


def baseline(events: int) -> dict[str, Any]:
    """The same number of track-in-shaped dicts from the same emitter, no simulation."""
    stream = EventStream(START, "BENCH")
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(events):
        fields = {"uid": UID, "station": "CNC-01", "operator": "twin-cg-fab-a"}
        stream.emit("track_in", n * 0.5, fields)
        if len(stream.items) >= 100_000:
            stream.drain()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"events": events, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "events_per_s": round(events / wall)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-up", type=float, default=1.0, help="days before the measured")
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sim = simulated(args.warm_up, args.days, args.scale, args.seed)
    measured = sim["measured"]
    base = baseline(measured["events"])
    print(json.dumps({
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "simulation": sim, "baseline_event_dicts": base,
        "simulation_vs_baseline": round(
            measured["events_per_cpu_s"] / (base["events"] / base["cpu_s"]), 3
        ),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
