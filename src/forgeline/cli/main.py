"""The `forgeline` command: assembles the command groups."""

from __future__ import annotations

import typer

from forgeline.cli import (
    aoi_cmd,
    aoi_purge_cmd,
    audit_cmd,
    config_cmd,
    events_cmd,
    plant_cmd,
    quality_cmd,
    security_cmd,
    server,
    spc_cmd,
    token_cmd,
    trace_cmd,
    twin_cmd,
    user_cmd,
)
from forgeline.quality import monitoring

# Live SPC watches every measurement that ingest accepts, whichever command sends it.
monitoring.install()

app = typer.Typer(
    name="forgeline",
    help="Forgeline: operations platform for cover-glass finishing and secure handsets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(user_cmd.app, name="user")
app.add_typer(token_cmd.app, name="token")
app.add_typer(plant_cmd.app, name="plant")
app.add_typer(events_cmd.app, name="events")
app.add_typer(aoi_cmd.app, name="aoi")
aoi_cmd.app.command("purge")(aoi_purge_cmd.purge)
app.add_typer(spc_cmd.app, name="spc")
app.add_typer(quality_cmd.app, name="quality")
app.command("trace")(trace_cmd.trace)
server.register(app)
security_cmd.register(app)
app.command("simulate")(twin_cmd.simulate)
app.add_typer(twin_cmd.plan_app, name="plan")
