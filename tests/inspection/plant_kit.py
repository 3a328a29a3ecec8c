"""A unit brought to an AOI station, the plant's model in place, and images that pass and fail."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.config import Settings
from forgeline.inspection import decide, pipeline, store
from forgeline.inspection.image_store import ImageStore
from forgeline.inspection.images import decode
from forgeline.inspection.submit import model_path
from forgeline.inspection.tables import InspectionDefect, InspectionResult
from forgeline.production.tables import Defect, Unit
from tests.production.events_kit import Events, glass, outcomes, run, set_up_line

BEFORE_AOI = [
    "IQC-01", "CUT-01", "CNC-01", "POL-01", "CLN-01", "IOX-01", "CLN-02", "PRN-01", "CLN-03",
    "COAT-01", "FILM-01",
]  # fmt: skip


@dataclass(frozen=True)
class Images:
    reject: bytes
    passing: bytes


def pick_images(bundle: store.Bundle, train_dir: Path, rules: dict[str, decide.CodeRule]) -> Images:
    """The first generated image the tiny model rejects, and the first it passes."""
    found: dict[str, bytes] = {}
    for path in sorted((train_dir / "images").glob("*.png")):
        data = path.read_bytes()
        verdict = pipeline.inspect(bundle, decode(data), rules)["verdict"]
        if verdict in ("reject", "pass") and verdict not in found:
            found[verdict] = data
        if len(found) == 2:
            return Images(found["reject"], found["pass"])
    raise AssertionError("the generated set has no rejected and passed image")


def install_model(settings: Settings, source: Path) -> None:
    target = model_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def to_aoi(db: Session, serial: str, *, track_in: bool = True, line: bool = True) -> str:
    """A glass piece taken through every operation before AOI, tracked in at AOI-01."""
    if line:
        set_up_line(db)
    ev = Events()
    uid = glass(serial)
    events = [ev("start", uid=uid, product="CG-AUR-A55", kind="glass", lot="SHEET-LOT-1")]
    for station in BEFORE_AOI:
        events += ev.visit(uid, station)
    if track_in:
        events.append(ev("track_in", uid=uid, station="AOI-01", operator="ravi"))
    report = run(db, events)
    assert all(o == "accepted" for o, _ in outcomes(report)), report.to_dict()
    db.commit()
    return uid


def unit(db: Session, uid: str) -> Unit:
    row = db.scalars(select(Unit).where(Unit.uid == uid)).one()
    db.refresh(row)
    return row


def stored(db: Session, settings: Settings) -> tuple[int, int, int, int]:
    """Result rows, inspection defects, production defects, image files."""
    files = list(ImageStore.in_data_dir(settings.data_dir).files())
    counts = [
        int(db.scalar(select(func.count()).select_from(t)) or 0)
        for t in (InspectionResult, InspectionDefect, Defect)
    ]
    return counts[0], counts[1], counts[2], len(files)


@pytest.fixture(scope="session")
def plant_images(
    bundle: store.Bundle, train_dir: Path, rules: dict[str, decide.CodeRule]
) -> Images:
    return pick_images(bundle, train_dir, rules)


@pytest.fixture
def aoi_model(settings: Settings, model_path: Path) -> Path:
    install_model(settings, model_path)
    return model_path
