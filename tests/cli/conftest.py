"""Run CLI commands in-process against a real database of their own."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from forgeline.cli import context
from forgeline.cli.main import app
from forgeline.config import get_settings

Invoke = Callable[..., Result]


@pytest.fixture
def cli_env(empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FORGELINE_DATABASE_URL", empty_db_url)
    monkeypatch.setenv("FORGELINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FORGELINE_ENVIRONMENT", "test")
    monkeypatch.setenv("FORGELINE_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("FORGELINE_CONFIG", str(tmp_path / "absent.toml"))
    get_settings.cache_clear()
    context._factory.cache_clear()
    yield empty_db_url
    get_settings.cache_clear()
    context._factory.cache_clear()


@pytest.fixture
def run(cli_env: str) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
