"""AOI with images: for a sample of the pieces at an AOI station the twin sends the piece's image
and Forgeline's detector decides, as on the line; the other pieces keep the twin's own outcome.

A sampled piece is tracked in as usual; then, instead of the twin's defect and track-out events,
the station posts an image of the piece (`aoi_render`: clean glass for a piece the twin passes,
the twin's defect past the plant's limit for one it fails) and Forgeline sends the defects and the
track-out itself. The post is synchronous, as a station's is: the driver first ingests everything
the twin has sent so far (the track-in included), and the piece then goes where Forgeline sent it
(pass: on; fail: scrapped; re-clean: the AOI step's rework loop). Where the two disagree (the
detector passes a piece the twin meant to fail, or the reverse) Forgeline's verdict stands and
the run's report counts it. A post Forgeline refuses (a rework limit reached, ...) is counted by
its code and the twin sends its own outcome instead; a piece put on hold meanwhile is set aside.
A defect the generator cannot draw (ink, film, dimension: no image class) keeps the twin's own
events and is counted as not drawable.

The sample is drawn from a generator of its own ([seed, SAMPLE_STREAM]), so the simulation's
random numbers are the same with images on or off; only Forgeline's verdicts change the flow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

import numpy as np

from forgeline.errors import invalid
from forgeline.inspection.decide import CLASS_CODES
from forgeline.twin.aoi_render import Drawn
from forgeline.twin.flow import HELD, Outcome, Process, piece_step
from forgeline.twin.model import OpModel, Piece, Twin
from forgeline.twin.stations import Station

SAMPLE_STREAM = 0xA01
CLASS_OF = {code: cls for cls, code in CLASS_CODES.items()}
# Forgeline's track-out (what its verdict sent) -> the twin's result for the piece.
TWIN_RESULT = {"pass": "pass", "fail": "scrap", "rework": "rework"}


@dataclass(frozen=True)
class ImageRequest:
    """One sampled piece: what the station posts for it."""

    uid: str
    station: str
    at: datetime  # the AOI track-out time
    defect: Drawn | None  # None: clean glass
    seed: int
    index: int  # the image's number in the run


@dataclass(frozen=True)
class Answer:
    """Forgeline's answer: the track-out it sent, or the code it refused the post with."""

    track_out: str | None
    refused: str | None = None


class AoiStation(Protocol):
    """The station's side (`aoi_station.ImagePoster`): posts a request, says what it cost."""

    def __call__(self, request: ImageRequest) -> Answer: ...

    def figures(self) -> dict[str, object]: ...


class AoiImages:
    """The sampling, the posts, and the tally of agreements and disagreements."""

    def __init__(self, twin: Twin, share: float, station: AoiStation) -> None:
        if not 0 < share <= 1:
            raise invalid("twin.aoi_images_invalid", "the AOI image share must be in (0, 1]")
        self.share = share
        self.station = station
        self.seed = twin.scenario.seed
        self.rng = np.random.default_rng([twin.scenario.seed, SAMPLE_STREAM])
        self.counts: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.undrawable: Counter[str] = Counter()

    def inspect(
        self, twin: Twin, op: OpModel, station: Station, piece: Piece, outcome: Outcome, end: float
    ) -> tuple[str, str | None] | None:
        """Forgeline's outcome for a sampled piece; None: not sampled, the twin's own."""
        self.counts["reached"] += 1
        if self.rng.random() >= self.share:
            return None
        result, _target, defect = outcome
        drawn = None
        if defect is not None:
            cls = CLASS_OF.get(defect[0])
            if cls is None:
                self.undrawable[defect[0]] += 1
                return None
            drawn = Drawn(cls, defect[0], defect[1], defect[2], defect[3])
        self.counts["sampled"] += 1
        request = ImageRequest(piece.uid, station.code, twin.stream.when(end), drawn, self.seed,
                               self.counts["sampled"])  # fmt: skip
        answer = self.station(request)
        if answer.track_out is None:
            code = answer.refused or "unknown"
            if code == "unit.on_hold" or piece.uid in twin.withdrawn:
                self.counts["held"] += 1
                return HELD, None
            self.refusals[code] += 1
            return None
        return self._tally(op, result, answer.track_out)

    def _tally(self, op: OpModel, intended: str, track_out: str) -> tuple[str, str | None]:
        self.counts[f"forgeline_{track_out}"] += 1
        meant_fail, failed = intended != "pass", track_out != "pass"
        if meant_fail == failed:
            self.counts["agreed"] += 1
        elif meant_fail:
            self.counts["missed"] += 1  # the twin made a defect, the detector passed the piece
        else:
            self.counts["false_reject"] += 1  # a good piece failed or sent to re-clean
        result = TWIN_RESULT[track_out]
        if result != "rework":
            return result, None
        # Re-clean is the AOI step's own rework loop: production allows it only when there is one.
        return result, op.quality.loops[0].to if len(op.quality.loops) == 1 else None

    def report(self) -> dict[str, object]:
        """The run's figures: AOI visits (`reached`), visits posted or tried (`sampled`; a
        sampled visit whose defect has no image class is under `not_drawable` instead),
        Forgeline's verdicts, (dis)agreements, refusals by code, and the station's figures."""
        keys = ("reached", "sampled", "forgeline_pass", "forgeline_fail", "forgeline_rework",
                "agreed", "missed", "false_reject", "held")  # fmt: skip
        out: dict[str, object] = {k: self.counts[k] for k in keys}
        out["share"] = self.share
        out["refused"] = dict(sorted(self.refusals.items()))
        out["not_drawable"] = dict(sorted(self.undrawable.items()))
        out.update(self.station.figures())
        return out


def attach(twin: Twin, share: float, station: AoiStation) -> AoiImages:
    """Turn images on for this run's AOI stations; `station` posts them."""
    sampler = AoiImages(twin, share, station)
    twin.aoi = sampler
    return sampler


def aoi_step(twin: Twin, op: OpModel, pieces: list[Piece]) -> Process:
    """An AOI station: a piece step whose sampled pieces are judged by Forgeline."""
    sampler: AoiImages | None = twin.aoi
    if sampler is None:
        return piece_step(twin, op, pieces)
    return piece_step(twin, op, pieces, inspect=partial(sampler.inspect, twin))
