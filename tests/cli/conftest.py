"""Run CLI commands in-process against a real database of their own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from forgeline.cli.main import app
from tests.cli_kit import cli_environment

Invoke = Callable[..., Result]


@pytest.fixture
def cli_env(empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with cli_environment(monkeypatch, tmp_path, empty_db_url):
        yield empty_db_url


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
