"""What a run did: pieces started, good, scrapped, held and in process, first-pass yield per
operation, and utilisation per station group, from the twin's own ledger. Forgeline's own
figures (OEE from the ingested equipment states) come from production's reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from forgeline.twin import capacity
from forgeline.twin.handsets import line_of
from forgeline.twin.model import Twin


@dataclass(frozen=True)
class StepYield:
    operation: str
    first_visits: int
    passed: int

    @property
    def fpy(self) -> float | None:
        return self.passed / self.first_visits if self.first_visits else None


@dataclass(frozen=True)
class RunSummary:
    days: float
    scale: float
    seed: int
    started: int
    good: int
    scrapped: int
    held: int
    events: int
    steps: list[StepYield] = field(default_factory=list)
    utilisation: dict[str, float] = field(default_factory=dict)
    handsets: dict[str, int] = field(default_factory=dict)  # the handset line's, if it ran
    aoi_images: dict[str, object] = field(default_factory=dict)  # posted AOI images, if any

    @property
    def in_process(self) -> int:
        """Everything neither finished nor scrapped: waiting, in a machine, or on hold."""
        return self.started - self.good - self.scrapped

    def as_dict(self) -> dict[str, object]:
        return {
            "days": self.days, "scale": self.scale, "seed": self.seed,
            "started": self.started, "good": self.good, "scrapped": self.scrapped,
            "in_process": self.in_process, "held": self.held, "events": self.events,
            "first_pass_yield": {s.operation: s.fpy for s in self.steps},
            "utilisation": self.utilisation,
            **({"handsets": self.handsets} if self.handsets else {}),
            **({"aoi_images": self.aoi_images} if self.aoi_images else {}),
        }  # fmt: skip


def utilisation(twin: Twin, since: float = 0.0) -> dict[str, float]:
    """Per station group: work that ended in [since, horizon) / (stations x available time).
    Work is piece-equivalent station time; available time leaves out down intervals."""
    out: dict[str, float] = {}
    for key, stations in twin.groups.items():
        load = sum(s.busy.load_between(since, twin.horizon) for s in stations)
        available = 0.0
        for s in stations:
            down = sum(
                max(0.0, min(d.end, twin.horizon) - max(d.start, since))
                for d in s.downtime.intervals
            )
            available += (twin.horizon - since) - down
        if available > 0:
            out[key] = load / available
    return out


def summarise(twin: Twin) -> RunSummary:
    ledger = twin.ledger
    order = [op.op.code for op in twin.ops.values()]
    steps = [
        StepYield(code, *ledger.first[code])
        for code in dict.fromkeys(order)
        if code in ledger.first
    ]
    return RunSummary(
        days=twin.scenario.days, scale=twin.scenario.scale, seed=twin.scenario.seed,
        started=ledger.started, good=ledger.good, scrapped=ledger.scrapped, held=ledger.held,
        events=twin.stream.count, steps=steps, utilisation=utilisation(twin),
        handsets=line_of(twin).counts(twin) if twin.handset_line is not None else {},
        aoi_images=twin.aoi.report() if twin.aoi is not None else {},
    )  # fmt: skip


__all__ = ["RunSummary", "StepYield", "capacity", "summarise", "utilisation"]
