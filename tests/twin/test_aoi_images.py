"""AOI images in the simulation alone: which pieces are sampled, what the station is asked, and
that a sampled piece goes where the plant's answer sends it (a stand-in station answers here;
tests/inspection/test_twin_images.py posts to a real database with a real model)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from forgeline.errors import DomainError
from forgeline.inspection import decide
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.images import decode
from forgeline.inspection.limits import zone_rules
from forgeline.plant.definition import PlantDefinition
from forgeline.twin.aoi_images import Answer, ImageRequest, attach
from forgeline.twin.aoi_render import Drawn, place, render
from forgeline.twin.emitter import Item
from forgeline.twin.run import run
from forgeline.twin.scenario import Scenario
from forgeline.twin.steps import build

START = datetime(2026, 3, 2, tzinfo=UTC)


class Station:
    """Answers every post with `answer(request)`; keeps what it was asked."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[ImageRequest] = []

    def __call__(self, request: ImageRequest) -> Answer:
        self.requests.append(request)
        result: Answer = self.answer(request)
        return result

    def figures(self) -> dict[str, object]:
        return {"asked": len(self.requests)}


def _run(
    plant: PlantDefinition, share: float, answer: Any, seed: int = 5
) -> tuple[Station, list[dict[str, Any]], Any]:
    twin = build(plant, Scenario(days=1.5, scale=0.004, seed=seed, start=START, aoi_images=share))
    station = Station(answer)
    attach(twin, share, station)
    items: list[Item] = []
    run(twin, lambda batch, _done: items.extend(batch))
    return station, [e for e in items if isinstance(e, dict)], twin


def _aoi_track_outs(events: list[dict[str, Any]]) -> Counter[str]:
    return Counter(
        e["uid"] for e in events if e["type"] == "track_out" and e["station"].startswith("AOI")
    )


def test_the_sample_is_the_share_asked_for_and_the_station_decides(
    plant: PlantDefinition,
) -> None:
    station, events, twin = _run(plant, 0.3, lambda r: Answer("fail"))
    report = twin.aoi.report()
    reached, sampled = report["reached"], report["sampled"]
    # Binomial(n, 0.3): within 4 standard deviations (sampling off would give 0 or n).
    assert reached > 100
    sd = (reached * 0.3 * 0.7) ** 0.5
    assert abs(sampled - 0.3 * reached) < 4 * sd
    assert len(station.requests) == sampled
    # The twin sends no track-out of its own for a visit the station posted ...
    assert sum(_aoi_track_outs(events).values()) == reached - sampled
    # ... and the piece goes where Forgeline sent it: failed, nothing more happens to it.
    last = {e["uid"]: datetime.fromisoformat(e["at"]) for e in events if "uid" in e}
    assert all(last[r.uid] <= r.at for r in station.requests)
    assert report["forgeline_fail"] == sampled
    assert report["agreed"] + report["false_reject"] == sampled
    assert report["false_reject"] > report["agreed"]  # most pieces are good


def test_what_the_station_is_asked_matches_what_the_twin_decided(plant: PlantDefinition) -> None:
    station, _events, twin = _run(plant, 0.5, lambda r: Answer("pass"))
    defects = [r.defect for r in station.requests if r.defect is not None]
    assert defects and len(defects) < len(station.requests)  # good pieces are asked clean
    for d in defects:
        assert decide.CLASS_CODES[d.cls] == d.code
    assert [r.index for r in station.requests] == list(range(1, len(station.requests) + 1))
    report = twin.aoi.report()
    assert report["missed"] == len(defects)  # the detector "passed" every defect
    assert report["forgeline_pass"] == len(station.requests)


def test_refusals_fall_back_to_the_twins_own_outcome(plant: PlantDefinition) -> None:
    station, events, twin = _run(plant, 0.3, lambda r: Answer(None, "routing.rework_limit"))
    report = twin.aoi.report()
    assert report["refused"] == {"routing.rework_limit": len(station.requests)}
    own = _aoi_track_outs(events)
    assert all(own[r.uid] >= 1 for r in station.requests)


def test_the_same_run_asks_the_same_and_images_are_reproducible(plant: PlantDefinition) -> None:
    first, _, _ = _run(plant, 0.2, lambda r: Answer("pass"), seed=9)
    again, _, _ = _run(plant, 0.2, lambda r: Answer("pass"), seed=9)
    assert first.requests == again.requests
    geom = PieceGeometry.for_image(256, 128)
    rules = zone_rules(plant)
    drawn = Drawn("scratch", "SCR", "A", 18.0, 6.5)
    image = render(geom, rules, 9, 1, drawn)
    assert image == render(geom, rules, 9, 1, drawn)
    assert image != render(geom, rules, 9, 2, drawn)
    assert decode(image, expected=(128, 256)).shape == (128, 256)


@pytest.mark.parametrize("zone", ["A", "B", "C"])
def test_a_defect_is_drawn_in_the_twins_zone(plant: PlantDefinition, zone: str) -> None:
    import numpy as np

    geom = PieceGeometry.for_image(512, 256)
    zones = geom.zone_map()
    names = {1: "A", 2: "B", 3: "C"}
    rng = np.random.default_rng(1)
    for cls in ("scratch", "dig", "bubble", "chip"):
        if cls == "chip" and zone == "A":
            continue
        y, x = place(geom, Drawn(cls, decide.CLASS_CODES[cls], zone, 18.0, 6.5), rng)
        assert names.get(int(zones[int(y), int(x)])) == zone, (cls, zone)


def test_a_share_outside_0_to_1_is_refused() -> None:
    with pytest.raises(DomainError) as info:
        Scenario(aoi_images=1.5)
    assert info.value.code == "twin.aoi_images_invalid"
