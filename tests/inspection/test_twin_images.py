"""The plant twin's AOI stations post synthetic images of a sample of their pieces into a real
database with the plant's model in place: images stored by content, results recorded, defects
and one track-out per inspection through production, a replay that sends nothing twice; and,
with no model, the station's own vision result instead."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.config import Settings
from forgeline.db.engine import make_engine
from forgeline.db.session import SessionFactory, make_session_factory, session_scope
from forgeline.inspection import submit
from forgeline.inspection.image_store import ImageStore
from forgeline.inspection.tables import InspectionDefect, InspectionResult
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.tables import Defect, OperationRecord, Unit
from forgeline.twin.aoi_station import DemoModel, demo_model
from forgeline.twin.scenario import Scenario
from forgeline.twin.service import DrivenRun, simulate_into
from tests.inspection.plant_kit import install_model

START = datetime(2026, 3, 2, tzinfo=UTC)
# A young plant (four times the defects) so that a small run has pieces failing at AOI.
SCENARIO = Scenario(days=1.2, scale=0.002, seed=12, start=START, defect_multiplier=4.0,
                    aoi_images=0.3)  # fmt: skip


@pytest.fixture
def factory(db_url: str) -> Iterator[SessionFactory]:
    """A real database with the default plant; the twin commits as it goes."""
    engine = make_engine(db_url)
    try:
        made = make_session_factory(engine)
        with session_scope(made, write=True) as session:
            load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR)
        yield made
    finally:
        engine.dispose()


def _drive(factory: SessionFactory, settings: Settings) -> DrivenRun:
    return simulate_into(factory, SCENARIO, SYSTEM_ACTOR, settings=settings)


def _inspections(session: Session) -> list[InspectionResult]:
    return list(session.scalars(select(InspectionResult).order_by(InspectionResult.id)))


def test_sampled_pieces_are_judged_from_their_images(
    factory: SessionFactory, settings: Settings, model_path: Path
) -> None:
    install_model(settings, model_path)
    driven = _drive(factory, settings)
    sub = driven.submitter
    aoi: dict[str, Any] = driven.summary.aoi_images
    assert sub.totals["rejected"] == 0, [r.to_dict() for r in sub.rejections]
    posted, sampled, reached = aoi["posted"], aoi["sampled"], aoi["reached"]
    assert aoi["no_model"] is None
    # The sample is the share asked for (Binomial(n, p), within 4 sd), every one posted.
    p = SCENARIO.aoi_images
    assert reached > 50 and abs(sampled - p * reached) < 4 * (reached * p * (1 - p)) ** 0.5
    assert posted["image"] == sampled - aoi["held"] - sum(aoi["refused"].values())
    store = ImageStore.in_data_dir(settings.data_dir)
    with session_scope(factory) as session:
        results = _inspections(session)
        assert len(results) == posted["image"] > 5
        assert {r.source for r in results} == {"image"}
        assert {r.inspected_at.replace(tzinfo=UTC) < datetime.now(UTC) for r in results} == {True}
        # Content-addressed: one file per distinct image, named by its SHA-256.
        digests = {r.image_digest for r in results}
        assert None not in digests and len(digests) == len(results)
        files = list(store.files())
        assert len(files) == len(digests)
        for digest in digests:
            assert digest is not None
            assert hashlib.sha256(store.path(digest).read_bytes()).hexdigest() == digest
        verdicts = {t: sum(r.track_out == t for r in results) for t in ("pass", "fail", "rework")}
        assert verdicts == {
            "pass": aoi["forgeline_pass"],
            "fail": aoi["forgeline_fail"],
            "rework": aoi["forgeline_rework"],
        }
        assert verdicts["fail"] > 0
        for r in results:
            # One track-out at the AOI visit, Forgeline's, with its defects beside it.
            visits = session.execute(
                select(OperationRecord.result).where(
                    OperationRecord.unit_id == r.unit_id,
                    OperationRecord.station_code == r.station_code,
                    OperationRecord.track_out_at == r.inspected_at,
                )
            ).all()
            assert [v[0] for v in visits] == [r.track_out]
            found = session.scalar(
                select(func.count()).select_from(Defect).where(
                    Defect.unit_id == r.unit_id, Defect.station_code == r.station_code,
                    Defect.found_at == r.inspected_at,
                )
            )  # fmt: skip
            kept = session.scalar(
                select(func.count()).select_from(InspectionDefect)
                .where(InspectionDefect.result_id == r.id)
            )  # fmt: skip
            assert found == kept
            assert (r.track_out == "pass") == (r.verdict == "pass")
        statuses = dict(
            session.execute(
                select(Unit.status, func.count()).where(Unit.kind == "glass").group_by(Unit.status)
            ).all()
        )
    ledger = driven.twin.ledger
    assert statuses.get("failed", 0) == aoi["forgeline_fail"]
    assert statuses.get("scrapped", 0) + statuses.get("failed", 0) == ledger.scrapped

    # The same run again is a replay: every event a duplicate, no second inspection or file.
    again = _drive(factory, settings)
    assert again.submitter.totals["accepted"] == 0 and again.submitter.totals["rejected"] == 0
    assert again.summary.aoi_images["posted"] == {
        "image": 0, "station_result": 0, "replayed": posted["image"],
    }  # fmt: skip
    with session_scope(factory) as session:
        assert len(_inspections(session)) == len(results)
    assert len(list(store.files())) == len(files)


def test_without_a_model_the_station_posts_its_own_result(
    factory: SessionFactory, settings: Settings
) -> None:
    # Without images a post costs less: half the pieces, so that some sampled pieces fail.
    driven = simulate_into(factory, replace(SCENARIO, aoi_images=0.5), SYSTEM_ACTOR,
                           settings=settings)  # fmt: skip
    aoi: dict[str, Any] = driven.summary.aoi_images
    assert driven.submitter.totals["rejected"] == 0
    assert "inspection.no_model" in str(aoi["no_model"])
    posted = aoi["posted"]
    assert posted["image"] == 0 and posted["station_result"] > 5
    with session_scope(factory) as session:
        results = _inspections(session)
    assert len(results) == posted["station_result"]
    assert {r.source for r in results} == {"station"} and {r.image_digest for r in results} == {
        None
    }
    # The twin's defects are reported past the plant's limits: it and Forgeline agree throughout.
    assert aoi["agreed"] == len(results) and aoi["forgeline_fail"] > 0
    assert not list(ImageStore.in_data_dir(settings.data_dir).files())


def test_the_demo_makes_its_model_at_the_first_image(
    factory: SessionFactory, settings: Settings, model_path: Path
) -> None:
    made: list[Path] = []

    def make() -> DemoModel:  # stands in for training: the session's small model
        install_model(settings, model_path)
        made.append(model_path)
        return DemoModel(model_path, True, 1.5)

    driven = simulate_into(factory, replace(SCENARIO, aoi_images=0.1), SYSTEM_ACTOR,
                           settings=settings, make_aoi_model=make)  # fmt: skip
    aoi: dict[str, Any] = driven.summary.aoi_images
    assert len(made) == 1 and aoi["model_trained_s"] == 1.5 and aoi["no_model"] is None
    assert aoi["posted"]["image"] == aoi["sampled"] > 0
    # A model this version reads is kept: the next demo trains nothing.
    plant = driven.twin.plant
    assert demo_model(settings, plant) == DemoModel(submit.model_path(settings), False, 0.0)
