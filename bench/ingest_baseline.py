"""The fair baseline for bench/ingest.py: the raw driver writing exactly the rows ingest wrote.

After the service run, every row it left in the tables ingest writes is read back and inserted
again into a fresh database with the same schema and indexes, by the bare driver (sqlite3
executemany; psycopg COPY), with foreign keys off: "the same rows with no checks". Units are
written once in their final state, so this is a little less work than ingest does (which
inserts a unit and later updates it), i.e. a conservative ceiling.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from forgeline.db.engine import make_engine
from forgeline.models import metadata

TABLES = ("unit", "operation_record", "measurement", "defect", "equipment_state", "ingested_event")


def _chunks(rows: list[tuple[Any, ...]], parts: int) -> list[list[tuple[Any, ...]]]:
    size = -(-len(rows) // parts) if rows else 0
    return [rows[i * size : (i + 1) * size] for i in range(parts)]


def _result(rows: int, events: int, elapsed: float) -> dict[str, Any]:
    return {"rows": rows, "seconds": round(elapsed, 3), "rows_per_s": round(rows / elapsed),
            "events_per_s": round(events / elapsed)}  # fmt: skip


def same_rows_sqlite(source: Path, target: Path, batches: int, events: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{target}")
    metadata.create_all(engine)
    engine.dispose()
    src = sqlite3.connect(source)
    rows = {t: src.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    src.close()
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=OFF"):
        conn.execute(f"PRAGMA {pragma}")
    parts = {t: _chunks(r, batches) for t, r in rows.items() if r}
    started = time.perf_counter()
    for b in range(batches):
        conn.execute("BEGIN IMMEDIATE")
        for table, chunks in parts.items():
            if chunks[b]:
                marks = ",".join("?" * len(chunks[b][0]))
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", chunks[b])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return _result(sum(len(r) for r in rows.values()), events, elapsed)


def same_rows_pg(source_url: str, target_url: str, batches: int, events: int) -> dict[str, Any]:
    import psycopg
    from psycopg.types.json import Json

    engine = make_engine(target_url)
    metadata.create_all(engine)
    engine.dispose()

    def dsn(url: str) -> str:
        return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    with psycopg.connect(dsn(source_url)) as src:
        rows = {
            t: [tuple(Json(v) if isinstance(v, dict | list) else v for v in row)
                for row in src.execute(f"SELECT * FROM {t}").fetchall()]
            for t in TABLES
        }  # fmt: skip
    parts = {t: _chunks(r, batches) for t, r in rows.items() if r}
    with psycopg.connect(dsn(target_url)) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers: no checks
        conn.commit()
        started = time.perf_counter()
        for b in range(batches):
            for table, chunks in parts.items():
                with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    for row in chunks[b]:
                        copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - started
    return _result(sum(len(r) for r in rows.values()), events, elapsed)
