"""`forgeline events import FILE.jsonl`: replay recorded events through the ingest service.

The same `ingest` the API uses, one transaction per batch, so a file can be imported twice (the
second time every event is a duplicate) and an interrupted import can simply be run again.
`forgeline events recount` counts again, from the records, what ingest keeps for reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from forgeline.auth.permissions import Role
from forgeline.auth.principal import SYSTEM_ACTOR, Principal, PrincipalKind
from forgeline.cli.context import JsonOption, console, err_console, print_json, unit_of_work
from forgeline.production import scrap, tallies
from forgeline.production.ingest import MAX_BATCH, EventOutcome, ingest

app = typer.Typer(help="Ingest production events from files.", no_args_is_help=True)
SHOWN_REJECTIONS = 20


@dataclass(frozen=True)
class CliPrincipal(Principal):
    """Whoever runs the command on the server's shell: audited as "system:cli"."""

    @property
    def actor(self) -> str:
        return f"{SYSTEM_ACTOR}:{self.name}"


CLI_PRINCIPAL = CliPrincipal(PrincipalKind.USER, "cli", "command line", frozenset({Role.ADMIN}))


def _batches(path: Path, size: int) -> Iterator[tuple[list[Any], int]]:
    """Lists of up to `size` decoded lines, with the bytes read so far. Blank lines are skipped;
    a line that is not JSON is passed on as its text, so ingest rejects it by itself."""
    batch: list[Any] = []
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                try:
                    batch.append(json.loads(line))
                except ValueError:
                    batch.append(line.decode("utf-8", "replace").strip())
            if len(batch) >= size:
                yield batch, handle.tell()
                batch = []
        if batch:
            yield batch, handle.tell()


@app.command("import")
def import_events(
    file: Path = typer.Argument(..., help="events, one JSON object per line", dir_okay=False),
    batch_size: int = typer.Option(MAX_BATCH, "--batch-size", min=1, max=MAX_BATCH),
    as_json: bool = JsonOption,
) -> None:
    """Ingest FILE in batches; exits 1 when any event was rejected."""
    if not file.is_file():
        err_console.print(f"[bold red]error[/] {escape(str(file))}: no such file")
        raise typer.Exit(code=1)
    totals = {"accepted": 0, "duplicate": 0, "rejected": 0}
    rejections: list[EventOutcome] = []
    progress = Progress(
        TextColumn("events"), BarColumn(), TaskProgressColumn(), console=err_console,
        disable=as_json,
    )  # fmt: skip
    with progress:
        task = progress.add_task("import", total=file.stat().st_size)
        for batch, done in _batches(file, batch_size):
            with unit_of_work() as session:
                report = ingest(session, batch, CLI_PRINCIPAL)
            for outcome in report.events:
                totals[outcome.outcome] += 1
                if outcome.outcome == "rejected" and len(rejections) < SHOWN_REJECTIONS:
                    rejections.append(outcome)
            progress.update(task, completed=done)
    if as_json:
        print_json({**totals, "rejections": [r.to_dict() for r in rejections]})
    else:
        console.print(
            f"{totals['accepted']} accepted, {totals['duplicate']} duplicate, "
            f"{totals['rejected']} rejected"
        )
        for r in rejections:
            console.print(
                f"  {escape(str(r.event_id))}: {escape(f'[{r.code}]')} {escape(r.message or '')}"
            )
    if totals["rejected"]:
        raise typer.Exit(code=1)


@app.command("recount")
def recount(as_json: bool = JsonOption) -> None:
    """Count again what ingest keeps for reports (the track-out tallies, each scrap's primary
    defect) from the records: after the plant's site time zone changed, or rows were written
    outside ingest. Ingest waits until it is done."""
    with unit_of_work() as session:
        tallies.rebuild(session)
        scrap.attribute(session)
        zone = tallies.site_zone(session)
        rows = tallies.row_counts(session)
    if as_json:
        print_json({"zone": zone, **rows})
    else:
        console.print(
            f"Tallies recounted from the records: half-hour rows {rows['slots']}, "
            f"site-day rows {rows['days']} ({escape(zone)}), output rows {rows['output']}."
        )
