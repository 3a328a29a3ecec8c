"""`forgeline config show`: every setting, its value and where it came from."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.table import Table

from forgeline.cli.context import JsonOption, console, fail, print_json
from forgeline.config import describe_settings
from forgeline.errors import DomainError

app = typer.Typer(help="Inspect configuration.", no_args_is_help=True)


@app.command("show")
def show(as_json: bool = JsonOption) -> None:
    """Each setting with its value and its source: environment, config file, key file or default."""
    try:
        rows = describe_settings()
    except DomainError as exc:
        fail(exc)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table = Table(title="Forgeline configuration")
    for column in ("setting", "value", "source", "meaning"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.name, row.value, row.source, row.description)
    console.print(table)
