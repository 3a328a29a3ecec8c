"""A simulated run into a Forgeline database: the plant read from its current revision, master
data prepared in one transaction, then the stream ingested batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forgeline.config import Settings
from forgeline.db.session import SessionFactory, session_scope
from forgeline.errors import invalid
from forgeline.plant.service import current_revision
from forgeline.twin.aoi_images import attach
from forgeline.twin.aoi_station import DemoModel, ImagePoster
from forgeline.twin.driver import Submitter, last_hold_id, prepare, replayed
from forgeline.twin.emitter import Item
from forgeline.twin.model import Twin
from forgeline.twin.report import RunSummary, summarise
from forgeline.twin.run import run
from forgeline.twin.scenario import Scenario
from forgeline.twin.steps import build


@dataclass
class DrivenRun:
    summary: RunSummary
    submitter: Submitter
    twin: Twin


def simulate_into(
    factory: SessionFactory,
    scenario: Scenario,
    actor: str,
    on_progress: Callable[[float, int], None] | None = None,
    settings: Settings | None = None,
    make_aoi_model: Callable[[], DemoModel] | None = None,
) -> DrivenRun:
    """Simulate `scenario` against the database's plant and ingest everything it does.

    `on_progress(done_fraction, events_ingested)` is called as batches are accepted. A scenario
    with a handset line needs `settings` (the secret that protects the factory CA's keys), and
    so does one posting AOI images (the data directory: model, image store); `make_aoi_model`
    makes the model at the first image if there is none (the demo's).
    """
    with session_scope(factory, write=True) as session:
        plant = current_revision(session).definition
        twin = build(plant, scenario)
        replay = replayed(session, twin)
        principal = prepare(session, twin, actor, settings)
        last_hold = last_hold_id(session)
    line = twin.handset_line
    submitter = Submitter(factory, principal, replay=replay, last_hold=last_hold,
                          on_held=twin.withdraw, settings=settings)  # fmt: skip
    if scenario.aoi_images > 0:
        _post_aoi_images(factory, twin, submitter, replay, settings, make_aoi_model)
    if line is not None:
        submitter.provisioned.releases = dict(line.releases)
    done = [0.0]
    if on_progress is not None:
        report = on_progress
        submitter.on_batch = lambda n: report(done[0], sum(submitter.totals.values()))

    def sink(items: list[Item], fraction: float) -> None:
        done[0] = fraction
        submitter(items, fraction)

    run(twin, sink)
    submitter.flush()
    return DrivenRun(summarise(twin), submitter, twin)


def _post_aoi_images(
    factory: SessionFactory,
    twin: Twin,
    submitter: Submitter,
    replay: bool,
    settings: Settings | None,
    make_model: Callable[[], DemoModel] | None,
) -> None:
    """AOI stations post images of a sample of their pieces (`aoi_images.py`); before each post
    everything the twin has sent so far is ingested, so the piece's track-in is there."""
    if settings is None:
        raise invalid("twin.settings_needed", "a run posting AOI images needs the settings")

    def send_so_far() -> None:
        submitter.take(twin.stream.drain())
        submitter.flush()

    poster = ImagePoster(factory, submitter.principal, settings, twin.plant, send_so_far, replay,
                         make_model)  # fmt: skip
    attach(twin, twin.scenario.aoi_images, poster)
