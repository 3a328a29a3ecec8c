"""`forgeline simulate` and `forgeline plan capacity`: the plant twin from the command line,
and the demo's history (`fill_demo`, called by `forgeline demo`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from forgeline.cli.context import CLI_ACTOR, JsonOption, console, err_console, fail, print_json
from forgeline.cli.context import session_factory as cli_factory
from forgeline.cli.context import settings as cli_settings
from forgeline.config import Settings
from forgeline.db.session import SessionFactory
from forgeline.errors import DomainError
from forgeline.twin.aoi_station import DemoModel
from forgeline.twin.report import RunSummary
from forgeline.twin.scenario import Scenario
from forgeline.twin.service import DrivenRun, simulate_into

plan_app = typer.Typer(help="Plan the plant: equipment for a production target.",
                       no_args_is_help=True)  # fmt: skip


# The demo's handset line: a tenth of the Sentinel cover glass is assembled into handsets
# (~350 handsets; flash, issuance and the end-of-line check cost ~12 ms a device on SQLite).
DEMO_HANDSET_SHARE = 0.1
AoiImagesOption = typer.Option(
    0.0, "--aoi-images", min=0.0, max=1.0,
    help="share of the pieces at AOI whose synthetic image is posted and judged by Forgeline's "
    "detector (the model at <data_dir>/aoi/model.npz; without one, the twin's own vision result)",
)  # fmt: skip


def run_with_progress(
    factory: SessionFactory,
    scenario: Scenario,
    quiet: bool,
    settings: Settings | None = None,
    make_aoi_model: Callable[[], DemoModel] | None = None,
) -> DrivenRun:
    progress = Progress(
        TextColumn("simulating"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[n]}"),
        TimeElapsedColumn(), console=err_console, disable=quiet,
    )  # fmt: skip
    with progress:
        task = progress.add_task("simulate", total=1.0, n="")

        def update(done: float, events: int) -> None:
            progress.update(task, completed=done, n=f"{events:,} events")

        driven = simulate_into(factory, scenario, CLI_ACTOR, update, settings=settings,
                               make_aoi_model=make_aoi_model)  # fmt: skip
        progress.update(task, completed=1.0)
    return driven


def print_summary(summary: RunSummary, oee: dict[str, float | None] | None = None) -> None:
    console.print(
        f"Simulated {summary.days:g} days at {summary.scale:g} x nameplate (seed {summary.seed}): "
        f"{summary.events:,} events"
    )
    console.print(
        f"Pieces started {summary.started:,}; good {summary.good:,}; scrapped "
        f"{summary.scrapped:,}; in process {summary.in_process:,} (of which on hold "
        f"{summary.held:,})"
    )
    table = Table("operation", "first visits", "first-pass yield", title="Yield per step")
    for step in summary.steps:
        fpy = "-" if step.fpy is None else f"{step.fpy:.1%}"
        table.add_row(step.operation, f"{step.first_visits:,}", fpy)
    console.print(table)
    if oee:
        table = Table("station type", "OEE", title="OEE per station type (from Forgeline)")
        for key, value in sorted(oee.items()):
            table.add_row(key, "-" if value is None else f"{value:.1%}")
        console.print(table)


def oee_by_type(factory: SessionFactory, driven: DrivenRun) -> dict[str, float | None]:
    from datetime import timedelta

    from forgeline.db.session import session_scope
    from forgeline.production.performance import oee_report

    start = driven.twin.start
    end = start + timedelta(seconds=driven.twin.horizon)
    with session_scope(factory) as session:
        rows = oee_report(session, since=start, until=end, group="station_type", now=end)
    return {row.key: row.oee.oee for row in rows}


def simulate(
    days: float = typer.Option(1.0, "--days", help="simulated days, ending at the current hour"),
    scale: float = typer.Option(0.05, "--scale", help="share of nameplate starts (1 = 30 M/yr)"),
    seed: int = typer.Option(1, "--seed", help="same seed and start: same plant history"),
    handsets: float = typer.Option(
        0.0, "--handsets", help="share of finished Sentinel glass assembled into handsets "
        "(0: no handset line; above 0 initialises the factory PKI if it has none)",
    ),
    aoi_images: float = AoiImagesOption,
    as_json: bool = JsonOption,
) -> None:  # fmt: skip
    """Simulate the plant into the configured database through the ingest service."""
    try:
        scenario = Scenario(days=days, scale=scale, seed=seed, handset_share=handsets,
                            aoi_images=aoi_images)  # fmt: skip
        factory = cli_factory()
        driven = run_with_progress(factory, scenario, as_json, cli_settings())
        oee = oee_by_type(factory, driven)
    except DomainError as exc:
        fail(exc)
    _finish(driven, oee, as_json)


def _finish(driven: DrivenRun, oee: dict[str, float | None], as_json: bool) -> None:
    sub = driven.submitter
    if as_json:
        p = sub.provisioned
        security = {"issued": p.issued, "refused": p.refused, "eol_passed": p.eol_passed,
                    "eol_failed": p.eol_failed, "refusals": p.reasons}  # fmt: skip
        print_json({**driven.summary.as_dict(), "ingest": sub.totals, "oee": oee,
                    "rejections": [r.to_dict() for r in sub.rejections],
                    **({"provisioning": security} if driven.summary.handsets else {})})  # fmt: skip
    else:
        print_summary(driven.summary, oee)
        console.print(
            f"Ingest: {sub.totals['accepted']:,} accepted, {sub.totals['duplicate']:,} "
            f"duplicate, {sub.totals['refused_held']:,} refused for pieces on hold, "
            f"{sub.totals['rejected']:,} rejected; {sub.actions} bath actions"
        )
        _print_handsets(driven)
        _print_aoi_images(driven)
        for r in sub.rejections:
            console.print(f"  {r.event_id}: [{r.code}] {r.message}", markup=False)
    if sub.totals["rejected"] or sub.provisioned.refused or sub.provisioned.eol_failed:
        raise typer.Exit(code=1)


def _print_handsets(driven: DrivenRun) -> None:
    if driven.summary.handsets:
        h, p = driven.summary.handsets, driven.submitter.provisioned
        console.print(
            f"Handsets started {h['started']:,}; assembled {h['assembled']:,}; identities "
            f"issued {p.issued:,} (refused {p.refused:,}); end-of-line checks passed "
            f"{p.eol_passed:,} (failed {p.eol_failed:,}); packed {h['good']:,}; scrapped "
            f"{h['scrapped']:,}"
        )
        for reason in p.reasons:
            console.print(f"  refused: {reason}", markup=False)


def _print_aoi_images(driven: DrivenRun) -> None:
    a = driven.summary.aoi_images
    if not a:
        return
    posted = a["posted"]
    assert isinstance(posted, dict)
    console.print(
        f"AOI images: {a['sampled']:,} of {a['reached']:,} pieces at AOI sampled; posted "
        f"{posted['image']:,} images, {posted['station_result']:,} station results; Forgeline "
        f"passed {a['forgeline_pass']:,}, failed {a['forgeline_fail']:,}, sent to re-clean "
        f"{a['forgeline_rework']:,}; agreed with the twin {a['agreed']:,}, missed (twin failed, "
        f"detector passed) {a['missed']:,}, false rejects {a['false_reject']:,}; on hold "
        f"{a['held']:,}; refused {a['refused'] or 0}; not drawable {a['not_drawable'] or 0}",
        markup=False,
    )
    if a["model_trained_s"] is not None:
        console.print(f"  AOI model trained for the demo in {a['model_trained_s']} s (512 x 256, "
                      "90 generated images)", markup=False)  # fmt: skip
    if a["no_model"]:
        console.print(f"  no AOI model, posted the twin's own vision result: {a['no_model']}",
                      markup=False)  # fmt: skip
    if a["cpu_ms_per_image"]:
        console.print(f"  CPU ms per image: {a['cpu_ms_per_image']}", markup=False)


def fill_demo(
    factory: SessionFactory,
    days: float,
    scale: float,
    seed: int,
    settings: Settings,
    aoi_images: float = 0.0,
) -> DrivenRun:
    """The demo's history: `days` of simulated production ending now, handsets included; AOI
    stations post images of `aoi_images` of their pieces (a small model is trained first when
    the demo's data directory has none)."""
    started = time.perf_counter()
    scenario = Scenario(days=days, scale=scale, seed=seed, handset_share=DEMO_HANDSET_SHARE,
                        aoi_images=aoi_images)  # fmt: skip
    make_model = partial(_demo_model, factory, settings) if aoi_images > 0 else None
    driven = run_with_progress(factory, scenario, False, settings, make_model)
    s = driven.summary
    console.print(
        f"Simulated {days:g} days in {time.perf_counter() - started:.1f} s: {s.started:,} pieces "
        f"started, {s.good:,} good, {s.scrapped:,} scrapped, {s.in_process:,} in process; "
        f"{driven.submitter.totals['accepted']:,} events ingested"
    )
    _print_handsets(driven)
    _print_aoi_images(driven)
    return driven


def _demo_model(factory: SessionFactory, settings: Settings) -> DemoModel:
    """Made at the demo's first AOI image when its data directory has no model."""
    from forgeline.db.session import session_scope
    from forgeline.plant.service import current_revision
    from forgeline.twin.aoi_station import demo_model

    with session_scope(factory) as session:
        plant = current_revision(session).definition
    return demo_model(settings, plant)


@plan_app.command("capacity")
def plan_capacity(
    nameplate: int = typer.Option(30_000_000, "--nameplate", help="good pieces a year at 1.0"),
    ramp: str = typer.Option("0.3,0.6,0.9,1.0,2.0", "--ramp", help="share of nameplate, by year"),
    plant: Path | None = typer.Option(None, "--plant", help="plant definition YAML"),
    csv: Path | None = typer.Option(None, "--csv", help="write the table as CSV"),
    chart: Path | None = typer.Option(None, "--chart", help="write a chart (.png or .svg)"),
    confirm: bool = typer.Option(True, "--confirm/--no-confirm", help="check by simulation"),
    seed: int = typer.Option(1, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """Equipment per station group for each ramp year, analytic and confirmed by simulation."""
    from forgeline.twin.plan import load_plant, parse_ramp, plan
    from forgeline.twin.plan_output import print_plan, write_chart, write_csv

    try:
        definition = load_plant(plant)
        years = parse_ramp(ramp)
        if nameplate <= 0:
            raise typer.BadParameter("must be positive", param_hint="--nameplate")
        result = plan(definition, nameplate, years, confirm=confirm, seed=seed)
        if chart is not None:
            write_chart(result, chart)
    except DomainError as exc:
        fail(exc)
    if csv is not None:
        write_csv(result, csv)
    if as_json:
        print_json(result.as_dict())
    else:
        print_plan(result, console)
    if not result.agrees:
        raise typer.Exit(code=1)
