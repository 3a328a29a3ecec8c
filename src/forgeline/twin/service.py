"""A simulated run into a Forgeline database: the plant read from its current revision, master
data prepared in one transaction, then the stream ingested batch by batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forgeline.config import Settings
from forgeline.db.session import SessionFactory, session_scope
from forgeline.plant.service import current_revision
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
) -> DrivenRun:
    """Simulate `scenario` against the database's plant and ingest everything it does.

    `on_progress(done_fraction, events_ingested)` is called as batches are accepted. A scenario
    with a handset line needs `settings` (the secret that protects the factory CA's keys).
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
