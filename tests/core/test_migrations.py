"""Migrations and models agree, and every migration runs forward and back, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from forgeline.db.engine import make_engine
from forgeline.db.migrate import alembic_config, current_revision, downgrade, upgrade
from forgeline.models import metadata
from tests.conftest import Databases


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_upgrade_to_head_matches_the_models(databases: Databases, backend: str) -> None:
    url = databases.new_url(backend, schema=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert current_revision(engine) == head
    finally:
        engine.dispose()
    assert _differences(url) == []


def test_every_revision_upgrades_and_downgrades(databases: Databases, backend: str) -> None:
    url = databases.new_url(backend, schema=False)
    script = ScriptDirectory.from_config(alembic_config(url))
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, "no migrations found"
    engine = make_engine(url)
    try:
        for revision in revisions:
            upgrade(engine, revision.revision)
            downgrade(engine, revision.down_revision or "base")
            upgrade(engine, revision.revision)
        downgrade(engine, "base")
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade(engine)
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
