"""Server time of every page: p50 / p95 per page, against the health check as the floor.

    .venv/bin/python bench/pages.py                      # demo history only
    .venv/bin/python bench/pages.py --pieces 1000000     # plus a million pieces of old history
    .venv/bin/python bench/pages.py --data-dir DIR/demo  # an existing database (`forgeline demo`)
    .venv/bin/python bench/pages.py --pieces 10000000 --data-dir var/bench/pages-10m  # kept

Builds a SQLite database in a temporary folder (or in `--data-dir` when that holds none yet, kept
for the next run): optionally `--pieces` glass pieces of history from `bench/trace_data.py` (the
shape `bench/trace.py` measures, ~100,000 pieces a day over the 100 days up to now and nothing
after, so the pages' day and week windows are full), then the default plant, an admin and
today's history from `tests/e2e/plant_history.py` sent through ingest (what the browser tests
see). Each page is
requested through the real app in-process (Starlette's test client, so no network), `--repeat`
times after two warm-up requests, signed in as the admin; the time is from request to complete
answer.

Baseline measured in the same run: `GET /api/v1/health` (authentication-free, one query), the
least any answer costs through the same stack. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from tests.e2e.plant_history import (  # noqa: E402
    HANDSET,
    PIECES,
    RELEASED_ORDER,
    build_plant_history,
)
from tests.identities import PASSWORD, signed_in_headers  # noqa: E402

from forgeline.app import create_app  # noqa: E402
from forgeline.auth.service import create_user  # noqa: E402
from forgeline.auth.tables import User  # noqa: E402
from forgeline.cli.server import settle_heap  # noqa: E402
from forgeline.config import load_settings  # noqa: E402
from forgeline.db.engine import make_engine  # noqa: E402
from forgeline.db.session import make_session_factory, session_scope  # noqa: E402
from forgeline.models import metadata  # noqa: E402
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file  # noqa: E402
from forgeline.production import scrap, tallies  # noqa: E402

PAGES = [
    "/",
    "/overview/live",
    "/work-orders",
    f"/work-orders/{RELEASED_ORDER}",
    "/stations",
    "/station/POL-01",
    "/holds",
    "/yield",
    "/yield?days=14",
    "/yield?days=31",
    "/units?result=scrap",
    # What a Pareto bar links to: the scrapped units of the chart's window.
    "/units?result=scrap&defect=FILM-BUB&since="
    + quote((datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")),
    f"/trace?q={quote(PIECES[0])}",
    f"/trace?q={HANDSET}",
    "/audit",
    "/audit/verification",
    # Later domains' pages.
    "/quality",
    "/quality/alarms",
    "/quality/ncr",
    "/quality/8d",
    "/quality/certificates",
    "/provisioning",
    "/inspection",
    "/inspection/defect-map",
    "/plant/capacity",
]
BASELINE = "/api/v1/health"
BUILT = "pages-bench-built"
# Pages naming things only the seeded history has (skipped with --data-dir).
HISTORY_ONLY = {
    f"/work-orders/{RELEASED_ORDER}",
    f"/trace?q={quote(PIECES[0])}",
    f"/trace?q={HANDSET}",
}


def generated_pages(pieces: int) -> list[str]:
    """Trace pages of the generated history, from its middle: a piece, its handset, its cycle."""
    from trace_data import GTIN, HANDSET_EVERY, Plan

    plan = Plan(pieces)
    piece = plan.n // 2 // HANDSET_EVERY * HANDSET_EVERY  # a piece that went into a handset
    return [
        "/trace?q=" + quote(f"(01){GTIN}(21){piece:010d}"),
        f"/trace?q=HS{piece // HANDSET_EVERY:09d}",
        f"/trace?q=IOX-{plan.runs // 2:07d}",
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_requests(client: TestClient, path: str, repeat: int) -> dict[str, float]:
    for _ in range(2):
        assert client.get(path).status_code == 200, path
    ms = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        ms.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
    }


def build(folder: Path, pieces: int) -> Any:
    settings = load_settings(
        {
            "FORGELINE_ENVIRONMENT": "test",
            "FORGELINE_DATA_DIR": str(folder),
            "FORGELINE_SECRET_KEY": secrets.token_urlsafe(48),
        }
    )
    path = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    if pieces and not path.exists():  # or generated before, by `trace_data.generate` itself
        from trace_data import DAYS, generate

        generate(path, pieces, log=True, start=datetime.now(UTC) - timedelta(days=DAYS), cut=True)
    engine = make_engine(settings.resolved_database_url)
    metadata.create_all(engine)
    with session_scope(make_session_factory(engine), write=True) as session:
        load_definition_file(session, DEFAULT_PLANT, "system")  # the site's zone, for the days
        if pieces:  # the generator writes records directly: count them as ingest would have
            tallies.rebuild(session)
            scrap.attribute(session)
        create_user(session, username="admin", full_name="Ada Admin", roles=["admin"],
                    actor="system", password=PASSWORD)  # fmt: skip
        build_plant_history(session)
    with session_scope(make_session_factory(engine), write=True) as session:
        headers = signed_in_headers(session, settings, "admin")
    engine.dispose()
    return settings, headers


def existing(data_dir: Path) -> Any:
    """Settings and a signed-in admin for a database that exists (e.g. a `forgeline demo`)."""
    settings = load_settings(
        {
            "FORGELINE_ENVIRONMENT": "test",
            "FORGELINE_DATA_DIR": str(data_dir),
            "FORGELINE_SECRET_KEY": secrets.token_urlsafe(48),
        }
    )
    engine = make_engine(settings.resolved_database_url)
    with session_scope(make_session_factory(engine), write=True) as session:
        if session.scalar(select(User.id).where(User.username == "bench-admin")) is None:
            create_user(session, username="bench-admin", full_name="Bench Admin", roles=["admin"],
                        actor="system", password=PASSWORD)  # fmt: skip
    with session_scope(make_session_factory(engine), write=True) as session:
        headers = signed_in_headers(session, settings, "bench-admin")
    engine.dispose()
    return settings, headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pieces", type=int, default=0, help="old history to generate first")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", type=re.compile, help="measure the pages this regex finds")
    parser.add_argument(
        "--data-dir", type=Path, help="measure an existing database (e.g. var/demo of a demo)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forgeline-pages-") as folder:
        started = time.perf_counter()
        # A --pieces database kept in --data-dir is built once (BUILT marks it complete); a
        # --data-dir without --pieces is someone else's database, e.g. a demo's.
        seeded = not args.data_dir or bool(args.pieces)
        if args.data_dir and (not seeded or (args.data_dir / BUILT).exists()):
            settings, headers = existing(args.data_dir)
        elif args.data_dir:
            args.data_dir.mkdir(parents=True, exist_ok=True)
            settings, headers = build(args.data_dir, args.pieces)
            (args.data_dir / BUILT).touch()
        else:
            settings, headers = build(Path(folder), args.pieces)
        built_s = time.perf_counter() - started
        app = create_app(settings)
        settle_heap()  # as `forgeline serve` does
        with TestClient(app, headers=headers) as client:
            baseline = timed_requests(client, BASELINE, args.repeat)
            wanted = [p for p in PAGES if seeded or p not in HISTORY_ONLY]
            if seeded and args.pieces:
                wanted += generated_pages(args.pieces)
            wanted = [p for p in wanted if not args.only or args.only.search(p)]
            pages = {path: timed_requests(client, path, args.repeat) for path in wanted}
    worst = max(pages.values(), key=lambda p: p["p95_ms"])
    print(
        json.dumps(
            {
                "benchmark": "pages",
                "command": " ".join(sys.argv),
                "pieces": args.pieces,
                "repeat": args.repeat,
                "build_s": round(built_s, 1),
                "baseline": {BASELINE: baseline},
                "pages": pages,
                "worst_p95_ms": worst["p95_ms"],
                "worst_p95_vs_baseline_p95": round(worst["p95_ms"] / baseline["p95_ms"], 1),
                "machine": {
                    "python": platform.python_version(),
                    "cpu": platform.processor() or platform.machine(),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
