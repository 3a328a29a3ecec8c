"""Running a scenario: the simulation clock advanced an hour at a time, the stream drained to a
sink after each step (the driver's ingest, a file, or nothing), station states at the end."""

from __future__ import annotations

from collections.abc import Callable

from forgeline.plant.definition import PlantDefinition
from forgeline.twin.emitter import Item
from forgeline.twin.failures import state_history
from forgeline.twin.flow import release
from forgeline.twin.handsets import release_handsets
from forgeline.twin.model import Twin
from forgeline.twin.scenario import Scenario
from forgeline.twin.steps import build

STEP_S = 3600.0
Sink = Callable[[list[Item], float], None]


def simulate(plant: PlantDefinition, scenario: Scenario, sink: Sink | None = None) -> Twin:
    """Run the scenario; `sink(items, done_fraction)` receives the stream as it is made."""
    return run(build(plant, scenario), sink)


def run(twin: Twin, sink: Sink | None = None) -> Twin:
    """Run a twin built already (the driver reads its master data first)."""
    twin.env.process(release(twin))
    if twin.handset_line is not None:
        twin.env.process(release_handsets(twin))
    t = 0.0
    while t < twin.horizon:
        t = min(t + STEP_S, twin.horizon)
        twin.env.run(until=t)
        if sink is not None:
            sink(twin.stream.drain(), t / twin.horizon)
        else:
            twin.stream.drain()
    for code in sorted(twin.stations):
        station = twin.stations[code]
        if "~" in code:
            continue  # a virtual station of a plan: no such station to report for
        for change in state_history(station, twin.horizon):
            twin.stream.emit("equipment_state", change.at, {"station": code,
                                                            "state": change.state,
                                                            "reason": change.reason})  # fmt: skip
    final = twin.stream.drain()
    if sink is not None:
        sink(final, 1.0)
    return twin
