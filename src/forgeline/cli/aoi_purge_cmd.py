"""`forgeline aoi purge`: delete inspection images older than the retention setting."""

from __future__ import annotations

import typer

from forgeline.audit.log import append
from forgeline.cli.context import CLI_ACTOR, JsonOption, console, print_json, settings, unit_of_work
from forgeline.inspection.image_store import ImageStore
from forgeline.inspection.results import purge_images


def purge(
    days: int | None = typer.Option(
        None, "--days", min=1, help="retention in days (default: the image_retention_days setting)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="list what would go, delete nothing"),
    as_json: bool = JsonOption,
) -> None:
    """Delete AOI images written more than the retention ago, except those of units on hold."""
    conf = settings()
    retention = days if days is not None else conf.image_retention_days
    store = ImageStore.in_data_dir(conf.data_dir)
    with unit_of_work(write=not dry_run) as session:
        report = purge_images(session, store, retention, dry_run=dry_run)
        if report.deleted and not dry_run:
            append(
                session, actor=CLI_ACTOR, action="inspection.images_purged",
                object_type="image_store", object_id=str(store.root),
                after={"retention_days": retention, "deleted": len(report.deleted),
                       "kept_on_hold": len(report.kept_on_hold)},
            )  # fmt: skip
    data = {
        "retention_days": retention,
        "dry_run": dry_run,
        "older": report.examined,
        "deleted": len(report.deleted),
        "kept_on_hold": report.kept_on_hold,
    }
    if as_json:
        print_json(data)
        return
    verb = "would delete" if dry_run else "deleted"
    console.print(
        f"{report.examined} image(s) older than {retention} days: {verb} {len(report.deleted)}, "
        f"kept {len(report.kept_on_hold)} of units on hold"
    )
