"""The content-addressed image store and its retention purge (units on hold keep theirs)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from forgeline.cli.main import app
from forgeline.db.base import utcnow
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.inspection.image_store import ImageStore, digest_of
from forgeline.inspection.results import purge_images
from forgeline.inspection.tables import InspectionResult
from forgeline.production.holds import place_hold
from tests.cli_kit import cli_environment
from tests.inspection.plant_kit import to_aoi, unit

DAY = 86400.0


def test_put_is_content_addressed_atomic_and_idempotent(tmp_path: Path) -> None:
    store = ImageStore.in_data_dir(tmp_path)
    digest, created = store.put(b"image bytes")
    assert created and digest == digest_of(b"image bytes")
    path = tmp_path / "images" / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == b"image bytes"
    assert store.put(b"image bytes") == (digest, False)
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temp file left behind
    assert store.read("0" * 64) is None
    with pytest.raises(ValueError, match="SHA-256"):
        store.path("../../etc/passwd")


def _age(store: ImageStore, digest: str, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(store.path(digest), (then, then))


def _result(db: Session, uid: str, digest: str) -> None:
    db.add(
        InspectionResult(
            unit_id=unit(db, uid).id, uid=uid, station_code="AOI-01", inspected_at=utcnow(),
            source="image", verdict="reject", track_out="fail", reasons=[],
            image_digest=digest, outline_w_mm=152.4, outline_h_mm=70.4, timings_ms={},
            submitted_by="station:AOI-01",
        )
    )  # fmt: skip
    db.flush()


def test_purge_deletes_old_images_but_keeps_those_of_held_units(
    db: Session, tmp_path: Path
) -> None:
    held_uid = to_aoi(db, "PRG0001")
    free_uid = to_aoi(db, "PRG0002", line=False)
    store = ImageStore.in_data_dir(tmp_path)
    old_held, _ = store.put(b"held piece")
    old_free, _ = store.put(b"free piece")
    recent, _ = store.put(b"recent piece")
    _age(store, old_held, 100)
    _age(store, old_free, 100)
    _age(store, recent, 10)
    _result(db, held_uid, old_held)
    _result(db, free_uid, old_free)
    place_hold(db, target_type="unit", target=held_uid, reason="customer claim", actor="user:q")
    db.flush()

    dry = purge_images(db, store, 90, dry_run=True)
    assert (dry.examined, dry.deleted, dry.kept_on_hold) == (2, [old_free], [old_held])
    assert store.exists(old_free)
    report = purge_images(db, store, 90)
    assert report.deleted == [old_free]
    assert not store.exists(old_free)
    assert store.exists(old_held) and store.exists(recent)


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    extra = {"FORGELINE_IMAGE_RETENTION_DAYS": "30"}
    with cli_environment(monkeypatch, tmp_path, db_url, **extra) as data:
        yield data


def test_cli_purge_uses_the_retention_setting(cli_env: Path, db_url: str) -> None:
    store = ImageStore.in_data_dir(cli_env)
    old, _ = store.put(b"old")
    new, _ = store.put(b"new")
    _age(store, old, 31)
    _age(store, new, 29)
    runner = CliRunner()
    result = runner.invoke(app, ["aoi", "purge", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"] == 1 and store.exists(old)
    result = runner.invoke(app, ["aoi", "purge", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["retention_days"], report["deleted"], report["kept_on_hold"]) == (30, 1, [])
    assert not store.exists(old) and store.exists(new)
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as session:
        from sqlalchemy import select

        from forgeline.audit.tables import AuditEntry

        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "inspection.images_purged")
        ).one()
        assert entry.after is not None and entry.after["deleted"] == 1
    engine.dispose()
