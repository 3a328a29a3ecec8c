"""The `forgeline` command: assembles the command groups."""

from __future__ import annotations

import typer

from forgeline.cli import config_cmd, server

app = typer.Typer(
    name="forgeline",
    help="Forgeline: operations platform for cover-glass finishing and secure handsets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
server.register(app)
