"""`forgeline audit checkpoint` and `forgeline audit verify` against a real database.

The group is invoked directly (`forgeline.cli.main` registers it as `audit`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from forgeline.cli.audit_cmd import app
from forgeline.config import get_settings
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from tests.audit.conftest import fill

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FORGELINE_DATABASE_URL", db_url)
    monkeypatch.setenv("FORGELINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORGELINE_ENVIRONMENT", "test")
    monkeypatch.setenv("FORGELINE_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine), write=True) as session:
        fill(session, 12)
    engine.dispose()
    yield db_url
    get_settings.cache_clear()


def _sql(url: str, statement: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


def test_checkpoint_then_verify_intact(cli_db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["checkpoint", "--json"])
    assert result.exit_code == 0, result.output
    signed = json.loads(result.stdout)
    assert signed["tree_size"] == 12
    assert Path(signed["file"]) == tmp_path / "data" / "audit" / "checkpoints" / "12.json"
    assert len(signed["key_id"]) == 16

    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert (report["entries"], report["checkpoints_checked"]) == (13, 1)

    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 0
    assert "intact" in result.stdout
    assert "13 entries" in result.stdout


def test_checkpoint_prints_size_root_key_and_file(cli_db: str) -> None:
    result = runner.invoke(app, ["checkpoint"])
    assert result.exit_code == 0, result.output
    assert "tree size 12" in result.stdout
    assert "12.json" in result.stdout.replace("\n", "")


def test_verify_names_the_edited_entry_and_fails(cli_db: str) -> None:
    assert runner.invoke(app, ["checkpoint"]).exit_code == 0
    _sql(cli_db, "UPDATE audit_entry SET object_id = 'CG-000000' WHERE seq = 7")

    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 1
    assert "tampered" in result.stderr
    assert "first bad entry 7 (edited)" in result.stderr

    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 1
    first = json.loads(result.stdout)["first"]
    assert (first["kind"], first["first_seq"], first["last_seq"]) == ("edited", 7, 7)


def test_verify_names_truncation(cli_db: str) -> None:
    assert runner.invoke(app, ["checkpoint"]).exit_code == 0
    _sql(cli_db, "DELETE FROM audit_entry WHERE seq > 9")
    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 1
    first = json.loads(result.stdout)["first"]
    assert (first["kind"], first["first_seq"]) == ("truncated", 10)
