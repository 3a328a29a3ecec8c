"""`forgeline init`, `forgeline serve` and `forgeline demo`."""

from __future__ import annotations

import gc
import shutil
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import typer
from sqlalchemy import func, select

from forgeline.auth.service import create_user
from forgeline.auth.tables import User
from forgeline.cli.context import CLI_ACTOR, JsonOption, console, print_json, settings
from forgeline.config import Settings
from forgeline.db.engine import make_engine
from forgeline.db.migrate import current_revision, upgrade
from forgeline.db.session import make_session_factory, session_scope
from forgeline.errors import DomainError
from forgeline.plant.service import find_current_revision, load_definition_file

# The default demo: enough history for every page, ready in well under a minute on 2 cores.
DEMO_DAYS = 5.0
DEMO_SCALE = 0.03
# The demo's AOI stations post an image for 1 % of their pieces (~120 images, ~30 ms of CPU each
# at 512 x 256: render, inspect, record); a small model is trained first if there is none.
DEMO_AOI_IMAGES = 0.01


def default_plant_path() -> Path:
    return Path(str(resources.files("forgeline") / "plants" / "default.yaml"))


@dataclass
class InitReport:
    database: str
    schema_revision: str | None
    plant_revision: int
    plant_loaded_now: bool
    admin_username: str | None
    admin_password: str | None


def initialise(s: Settings, plant_file: Path | None, admin_username: str) -> InitReport:
    """Migrate the schema, load the plant, and create the first admin. Safe to run again."""
    engine = make_engine(s.resolved_database_url)
    try:
        upgrade(engine)
        with session_scope(make_session_factory(engine), write=True) as session:
            existing = find_current_revision(session)
            if existing is None or plant_file is not None:
                revision = load_definition_file(
                    session, plant_file or default_plant_path(), CLI_ACTOR
                )
            else:
                revision = existing
            loaded_now = existing is None or existing.number != revision.number
            password = None
            created_admin = None
            if not session.scalar(select(func.count()).select_from(User)):
                _user, password = create_user(
                    session,
                    username=admin_username,
                    full_name="Administrator",
                    roles=["admin"],
                    actor=CLI_ACTOR,
                )
                created_admin = admin_username
            number = revision.number
        return InitReport(
            s.resolved_database_url,
            current_revision(engine),
            number,
            loaded_now,
            created_admin,
            password,
        )
    finally:
        engine.dispose()


def _print_report(report: InitReport) -> None:
    console.print(f"Database: {report.database} (schema {report.schema_revision})")
    state = "loaded" if report.plant_loaded_now else "already loaded"
    console.print(f"Plant definition: revision {report.plant_revision} ({state})")
    if report.admin_username:
        console.print(
            f"Admin user: [bold]{report.admin_username}[/], one-time password "
            f"[bold yellow]{report.admin_password}[/] (shown once; change it at "
            "first sign-in)"
        )


def _serve(s: Settings) -> None:
    import uvicorn

    from forgeline.app import create_app

    app = create_app(s)
    settle_heap()
    uvicorn.run(app, host=s.host, port=s.port, log_level="info")


def settle_heap() -> None:
    """Freeze what exists once the app is built (modules, routes, templates, the ORM: ~350,000
    objects, all living as long as the server) out of the garbage collector's way. Otherwise
    every full collection walks them all: ~260 ms on the 2-vCPU VM, triggered every few
    requests by a page that allocates a lot (the 31-day yield trend: its p95 at 10 M pieces went
    from ~470 to ~240 ms)."""
    gc.collect()
    gc.freeze()


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        plant: Path | None = typer.Option(None, help="plant definition YAML (default: shipped)"),
        admin: str = typer.Option("admin", help="user name of the first admin"),
        as_json: bool = JsonOption,
    ) -> None:
        """Create or upgrade the database, load the plant, create the first admin."""
        try:
            report = initialise(settings(), plant, admin)
        except DomainError as exc:
            from forgeline.cli.context import fail

            fail(exc)
        if as_json:
            print_json(report.__dict__)
        else:
            _print_report(report)

    @app.command()
    def serve() -> None:
        """Serve the API and the pages (host and port from configuration)."""
        _serve(settings())

    @app.command()
    def demo(
        port: int = typer.Option(8000, help="port to serve on"),
        days: float = typer.Option(DEMO_DAYS, "--days", help="days of simulated history"),
        scale: float = typer.Option(DEMO_SCALE, "--scale", help="share of nameplate starts"),
        seed: int = typer.Option(1, "--seed", help="simulation seed"),
        serve: bool = typer.Option(True, "--serve/--no-serve", help="serve once filled"),
        aoi_images: float = typer.Option(
            DEMO_AOI_IMAGES, "--aoi-images", min=0.0, max=1.0,
            help="share of the pieces at AOI whose synthetic image is posted (0: none)",
        ),
    ) -> None:  # fmt: skip
        """A fresh embedded database in <data_dir>/demo: the default plant, DAYS of simulated
        production (the plant twin, through the ingest service), then serve."""
        base = settings()
        demo_dir = base.data_dir / "demo"
        for suffix in ("", "-wal", "-shm"):
            (demo_dir / f"forgeline.db{suffix}").unlink(missing_ok=True)
        # The images belong to the old database's inspections; the AOI model is kept.
        shutil.rmtree(demo_dir / "images", ignore_errors=True)
        s = base.model_copy(update={"data_dir": demo_dir, "database_url": "", "port": port})
        started = time.perf_counter()
        report = initialise(s, None, "admin")
        _print_report(report)
        if days > 0:
            from forgeline.cli.twin_cmd import fill_demo

            engine = make_engine(s.resolved_database_url)
            try:
                fill_demo(make_session_factory(engine), days, scale, seed, s, aoi_images)
            except DomainError as exc:
                from forgeline.cli.context import fail

                fail(exc)
            finally:
                engine.dispose()
        console.print(
            f"Ready in {time.perf_counter() - started:.1f} s. "
            f"Open [bold]http://{s.host}:{s.port}/[/] and sign in as admin."
        )
        if serve:
            _serve(s)
