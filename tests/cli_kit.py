"""The environment a `forgeline` command reads, for running the CLI in-process in tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from forgeline.cli import context
from forgeline.config import get_settings


@contextmanager
def cli_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str | None, **extra: str
) -> Iterator[Path]:
    """Settings from the environment alone, as a fresh process would read them: the database
    (None: the data folder's default), a data folder under `tmp_path`, the test environment, a
    new secret key, no config file, and `extra` (FORGELINE_* names). The settings and the CLI's
    session factories are cleared on entry and on exit, where the CLI's pooled connections are
    closed so that the per-test database can be dropped. Yields the data folder."""
    data = tmp_path / "data"
    if database_url is None:
        monkeypatch.delenv("FORGELINE_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("FORGELINE_DATABASE_URL", database_url)
    monkeypatch.setenv("FORGELINE_DATA_DIR", str(data))
    monkeypatch.setenv("FORGELINE_ENVIRONMENT", "test")
    monkeypatch.setenv("FORGELINE_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("FORGELINE_CONFIG", str(tmp_path / "absent.toml"))
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    context._factory.cache_clear()
    try:
        yield data
    finally:
        if database_url is not None and context._factory.cache_info().currsize:
            context._factory(database_url).kw["bind"].dispose()
        get_settings.cache_clear()
        context._factory.cache_clear()
