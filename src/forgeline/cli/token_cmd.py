"""`forgeline token ...`: API tokens for stations (shown once, stored as HMAC hashes)."""

from __future__ import annotations

import typer
from rich.table import Table

from forgeline.auth.service import create_station_token, list_station_tokens, revoke_station_token
from forgeline.cli.context import CLI_ACTOR, JsonOption, console, print_json, settings, unit_of_work
from forgeline.plant.service import station_codes

app = typer.Typer(help="Manage station API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    station: str = typer.Option(..., "--station", help="station code from the plant definition"),
    label: str = typer.Option("", help="where the token is installed, for people"),
    as_json: bool = JsonOption,
) -> None:
    """Issue a token for a station of the loaded plant. It is printed once and never again."""
    secret = settings().secret_key.get_secret_value()
    with unit_of_work() as session:
        plaintext, token = create_station_token(
            session,
            station,
            CLI_ACTOR,
            secret,
            label=label,
            known_stations=station_codes(session),
        )
        token_id = token.id
    if as_json:
        print_json({"id": token_id, "station": station, "token": plaintext})
        return
    console.print(f"Token {token_id} for station [bold]{station}[/] (shown once):")
    console.print(f"[bold yellow]{plaintext}[/]")
    console.print("Send it as 'Authorization: Bearer <token>'.")


@app.command("list")
def list_(
    include_revoked: bool = typer.Option(False, "--all", help="include revoked tokens"),
    as_json: bool = JsonOption,
) -> None:
    """Tokens by station (prefix only; the token itself is never stored)."""
    with unit_of_work(write=False) as session:
        rows = [
            {
                "id": t.id,
                "station": t.station_code,
                "prefix": t.token_prefix,
                "label": t.label,
                "created_at": t.created_at.isoformat(),
                "created_by": t.created_by,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in list_station_tokens(session, include_revoked=include_revoked)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Station tokens")
    for column in ("id", "station", "prefix", "label", "created", "last used", "revoked"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["station"]),
            f"{r['prefix']}…",
            str(r["label"]),
            str(r["created_at"])[:19],
            str(r["last_used_at"] or "")[:19],
            str(r["revoked_at"] or "")[:19],
        )
    console.print(table)


@app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke a token at once; the station must be given a new one."""
    with unit_of_work() as session:
        token = revoke_station_token(session, token_id, CLI_ACTOR)
        station = token.station_code
    console.print(f"Revoked token {token_id} of station {station}.")
