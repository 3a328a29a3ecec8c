"""The simulated AOI station's side: render the piece's image and post it to Forgeline through
the inspection service the image endpoint calls, or, with no model, post its own vision result.

`ImagePoster` is what `aoi_images.AoiImages` calls for each sampled piece. It first has the driver
ingest what the twin sent so far (the piece's track-in), then, as `POST /api/v1/inspection/
units/{uid}/image` does, `submit.detect` (the plant's model, `<data_dir>/aoi/model.npz`) and
`submit.record` (the verdict from the plant's zone limits, defects and track-out through
production's ingest, the rows, the image into the content-addressed store), in one transaction
as the twin's account. The one difference from the endpoint: the inspection is dated at the
simulated track-out, not at the wall clock, so the history stays in order. Without a model
file it posts the twin's defect as the station's own vision result (`submit.station_result`, as
`POST .../result` does) and says so in the run's figures. A replay of a run asks nothing: it
reads the verdict recorded the first time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.auth.principal import Principal
from forgeline.config import Settings
from forgeline.db.session import SessionFactory, session_scope
from forgeline.errors import DomainError
from forgeline.inspection import submit
from forgeline.inspection.limits import zone_rules
from forgeline.inspection.schemas import StationDefect, StationResultIn
from forgeline.inspection.tables import InspectionResult
from forgeline.plant.definition import PlantDefinition
from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.unit_handlers import canonical_uid
from forgeline.twin.aoi_images import Answer, ImageRequest
from forgeline.twin.aoi_render import render, size_px

VISION_SYSTEM = "plant twin (no AOI model: the twin's own defect list)"
LINE_WIDTH_MM = 0.1  # a reported scratch or crack's width, past every zone's width limit


class ImagePoster:
    """Posts a sampled piece's image (or vision result) and times each stage in CPU ms."""

    def __init__(
        self,
        factory: SessionFactory,
        principal: Principal,
        settings: Settings,
        plant: PlantDefinition,
        before: Callable[[], None],
        replay: bool = False,
        make_model: Callable[[], DemoModel] | None = None,
    ) -> None:
        self.factory, self.principal, self.settings = factory, principal, settings
        self.before, self.replay, self.make_model = before, replay, make_model
        self.plant = plant
        self.rules = zone_rules(plant)
        self.no_model: str | None = None
        self.model_digest: str | None = None
        self.model_trained_s: float | None = None
        self.geometry = submit.DEFAULT_GEOMETRY
        self._model_checked = False
        self.posted: dict[str, int] = {"image": 0, "station_result": 0, "replayed": 0}
        # CPU seconds: the ingest of what the twin sent before the post (work a later batch
        # would otherwise do, plus a transaction), drawing, detection, recording.
        self.cpu_s = {"send_so_far": 0.0, "render": 0.0, "inspect": 0.0, "record": 0.0}
        self.image_bytes = 0

    def _check_model(self) -> None:
        """At the first post: the plant's model (made first by `make_model` when one is given and
        there is no usable model: the demo's), else the station's own results from then on."""
        self._model_checked = True
        if self.make_model is not None:
            made = self.make_model()
            self.model_trained_s = round(made.seconds, 1) if made.trained else None
        try:
            bundle = submit.plant_model(self.settings)
        except DomainError as exc:  # no model, or an unreadable one: the station's own result
            self.no_model = f"{exc.code}: {exc.message}"
            return
        self.geometry = bundle.model.geometry
        self.model_digest = str(bundle.meta.get("sha256", "")) or None

    def __call__(self, request: ImageRequest) -> Answer:
        clock = time.process_time()
        self.before()
        self.cpu_s["send_so_far"] += time.process_time() - clock
        if self.replay:
            return self._replayed(request)
        if not self._model_checked:
            self._check_model()
        try:
            if self.no_model is None:
                track_out = self._post_image(request)
                self.posted["image"] += 1
            else:
                track_out = self._post_result(request)
                self.posted["station_result"] += 1
        except DomainError as exc:
            return Answer(None, exc.code)
        return Answer(track_out)

    def _post_image(self, request: ImageRequest) -> str:
        clock = time.process_time()
        data = render(self.geometry, self.rules, request.seed, request.index, request.defect)
        rendered = time.process_time()
        detected = submit.detect(self.settings, data)
        inspected = time.process_time()
        with session_scope(self.factory, write=True) as session:
            catalog = _catalog(session)
            geom = detected.geometry
            inspection = submit.Inspection(
                canonical_uid(request.uid), request.station, request.at, "image", detected.found,
                model_version=detected.model_version, model_digest=detected.model_digest,
                image=data, image_size=(geom.width, geom.height), geometry=geom,
            )  # fmt: skip
            row = submit.record(session, self.settings, self.principal, catalog, inspection,
                                dict(detected.timings), detected.started)  # fmt: skip
            track_out = row.track_out
        self.cpu_s["render"] += rendered - clock
        self.cpu_s["inspect"] += inspected - rendered
        self.cpu_s["record"] += time.process_time() - inspected
        self.image_bytes += len(data)
        return track_out

    def _post_result(self, request: ImageRequest) -> str:
        clock = time.process_time()
        defects = []
        d = request.defect
        if d is not None:
            rng = np.random.default_rng([request.seed, request.index])
            size = size_px(self.geometry, self.rules, d, rng) * self.geometry.mm_per_px
            line = d.cls in ("scratch", "crack")
            defects.append(
                StationDefect.model_validate({
                    "class": d.cls, "zone": d.zone or "A",
                    "length_mm": round(size, 3) if line else 0.0,
                    "width_mm": LINE_WIDTH_MM if line else 0.0,
                    "diameter_mm": 0.0 if line else round(size, 3),
                    "x_mm": d.x_mm if d.x_mm is not None else 76.2,
                    "y_mm": d.y_mm if d.y_mm is not None else 35.2,
                })
            )  # fmt: skip
        body = StationResultIn(at=request.at, vision_system=VISION_SYSTEM, defects=defects)
        with session_scope(self.factory, write=True) as session:
            row = submit.station_result(session, self.settings, self.principal, request.uid,
                                        request.station, body)  # fmt: skip
            track_out = row.track_out
        self.cpu_s["record"] += time.process_time() - clock
        return track_out

    def _replayed(self, request: ImageRequest) -> Answer:
        """The verdict this run's first pass recorded for the piece, if it got one."""
        with session_scope(self.factory) as session:
            track_out = recorded_track_out(session, request)
        if track_out is None:
            return Answer(None, "twin.replay_without_result")
        self.posted["replayed"] += 1
        return Answer(track_out)

    def figures(self) -> dict[str, object]:
        images = self.posted["image"]
        per_image = (
            {k: round(v * 1000 / images, 1) for k, v in self.cpu_s.items()} if images else {}
        )
        if images:
            per_image["post"] = round(sum(per_image[k] for k in ("render", "inspect", "record")), 1)
        return {
            "posted": dict(self.posted),
            "model": self.model_digest,
            "model_trained_s": self.model_trained_s,
            "no_model": self.no_model,
            "cpu_ms_per_image": per_image,
            "image_kb_mean": round(self.image_bytes / images / 1024, 1) if images else None,
        }


def _catalog(session: Session) -> Any:
    number = current_revision_number(session)
    return catalogs(session, [number])[number]


def recorded_track_out(session: Session, request: ImageRequest) -> str | None:
    """The track-out recorded for this very inspection (unit, station, time), if any: a piece
    reworked at AOI has one inspection per visit."""
    return session.scalar(
        select(InspectionResult.track_out)
        .where(
            InspectionResult.uid == canonical_uid(request.uid),
            InspectionResult.station_code == request.station,
            InspectionResult.inspected_at == request.at,
        )
        .order_by(InspectionResult.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class DemoModel:
    path: Path
    trained: bool  # False: the file was there already
    seconds: float


# The demo's model: 512 x 256 images (the default layout, a quarter of the camera's size in each
# direction) keep training to a few seconds; the plant's own model comes from `aoi train`.
DEMO_MODEL_IMAGES = 90
DEMO_MODEL_SIZE = (512, 256)
DEMO_MODEL_SEED = 8


def _readable(path: Path) -> bool:
    """A model file this version reads; an older format or a damaged file is not (the demo
    then trains a new one in its place)."""
    from forgeline.inspection import store

    try:
        store.load(path)
    except (FileNotFoundError, ValueError):
        return False
    return True


def demo_model(settings: Settings, plant: PlantDefinition) -> DemoModel:
    """The plant's model file for the demo: kept if there is one this version reads, else
    trained on a small generated set (deleted again afterwards)."""
    import tempfile

    from forgeline.inspection import training
    from forgeline.inspection.dataset import Recipe, write_dataset

    path = submit.model_path(settings)
    if _readable(path):
        return DemoModel(path, False, 0.0)
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = DEMO_MODEL_SIZE
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        data = Path(tmp) / "set"
        write_dataset(Recipe(DEMO_MODEL_SEED, width, height, good_fraction=0.6),
                      DEMO_MODEL_IMAGES, data)  # fmt: skip
        partial = Path(tmp) / "model.npz"
        training.train(data, partial, zone_rules(plant), fit_images=16)
        partial.replace(path)
    return DemoModel(path, True, time.perf_counter() - started)
