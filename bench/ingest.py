"""Ingest throughput: batches of 10,000 mixed events through the service and the HTTP path.

Run: .venv/bin/python bench/ingest.py [--batches N] [--sqlite-only] [--profile] [--no-spc]
     [--time-ordered-ids]

For each backend (a fresh SQLite file; PostgreSQL when reachable, in a scratch database dropped
afterwards) it loads the default plant and operators, then ingests N batches of 10,000 events
(starts, track-ins and track-outs along CG-STD, measurements) with `ingest` inside a write
`session_scope` as the API does, and then N batches over HTTP, signed in as an operator (a
station token may send only its own station's events, and these batches span the line). Two
baselines are measured in the same run: the raw driver re-inserting exactly the rows the service
run wrote, into the same schema and indexes, with no checks (`ingest_baseline.py`: sqlite3
executemany; psycopg COPY) -- the ratio to it says what validation, routing checks and
idempotency cost -- and, for reference, one bare row per event into an unindexed table.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import secrets
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forgeline.app import create_app
from forgeline.auth.credentials import csrf_token
from forgeline.auth.deps import CSRF_HEADER, SESSION_COOKIE
from forgeline.auth.permissions import Role
from forgeline.auth.principal import SYSTEM_ACTOR, Principal, PrincipalKind
from forgeline.auth.service import create_user, grant_skill
from forgeline.auth.sessions import sign_in
from forgeline.cli.server import settle_heap
from forgeline.config import load_settings
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.models import metadata
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.events import new_event_id
from forgeline.production.ingest import ingest
from forgeline.quality import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_baseline import same_rows_pg, same_rows_sqlite

BATCH = 10_000
# Event ids: random version 4 (as the figures in BENCHMARKS.md were first measured), or, with
# --time-ordered-ids, UUIDv7 as Forgeline's own senders make them (new_event_id).
TIME_ORDERED_IDS = "--time-ordered-ids" in sys.argv
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
GTIN = "08901234500019"
OPERATORS = [f"op{i}" for i in range(4)]
PASSWORD = "plant-floor-passphrase"
# The batches span the line, so they come from a person (a station sends for itself only).
SENDER = Principal(PrincipalKind.USER, "op0", "op0", frozenset({Role.OPERATOR}))
FIRST = [("IQC", "IQC-01", "SHEET-THK", 0.57), ("CUT", "CUT-01", "BLANK-L", 0.01)]
LATER = [("CNC", "CNC-01", "OUT-L", 0.0), ("POLISH", "POL-01", "THK", 0.55),
         ("CLN1", "CLN-01", "PARTICLES", 3.0)]  # fmt: skip


class Workload:
    """Pieces flowing down CG-STD: each batch starts new pieces and advances earlier ones."""

    def __init__(self, prefix: str) -> None:
        self.prefix, self.serial = prefix, 0
        self.at = datetime(2026, 1, 5, tzinfo=UTC)
        self.waiting: deque[str] = deque()
        # Measurements vary as real ones do, so live SPC estimates limits and checks rules.
        self.noise = random.Random(prefix)

    def _event(self, event_type: str, /, **fields: Any) -> dict[str, Any]:
        self.at += timedelta(milliseconds=10)
        return {
            "event_id": str(new_event_id() if TIME_ORDERED_IDS else uuid.uuid4()),
            "type": event_type,
            "at": self.at.isoformat(),
            **fields,
        }

    def _visits(self, uid: str, steps: list[tuple[str, str, str, float]], n: int) -> list[Any]:
        events = []
        for i, (_, station, characteristic, value) in enumerate(steps):
            operator = OPERATORS[(n + i) % len(OPERATORS)]
            events.append(self._event("track_in", uid=uid, station=station, operator=operator))
            measured = round(value + self.noise.gauss(0.0, 0.002), 5)
            events.append(self._event("measurement", uid=uid, station=station,
                                      characteristic=characteristic, value=measured))  # fmt: skip
            events.append(self._event("track_out", uid=uid, station=station, result="pass"))
        return events

    def batch(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        advancing = min(len(self.waiting), 588)  # 9 events each; new pieces 7 each
        for n in range(advancing):
            events += self._visits(self.waiting.popleft(), LATER, n)
        started = []
        while len(events) + 7 <= BATCH:
            self.serial += 1
            uid = f"(01){GTIN}(21){self.prefix}{self.serial:08d}"
            events.append(self._event("start", uid=uid, product="CG-AUR-A55", kind="glass"))
            events += self._visits(uid, FIRST, self.serial)
            started.append(uid)
        while len(events) < BATCH:
            events.append(self._event("equipment_state", station="CNC-02", state="productive"))
        self.waiting.extend(started)
        return events


def prepare(url: str) -> str:
    """Schema, default plant, skilled operators, and a station token for the HTTP path."""
    engine = make_engine(url)
    metadata.create_all(engine)
    settings_key = secrets.token_urlsafe(48)
    with session_scope(make_session_factory(engine), write=True) as session:
        plant = load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR)
        for name in OPERATORS:
            create_user(session, username=name, full_name=name, roles=["operator"],
                        actor=SYSTEM_ACTOR, password=PASSWORD)  # fmt: skip
            for skill in plant.definition.skills:
                grant_skill(session, name, skill.code, date(2099, 1, 1), SYSTEM_ACTOR)
    engine.dispose()
    return settings_key


def service_rate(url: str, batches: list[list[dict[str, Any]]], profile: bool) -> dict[str, Any]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    seconds, cpu, outcomes = [], [], {"accepted": 0, "duplicate": 0, "rejected": 0}
    profiler = cProfile.Profile() if profile else None
    for events in batches:
        started, started_cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        with session_scope(factory, write=True) as session:
            report = ingest(session, events, SENDER)
        if profiler:
            profiler.disable()
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        for key in outcomes:
            outcomes[key] += report.count(key)
    engine.dispose()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(os.environ.get("PROFILE_FILTER", ""), 35)  # e.g. PROFILE_FILTER=quality
    # CPU time of this process per batch: steadier than wall time on a shared machine, but on
    # PostgreSQL it leaves out the server's share of the work.
    return {**_rate(seconds, outcomes), "cpu_ms_per_batch": [round(c * 1000) for c in cpu],
            "events_per_cpu_s": round(sum(outcomes.values()) / sum(cpu))}  # fmt: skip


def http_rate(url: str, secret_key: str, batches: list[list[dict[str, Any]]]) -> dict[str, Any]:
    settings = load_settings({"FORGELINE_ENVIRONMENT": "test", "FORGELINE_SECRET_KEY": secret_key,
                              "FORGELINE_DATA_DIR": tempfile.mkdtemp()})  # fmt: skip
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory, write=True) as session:
        token = sign_in(session, SENDER.name, PASSWORD, settings).token
    assert token is not None, "the bench operator could not sign in"
    headers = {
        "Cookie": f"{SESSION_COOKIE}={token}",
        CSRF_HEADER: csrf_token(secret_key, token),
        "Content-Type": "application/json",
    }
    seconds, outcomes = [], {"accepted": 0, "duplicate": 0, "rejected": 0}
    app = create_app(settings, factory)
    settle_heap()  # as `forgeline serve` does once the app is built
    with TestClient(app) as client:
        for events in batches:
            body = json.dumps(events).encode()
            started = time.perf_counter()
            answer = client.post("/api/v1/events", content=body, headers=headers)
            seconds.append(time.perf_counter() - started)
            answer.raise_for_status()
            for key in outcomes:
                outcomes[key] += answer.json()[key]
    engine.dispose()
    return _rate(seconds, outcomes)


def _rate(seconds: list[float], outcomes: dict[str, int]) -> dict[str, Any]:
    total = sum(outcomes.values())
    return {"events": total, "seconds": round(sum(seconds), 3),
            "events_per_s": round(total / sum(seconds)), **outcomes}  # fmt: skip


RAW_COLUMNS = (
    "unit_id, operation_code, station_code, characteristic_code, value, lsl, usl, measured_at"
)


def _raw_rows(count: int) -> list[tuple[Any, ...]]:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    return [(i, "CNC", "CNC-01", "OUT-L", 0.01, -0.05, 0.05, now) for i in range(count)]


def raw_sqlite_rate(directory: Path, batches: int) -> dict[str, Any]:
    """The driver alone: executemany of 10,000 rows a transaction, same pragmas as Forgeline."""
    conn = sqlite3.connect(directory / "raw.db", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(f"CREATE TABLE raw (id INTEGER PRIMARY KEY, {RAW_COLUMNS})")
    rows, started = _raw_rows(BATCH), time.perf_counter()
    for _ in range(batches):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO raw ({RAW_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return {"rows": BATCH * batches, "seconds": round(elapsed, 3),
            "rows_per_s": round(BATCH * batches / elapsed)}  # fmt: skip


def raw_pg_rate(url: str, batches: int) -> dict[str, Any]:
    """The driver alone: psycopg COPY of 10,000 rows a transaction."""
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows = _raw_rows(BATCH)
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TABLE raw (id bigserial PRIMARY KEY, unit_id bigint, operation_code text, "
            "station_code text, characteristic_code text, value float8, lsl float8, usl float8, "
            "measured_at timestamp)"
        )
        conn.commit()
        started = time.perf_counter()
        for _ in range(batches):
            with conn.cursor().copy(f"COPY raw ({RAW_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - started
    return {"rows": BATCH * batches, "seconds": round(elapsed, 3),
            "rows_per_s": round(BATCH * batches / elapsed)}  # fmt: skip


def run_backend(
    url: str,
    raw: dict[str, Any],
    batches: int,
    profile: bool,
    same_rows: Callable[[int, int], dict[str, Any]],
) -> dict[str, Any]:
    key = prepare(url)
    work = Workload("S")
    service = service_rate(url, [work.batch() for _ in range(batches)], profile)
    # Before the HTTP run adds more: the rows the service run wrote, re-inserted bare.
    baseline = same_rows(batches, service["events"])
    http = http_rate(url, key, [work.batch() for _ in range(batches)])
    return {
        "service": service,
        "http": http,
        "raw_driver_same_rows": baseline,
        "service_vs_same_rows": round(service["events_per_s"] / baseline["events_per_s"], 3),
        "http_vs_same_rows": round(http["events_per_s"] / baseline["events_per_s"], 3),
        "raw_driver_one_row_per_event": raw,
        "service_vs_one_row_per_event": round(service["events_per_s"] / raw["rows_per_s"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the service path")
    parser.add_argument(
        "--time-ordered-ids", action="store_true", help="UUIDv7 event ids, not uuid4"
    )
    parser.add_argument(
        "--no-spc", action="store_true", help="production ingest alone, without live SPC"
    )
    args = parser.parse_args()
    # Ingest as the plant runs it: with live SPC charting every monitored measurement (the app
    # and the CLI install it; the service runs below would otherwise skip it). --no-spc measures
    # production ingest alone, the service path only (the HTTP app installs SPC regardless).
    if not args.no_spc:
        monitoring.install()
    results: dict[str, Any] = {
        "benchmark": "ingest",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "batch_size": BATCH,
        "batches": args.batches,
        "live_spc": not args.no_spc,
        "event_ids": "uuid7" if args.time_ordered_ids else "uuid4",
    }
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        raw = raw_sqlite_rate(directory, args.batches)
        url = f"sqlite:///{directory / 'bench.db'}"

        def sqlite_same_rows(batches: int, events: int) -> dict[str, Any]:
            return same_rows_sqlite(directory / "bench.db", directory / "same.db", batches, events)

        results["sqlite"] = run_backend(url, raw, args.batches, args.profile, sqlite_same_rows)
    if not args.sqlite_only:
        results["postgresql"] = _postgres(args.batches, args.profile)
    print(json.dumps(results, indent=2))


def _postgres(batches: int, profile: bool) -> dict[str, Any] | str:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"skipped: PostgreSQL unreachable at {PG_URL} ({type(exc).__name__})"
    name, same = f"fl_bench_{secrets.token_hex(4)}", f"fl_bench_same_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        for database in (name, same):
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    same_url = make_url(PG_URL).set(database=same).render_as_string(hide_password=False)

    def pg_same_rows(batches: int, events: int) -> dict[str, Any]:
        return same_rows_pg(url, same_url, batches, events)

    try:
        return run_backend(url, raw_pg_rate(url, batches), batches, profile, pg_same_rows)
    finally:
        with admin.connect() as conn:
            for database in (name, same):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
