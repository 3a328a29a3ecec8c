"""The simulation on its own: reproducible, conserving pieces, and events that make sense."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from forgeline.errors import DomainError
from forgeline.plant.definition import PlantDefinition
from forgeline.twin.emitter import Action
from forgeline.twin.run import simulate
from forgeline.twin.scenario import Scenario

START = datetime(2026, 3, 2, tzinfo=UTC)


def _stream(plant: PlantDefinition, seed: int, days: float = 1.0) -> list[object]:
    items: list[object] = []
    simulate(plant, Scenario(days=days, scale=0.01, seed=seed, start=START),
             lambda batch, _done: items.extend(batch))  # fmt: skip
    return items


def test_same_seed_same_history_other_seed_another(plant: PlantDefinition) -> None:
    first, again, other = _stream(plant, 7), _stream(plant, 7), _stream(plant, 8)
    assert first == again
    assert len(first) > 5_000
    assert first != other
    ids = [e["event_id"] for e in first if isinstance(e, dict)]
    assert len(ids) == len(set(ids))


def test_pieces_are_conserved_and_follow_the_route(plant: PlantDefinition) -> None:
    items: list[object] = []
    twin = simulate(plant, Scenario(days=2, scale=0.01, seed=3, start=START),
                    lambda batch, _done: items.extend(batch))  # fmt: skip
    ledger = twin.ledger
    events = [e for e in items if isinstance(e, dict)]
    starts = sum(1 for e in events if e["type"] == "start")
    # Every piece ends where the events say: the last track-out of each unit decides it.
    last: dict[str, str] = {}
    for e in events:
        if e["type"] == "track_out" and "uid" in e:
            last[e["uid"]] = e["result"]
    scrapped = Counter(last.values())["scrap"]
    finished_at_pack = {
        e["uid"] for e in events
        if e["type"] == "track_out" and e.get("uid") and e["station"].startswith("PACK")
        and e["result"] == "pass"
    }  # fmt: skip
    assert starts == ledger.started > 0
    assert ledger.started == ledger.good + ledger.scrapped + (
        ledger.started - ledger.good - ledger.scrapped
    )
    assert ledger.scrapped == scrapped
    assert ledger.good == len(finished_at_pack) > 0
    assert ledger.good + ledger.scrapped <= ledger.started
    # E10 states for every placed station, non-scheduled for those the run did not staff.
    states = {e["station"]: e["state"] for e in events if e["type"] == "equipment_state"}
    assert set(states) == {s.code for s in plant.station_specs()}
    assert any(not s.in_use for s in twin.stations.values())


def test_batch_equipment_runs_as_carriers_with_baths(plant: PlantDefinition) -> None:
    items = _stream(plant, 4)
    events = [e for e in items if isinstance(e, dict)]
    iox = [e for e in events if e["type"] == "batch_start" and e["operation"] == "IOX"]
    assert iox, "no ion-exchange cycle in a day"
    assert all(e["bath"].startswith("BATH-IOX-") for e in iox)
    assert {"temperature_c", "hours"} <= set(iox[0]["parameters"])
    cs = [e for e in events if e["type"] == "measurement" and e["characteristic"] == "CS"]
    cycles = {e["batch"] for e in iox}
    ended = [e for e in events if e["type"] == "batch_end" and e["batch"] in cycles]
    assert len(cs) == 5 * len(ended) > 0  # five pieces of every basket (the plan's sampling)
    assert all(type(e["value"]) is float for e in cs)
    assert any(isinstance(i, Action) and i.kind == "bath_analysis" for i in items)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("days", 0, "twin.days_invalid"), ("scale", 9.0, "twin.scale_invalid"),
     ("seed", -1, "twin.seed_invalid")],
)  # fmt: skip
def test_bad_scenarios_are_refused(field: str, value: float, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        Scenario(**{field: value})  # type: ignore[arg-type]
    assert caught.value.code == code
