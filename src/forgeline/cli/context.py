"""What every command needs: settings, a database session, consistent output and errors."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.config import Settings, get_settings
from forgeline.db.engine import make_engine
from forgeline.db.session import SessionFactory, make_session_factory, session_scope
from forgeline.errors import DomainError
from forgeline.request_context import current_request_id

console = Console()
err_console = Console(stderr=True)
JsonOption = typer.Option(False, "--json", help="print machine-readable JSON")
# How the audit log names whoever runs a command on the server's own shell.
CLI_ACTOR = f"{SYSTEM_ACTOR}:cli"


def settings() -> Settings:
    try:
        return get_settings()
    except DomainError as exc:
        fail(exc)


@lru_cache(maxsize=4)
def _factory(url: str) -> SessionFactory:
    return make_session_factory(make_engine(url))


def session_factory() -> SessionFactory:
    return _factory(settings().resolved_database_url)


@contextmanager
def unit_of_work(*, write: bool = True) -> Iterator[Session]:
    """A CLI command is a transaction boundary: all of it is written, or none of it."""
    token = current_request_id.set(f"cli-{secrets.token_hex(6)}")
    try:
        with session_scope(session_factory(), write=write) as session:
            yield session
    except DomainError as exc:
        fail(exc)
    finally:
        current_request_id.reset(token)


def fail(exc: DomainError) -> NoReturn:
    # Codes look like markup ("[user.exists]"), so everything we did not write is escaped.
    err_console.print(f"[bold red]error[/] {escape(f'[{exc.code}]')} {escape(exc.message)}")
    for key, value in exc.details.items():
        err_console.print(f"  {escape(key)}: {escape(str(value))}")
    raise typer.Exit(code=1)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
