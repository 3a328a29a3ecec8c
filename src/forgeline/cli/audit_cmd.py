"""`forgeline audit verify` and `forgeline audit checkpoint`: check and seal the audit log."""

from __future__ import annotations

import typer

from forgeline.audit.checkpoint import checkpoint as sign_checkpoint
from forgeline.audit.verify import VerifyReport, verify
from forgeline.cli.context import (
    CLI_ACTOR,
    JsonOption,
    console,
    err_console,
    print_json,
    settings,
    unit_of_work,
)

app = typer.Typer(help="Verify and checkpoint the tamper-evident audit log.", no_args_is_help=True)


# The CLI acts with database access rather than a login; named as `forgeline user` names it.


@app.command("verify")
def verify_command(as_json: bool = JsonOption) -> None:
    """Recompute every entry and checkpoint; exit 1 naming the first bad entry if tampered."""
    with unit_of_work(write=False) as session:
        report = verify(session, settings())
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(code=1)


def _print_report(report: VerifyReport) -> None:
    first = report.first
    if first is None:
        console.print(
            f"[bold green]audit log intact[/]: {report.entries} entries, "
            f"{report.checkpoints_checked} checkpoints checked, root {report.root_hash.hex()}"
        )
        return
    where = "a checkpoint" if first.first_seq is None else f"entry {first.first_seq}"
    if first.first_seq is not None and not first.exact:
        where = f"entries {first.first_seq}..{first.last_seq}"
    err_console.print(
        f"[bold red]audit log tampered[/]: first bad {where} ({first.kind}): {first.message}"
    )
    for finding in report.findings[1:]:
        err_console.print(f"  [red]{finding.kind}[/] {finding.message}")
    if report.findings_total > len(report.findings):
        err_console.print(f"  ... and {report.findings_total - len(report.findings)} more")


@app.command("checkpoint")
def checkpoint_command(as_json: bool = JsonOption) -> None:
    """Sign the current tree head and write it to <data_dir>/audit/checkpoints/<size>.json."""
    with unit_of_work() as session:
        result = sign_checkpoint(session, settings(), CLI_ACTOR)
    signed = result.checkpoint
    if as_json:
        print_json({**signed.to_document(), "file": str(result.file)})
        return
    console.print(
        f"[bold green]checkpoint signed[/]: tree size {signed.tree_size}, "
        f"root {signed.root_hash.hex()}, key {signed.key_id}\n  written to {result.file}"
    )
