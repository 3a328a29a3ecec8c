"""Trace speed on a large history: backward trace of a handset, forward trace of a cycle.

    .venv/bin/python bench/trace.py --pieces 10000000      # generate, then measure
    .venv/bin/python bench/trace.py --pieces 10000000 --reuse   # measure an existing file

Generates the history with `bench/trace_data.py` into var/bench/ (git-ignored), then times the
real `forgeline.trace.service` functions through the real engine (WAL, foreign keys, the
pragmas of `forgeline.db.engine`), each call in its own session as a request would be. The
measuring runs in a fresh process, so its memory figure is the tracer's, not the generator's.

Baselines measured in the same run: one indexed lookup of the handset's uid through the same
session (the floor of any trace), and the raw sqlite3 read of a cycle's unit ids (the floor of
a forward trace). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory
from forgeline.production.tables import Unit
from forgeline.trace import service

sys.path.insert(0, str(Path(__file__).parent))
import trace_data  # a sibling script, not a package

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "bench"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "n": len(ms),
    }


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def db_bytes(path: Path) -> int:
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def rss_mib() -> dict[str, float]:
    """Current and peak resident memory of this process (VmHWM: getrusage's maximum would
    include the parent's, as Linux keeps it across exec)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    kib = {key: int(status[key].split()[0]) for key in ("VmRSS", "VmHWM")}
    return {"rss_mib": round(kib["VmRSS"] / 1024, 1), "peak_rss_mib": round(kib["VmHWM"] / 1024, 1)}


def measure(path: Path, lookups: int, cycles: int, seed: int) -> dict[str, Any]:
    plan = trace_data.Plan(int(os.environ.get("BENCH_PIECES", "0")) or 1)
    engine = make_engine(f"sqlite:///{path}")
    factory = make_session_factory(engine)
    statements = [0]

    def count(sql: str) -> None:
        if sql.lstrip()[:6].upper() in ("SELECT", "WITH R"):
            statements[0] += 1

    # Counted by the driver: the trace's reads bypass SQLAlchemy's execution events.
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(count))
    rng = random.Random(seed)
    handsets = [f"HS{rng.randrange(plan.handsets):09d}" for _ in range(lookups + 20)]
    runs = [f"IOX-{rng.randrange(plan.runs):07d}" for _ in range(cycles + 5)]

    def backward(uid: str) -> object:
        with factory() as session:
            return service.backward(session, uid)

    def lookup(uid: str) -> object:
        with factory() as session:
            return session.execute(select(Unit.id).where(Unit.uid == uid)).scalar_one()

    def forward(code: str) -> object:
        with factory() as session:
            return service.forward(session, code)

    for uid in handsets[:20]:  # compile caches, not data: every measured uid is a new one
        backward(uid)
    base_ms = [timed(lambda u=uid: lookup(u))[0] for uid in handsets[20:]]  # type: ignore[misc]
    statements[0] = 0
    back_ms, components = [], []
    for uid in handsets[20:]:
        ms, result = timed(lambda u=uid: backward(u))  # type: ignore[misc]
        back_ms.append(ms)
        components.append(len(result.unit.components))  # type: ignore[attr-defined]
    per_backward = statements[0] / len(handsets[20:])
    forward(runs[0])
    raw = sqlite3.connect(path)
    floor_ms, fwd_ms, sizes = [], [], []
    for code in runs[5:]:
        run_id = int(code.split("-")[1]) + 1
        floor_ms.append(
            timed(
                lambda r=run_id: raw.execute(  # type: ignore[misc]
                    "SELECT unit_id FROM operation_record WHERE batch_run_id = ?", (r,)
                ).fetchall()
            )[0]
        )
        ms, result = timed(lambda c=code: forward(c))  # type: ignore[misc]
        fwd_ms.append(ms)
        sizes.append((len(result.pieces), len(result.handsets)))  # type: ignore[attr-defined]
    raw.close()
    engine.dispose()
    back, base = summary(back_ms), summary(base_ms)
    fwd, floor = summary(fwd_ms), summary(floor_ms)
    return {
        "backward_handset": back,
        "backward_statements_per_trace": round(per_backward, 1),
        "backward_components_per_handset": statistics.fmean(components),
        "baseline_uid_lookup": base,
        "backward_vs_uid_lookup_p50": round(back["p50_ms"] / base["p50_ms"], 1),
        "forward_cycle": fwd,
        "forward_pieces_per_cycle": statistics.fmean(s[0] for s in sizes),
        "forward_handsets_per_cycle": statistics.fmean(s[1] for s in sizes),
        "baseline_raw_cycle_read": floor,
        "forward_vs_raw_read_p50": round(fwd["p50_ms"] / floor["p50_ms"], 1),
        "tracer_memory": rss_mib(),
    }


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pieces", type=int, default=10_000_000)
    parser.add_argument("--db", type=Path, help="default var/bench/trace-<pieces>.db")
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20250301)
    parser.add_argument("--reuse", action="store_true", help="measure an existing database")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = args.db or DEFAULT_DIR / f"trace-{args.pieces}.db"
    if args.measure_only:
        os.environ["BENCH_PIECES"] = str(args.pieces)
        print(json.dumps(measure(path, args.lookups, args.cycles, args.seed)))
        return
    result: dict[str, Any] = {"benchmark": "trace", "command": " ".join(sys.argv)}
    plan = trace_data.Plan(args.pieces)
    if not (args.reuse and path.exists()):
        print(f"generating {plan.n:,} pieces into {path}", file=sys.stderr)
        seconds, _ = timed(lambda: trace_data.generate(path, args.pieces))
        result["generation_s"] = round(seconds / 1000, 1)
        result["generator_memory"] = rss_mib()
    counts = _counts(path)
    argv = [
        sys.executable,
        __file__,
        "--measure-only",
        "--pieces",
        str(args.pieces),
        "--db",
        str(path),
        "--lookups",
        str(args.lookups),
        "--cycles",
        str(args.cycles),
        "--seed",
        str(args.seed),
    ]
    measured = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    result |= {
        "pieces": plan.n,
        "rows": counts,
        "db_bytes": db_bytes(path),
        "db_gib": round(db_bytes(path) / 2**30, 2),
        "disk_free_gib": round(shutil.disk_usage(path.parent).free / 2**30, 1),
        **json.loads(measured),
        "machine": machine(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(json.dumps(result, indent=2))


def _counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {
            table: con.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
            for table in (
                "unit",
                "operation_record",
                "measurement",
                "defect",
                "lot_use",
                "batch_run",
                "hold_unit",
            )
        }
    finally:
        con.close()


if __name__ == "__main__":
    main()
