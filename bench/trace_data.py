"""Generate a plant history of N glass pieces in a SQLite file, fast, into the real schema.

The schema is `metadata.create_all`; the secondary indexes of the big tables are dropped for the
load and re-created afterwards from the same DDL (building an index once is far cheaper than
maintaining it over 100 M inserts). Rows are produced inside SQLite by recursive-CTE
``INSERT ... SELECT``, so no Python object per row exists.

The shape (per 3,000 pieces: one ion-exchange cycle, 10 baskets of 300):
- sheets of 20 pieces, sheet lots of 500 sheets; 2 operation records per sheet;
- ~100,000 pieces a day; 12 operation records per piece, written per basket and operation
  (the 300 pieces of a basket pass an operation together), so one piece's records sit on 12
  different pages, as they do when a live plant writes them in time order;
- 3 measurements per piece (stress: CS, DOL, CT), a defect on 2 % of pieces;
- ion-exchange cycles on 4 furnaces, each bath replaced every 20 days, an analysis every 8 h;
- one handset per 10 pieces, 8 operation records, 2 measurements, PCBA and battery lot uses;
- a hold on one cycle in 500, catching its 3,000 pieces.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from forgeline.models import metadata

START = datetime(2025, 1, 1, tzinfo=UTC)  # the trace bench's history: 100 days from here
DAYS = 100
SHEET = 20  # pieces per sheet
LOT_SHEETS = 500  # sheets per sheet lot
BASKET = 300  # pieces per basket
CYCLE = 3_000  # pieces per ion-exchange cycle
HANDSET_EVERY = 10  # one handset per this many pieces
COMPONENT_LOT = 5_000  # handsets per PCBA / battery lot
FURNACES = 4
BATH_DAYS = 20
BASKETS_OWNED = 200
OP_GAP_S = 2_400  # 40 minutes between operations
GLASS_OPS = (
    "CNC",
    "EDGE",
    "POLISH",
    "CLEAN1",
    "IOX",
    "CLEAN2",
    "PRINT",
    "CURE",
    "AOI",
    "STRESS",
    "FINAL",
    "PACK",
)
HANDSET_OPS = ("ASSY", "PCBA", "BATT", "FLASH", "FT", "RF", "CAL", "PACKH")
IOX_K, AOI_K, STRESS_K, FT_K = 4, 8, 9, 4
BIG_TABLES = ("unit", "operation_record", "measurement", "defect", "lot_use", "hold_unit")
GTIN = "09506000134352"


def seq(name: str, n: int | str) -> str:
    return f"{name}(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM {name} WHERE i + 1 < {n})"


class Plan:
    """Counts and id bases derived from the number of pieces (rounded to whole cycles)."""

    def __init__(self, pieces: int, start: datetime = START) -> None:
        self.t0 = int(start.timestamp())
        self.n = max(CYCLE, pieces // CYCLE * CYCLE)
        self.sheets = self.n // SHEET
        self.handsets = self.n // HANDSET_EVERY
        self.runs = self.n // CYCLE
        self.baskets = self.n // BASKET
        self.sheet_lots = -(-self.sheets // LOT_SHEETS)
        self.component_lots = -(-self.handsets // COMPONENT_LOT)
        self.glass_base = self.sheets  # glass piece i has id glass_base + 1 + i
        self.handset_base = self.sheets + self.n
        self.glass_rec = 0  # glass records first, then handsets', then sheets'
        self.handset_rec = self.n * len(GLASS_OPS)
        self.sheet_rec = self.handset_rec + self.handsets * len(HANDSET_OPS)
        self.interval = DAYS * 86_400 / self.n  # seconds between two pieces
        self.baths = FURNACES * -(-DAYS // BATH_DAYS)

    def ts(self, expr: str) -> str:
        """SQL for the stored form of a UTC time `expr` seconds after the start (SQLAlchemy's)."""
        return f"(strftime('%Y-%m-%d %H:%M:%S', {self.t0} + ({expr}), 'unixepoch') || '.000000')"


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=OFF",
        "synchronous=OFF",
        "cache_size=-1000000",
        "threads=2",
        "foreign_keys=OFF",
    ):
        con.execute(f"PRAGMA {pragma}")
    return con


def create_schema(path: Path) -> list[str]:
    """The real schema; returns the DDL of the big tables' secondary indexes, now dropped."""
    engine = create_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()
    con = _connect(path)
    marks = ",".join("?" * len(BIG_TABLES))
    rows = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        BIG_TABLES,
    ).fetchall()
    for name, _ in rows:
        con.execute(f'DROP INDEX "{name}"')
    con.close()
    return [sql for _, sql in rows]


def _small_tables(con: sqlite3.Connection, p: Plan) -> None:
    t = p.ts
    con.execute(f"""INSERT INTO material_lot (id, code, kind, material, supplier, supplier_lot,
        quantity, received_at, hold_count)
        WITH RECURSIVE {seq("s", p.sheet_lots)}
        SELECT i + 1, printf('SL-%06d', i), 'glass_sheet', 'aluminosilicate 0.6 mm', 'Glassco',
               printf('GC%08d', i), {LOT_SHEETS}, {t(f"i * {LOT_SHEETS * SHEET * p.interval}")},
               0 FROM s""")
    for offset, prefix, kind in (
        (p.sheet_lots, "PCBA", "pcba"),
        (p.sheet_lots + p.component_lots, "BATT", "battery"),
    ):
        con.execute(f"""INSERT INTO material_lot (id, code, kind, material, supplier,
            supplier_lot, quantity, received_at, hold_count)
            WITH RECURSIVE {seq("s", p.component_lots)}
            SELECT {offset} + i + 1, printf('{prefix}-%06d', i), '{kind}', '', 'Vendor', '',
                   {COMPONENT_LOT}, {t("i * 86400")}, 0 FROM s""")
    con.execute(f"""INSERT INTO carrier (id, code, kind, capacity, hold_count)
        WITH RECURSIVE {seq("s", BASKETS_OWNED)}
        SELECT i + 1, printf('BSK-%04d', i), 'basket', {BASKET}, 0 FROM s""")
    con.execute(f"""INSERT INTO bath (id, code, station_code, salt, started_at, replaced_at,
        cycles, hours, na_wt_pct, ca_ppm, mg_ppm, hold_count)
        WITH RECURSIVE {seq("s", p.baths)}
        SELECT i + 1, printf('BATH-%d-%02d', i % {FURNACES} + 1, i / {FURNACES}),
               printf('IOX-%02d', i % {FURNACES} + 1), 'KNO3',
               {t(f"(i / {FURNACES}) * {BATH_DAYS * 86400}")},
               {t(f"(i / {FURNACES} + 1) * {BATH_DAYS * 86400}")},
               0, 0.0, 0.3, 12.0, 3.0, 0 FROM s""")
    con.execute(f"""INSERT INTO bath_event (bath_id, kind, at, "values")
        WITH RECURSIVE {seq("s", p.baths * BATH_DAYS * 3)}
        SELECT i / {BATH_DAYS * 3} + 1, 'analysis',
               {
        t(
            f"((i / {BATH_DAYS * 3}) / {FURNACES}) * {BATH_DAYS * 86400}"
            f" + (i % {BATH_DAYS * 3}) * 28800"
        )
    },
               json_object('na_wt_pct', 0.05 + (i % {BATH_DAYS * 3}) * 0.01, 'ca_ppm', 10 + i % 7)
        FROM s""")
    # Cycle r: furnace r % 4, started when its last piece reached IOX; bath of that period.
    start = f"(r.i * {CYCLE} + {CYCLE - 1}) * {p.interval} + {IOX_K * OP_GAP_S}"
    con.execute(f"""INSERT INTO batch_run (id, code, station_code, operation_code, bath_id,
        carriers, started_at, ended_at, parameters, hold_count)
        WITH RECURSIVE {seq("r", p.runs)}
        SELECT r.i + 1, printf('IOX-%07d', r.i), printf('IOX-%02d', r.i % {FURNACES} + 1), 'IOX',
               min(CAST(({start}) / {BATH_DAYS * 86400} AS INTEGER), {p.baths // FURNACES - 1})
                 * {FURNACES} + r.i % {FURNACES} + 1,
               '[]', {t(start)}, {t(f"{start} + 21600")}, '{{"temp_c": 420}}', 0
        FROM r""")


def _units(con: sqlite3.Connection, p: Plan) -> None:
    t = p.ts
    con.execute(f"""INSERT INTO unit (id, uid, kind, product_code, routing_code, plant_revision,
        lot_id, status, position, rework_counts, hold_count, created_at, updated_at)
        WITH RECURSIVE {seq("s", p.sheets)}
        SELECT i + 1, printf('SH%09d', i), 'sheet', 'SHEET-06', 'R-SHEET', 1,
               i / {LOT_SHEETS} + 1, 'finished', 1, '{{}}', 0,
               {t(f"i * {SHEET * p.interval} - 3600")}, {t(f"i * {SHEET * p.interval}")}
        FROM s""")
    last_day = p.n - int(86_400 / p.interval)
    con.execute(f"""INSERT INTO unit (id, uid, kind, product_code, routing_code, plant_revision,
        lot_id, parent_id, assembled_into_id, status, position, next_operation, rework_counts,
        current_station, hold_count, created_at, updated_at)
        WITH RECURSIVE {seq("s", p.n)}
        SELECT {p.glass_base} + 1 + i, printf('(01){GTIN}(21)%010d', i), 'glass', 'CG-61',
               'R-GLASS', 1, i / {SHEET * LOT_SHEETS} + 1, i / {SHEET} + 1,
               CASE WHEN i % {HANDSET_EVERY} = 0 THEN {p.handset_base} + 1 + i / {HANDSET_EVERY}
               END,
               CASE WHEN i >= {last_day} THEN 'in_process' WHEN i % 100 = 13 THEN 'scrapped'
                    ELSE 'finished' END,
               11, NULL, '{{}}', NULL, 0, {t(f"i * {p.interval}")},
               {t(f"i * {p.interval} + {12 * OP_GAP_S}")}
        FROM s""")
    con.execute(f"""INSERT INTO unit (id, uid, kind, product_code, routing_code, plant_revision,
        status, position, rework_counts, hold_count, created_at, updated_at)
        WITH RECURSIVE {seq("s", p.handsets)}
        SELECT {p.handset_base} + 1 + i, printf('HS%09d', i), 'handset', 'SP-7', 'R-HANDSET', 1,
               CASE WHEN i % 3 = 0 THEN 'shipped' ELSE 'finished' END, 7, '{{}}', 0,
               {t(f"i * {HANDSET_EVERY * p.interval} + {14 * OP_GAP_S}")},
               {t(f"i * {HANDSET_EVERY * p.interval} + {22 * OP_GAP_S}")}
        FROM s""")
    con.execute(f"""INSERT INTO lot_use (unit_id, lot_id, role, at)
        WITH RECURSIVE {seq("s", p.handsets * 2)}
        SELECT {p.handset_base} + 1 + i / 2,
               {p.sheet_lots} + (i % 2) * {p.component_lots} + (i / 2) / {COMPONENT_LOT} + 1,
               CASE i % 2 WHEN 0 THEN 'pcba' ELSE 'battery' END,
               {t(f"(i / 2) * {HANDSET_EVERY * p.interval} + {15 * OP_GAP_S}")}
        FROM s""")


def _values(name: str, codes: tuple[str, ...]) -> str:
    rows = ", ".join(f"({k}, '{code}')" for k, code in enumerate(codes))
    return f"{name}(k, code) AS (VALUES {rows})"


def _glass_records(con: sqlite3.Connection, p: Plan, b0: int, b1: int) -> None:
    """Records of baskets b0..b1-1: per basket, per operation, its 300 pieces."""
    ops = len(GLASS_OPS)
    piece = f"(b.i * {BASKET} + j.i)"
    # Every piece of a cycle enters the furnace when the cycle starts (see batch_run).
    cycle_start = f"((b.i / 10) * {CYCLE} + {CYCLE - 1}) * {p.interval} + {IOX_K * OP_GAP_S}"
    own_time = f"{piece} * {p.interval} + o.k * {OP_GAP_S}"
    at = f"(CASE WHEN o.k = {IOX_K} THEN {cycle_start} ELSE {own_time} END)"
    con.execute(f"""INSERT INTO operation_record (id, unit_id, operation_code, station_code,
        operator, carrier_id, batch_run_id, track_in_at, track_out_at, result, visit)
        WITH RECURSIVE b(i) AS (SELECT {b0} UNION ALL SELECT i + 1 FROM b WHERE i + 1 < {b1}),
             {seq("j", BASKET)}, {_values("o", GLASS_OPS)}
        SELECT {p.glass_rec} + b.i * {BASKET * ops} + o.k * {BASKET} + j.i + 1,
               {p.glass_base} + 1 + {piece}, o.code,
               CASE WHEN o.k = {IOX_K} THEN printf('IOX-%02d', (b.i / 10) % {FURNACES} + 1)
                    ELSE printf('%s-%02d', o.code, b.i % 6 + 1) END,
               printf('OP%03d', (b.i / 16 * 7 + o.k) % 120),
               CASE WHEN o.k BETWEEN 3 AND 5 THEN b.i % {BASKETS_OWNED} + 1 END,
               CASE WHEN o.k = {IOX_K} THEN b.i / 10 + 1 END,
               {p.ts(at)}, {p.ts(at + " + 600")},
               CASE WHEN o.k = {ops - 1} AND {piece} % 100 = 13 THEN 'scrap' ELSE 'pass' END, 1
        FROM b CROSS JOIN o CROSS JOIN j""")
    con.execute(f"""INSERT INTO measurement (unit_id, record_id, operation_code, station_code,
        characteristic_code, value, lsl, usl, in_spec, batch_run_id, measured_at)
        WITH RECURSIVE b(i) AS (SELECT {b0} UNION ALL SELECT i + 1 FROM b WHERE i + 1 < {b1}),
             {seq("j", BASKET)}, {_values("c", ("CS_MPA", "DOL_UM", "CT_MPA"))}
        SELECT {p.glass_base} + 1 + {piece},
               {p.glass_rec} + b.i * {BASKET * ops} + {STRESS_K * BASKET} + j.i + 1,
               'STRESS', printf('STRESS-%02d', b.i % 6 + 1), c.code,
               800.0 + ({piece} * 7919 % 100) - c.k * 300, NULL, NULL, 1, b.i / 10 + 1,
               {p.ts(f"{piece} * {p.interval} + {STRESS_K * OP_GAP_S}")}
        FROM b CROSS JOIN j CROSS JOIN c""")
    con.execute(f"""INSERT INTO defect (unit_id, record_id, defect_code, zone, size_mm,
        station_code, found_at)
        WITH RECURSIVE b(i) AS (SELECT {b0} UNION ALL SELECT i + 1 FROM b WHERE i + 1 < {b1}),
             {seq("j", BASKET)}
        SELECT {p.glass_base} + 1 + {piece},
               {p.glass_rec} + b.i * {BASKET * ops} + {AOI_K * BASKET} + j.i + 1,
               'SCRATCH', 'A', 0.3, printf('AOI-%02d', b.i % 6 + 1),
               {p.ts(f"{piece} * {p.interval} + {AOI_K * OP_GAP_S}")}
        FROM b CROSS JOIN j WHERE j.i % 50 = 7""")


def _handset_and_sheet_records(con: sqlite3.Connection, p: Plan) -> None:
    ops = len(HANDSET_OPS)
    handset = f"(b.i * {BASKET} + j.i)"
    at = f"{handset} * {HANDSET_EVERY * p.interval} + (14 + o.k) * {OP_GAP_S}"
    con.execute(f"""INSERT INTO operation_record (id, unit_id, operation_code, station_code,
        operator, track_in_at, track_out_at, result, visit)
        WITH RECURSIVE {seq("b", p.handsets // BASKET)}, {seq("j", BASKET)},
             {_values("o", HANDSET_OPS)}
        SELECT {p.handset_rec} + b.i * {BASKET * ops} + o.k * {BASKET} + j.i + 1,
               {p.handset_base} + 1 + {handset}, o.code, printf('%s-%02d', o.code, b.i % 3 + 1),
               printf('OP%03d', 120 + (b.i / 8 + o.k) % 40), {p.ts(at)}, {p.ts(at + " + 300")},
               'pass', 1
        FROM b CROSS JOIN o CROSS JOIN j""")
    con.execute(f"""INSERT INTO measurement (unit_id, record_id, operation_code, station_code,
        characteristic_code, value, in_spec, measured_at)
        WITH RECURSIVE {seq("b", p.handsets // BASKET)}, {seq("j", BASKET)},
             {_values("c", ("RF_DBM", "BATT_MV"))}
        SELECT {p.handset_base} + 1 + {handset},
               {p.handset_rec} + b.i * {BASKET * ops} + {FT_K * BASKET} + j.i + 1,
               'FT', printf('FT-%02d', b.i % 3 + 1), c.code, 20.0 + c.k * 3800, 1,
               {p.ts(f"{handset} * {HANDSET_EVERY * p.interval} + {(14 + FT_K) * OP_GAP_S}")}
        FROM b CROSS JOIN j CROSS JOIN c""")
    con.execute(f"""INSERT INTO operation_record (id, unit_id, operation_code, station_code,
        operator, track_in_at, track_out_at, result, visit)
        WITH RECURSIVE {seq("s", p.sheets * 2)}
        SELECT {p.sheet_rec} + i + 1, i / 2 + 1, CASE i % 2 WHEN 0 THEN 'INSPECT' ELSE 'SCRIBE'
               END, printf('SCR-%02d', (i / 2) % 4 + 1), printf('OP%03d', 160 + (i / 400) % 20),
               {p.ts(f"(i / 2) * {SHEET * p.interval} - 3600 + (i % 2) * 1200")},
               {p.ts(f"(i / 2) * {SHEET * p.interval} - 3000 + (i % 2) * 1200")}, 'pass', 1
        FROM s""")


def _holds(con: sqlite3.Connection, p: Plan) -> None:
    for r in range(250, p.runs, 500):
        hold_id = con.execute(
            "INSERT INTO hold (target_type, target_code, reason, placed_by, placed_at) "
            f"VALUES ('batch', printf('IOX-%07d', {r}), 'bath drift', 'qa', {p.ts(str(r * 3000))})"
        ).lastrowid
        con.execute(f"""INSERT INTO hold_unit (hold_id, unit_id)
            WITH RECURSIVE {seq("s", CYCLE)}
            SELECT {hold_id}, {p.glass_base} + 1 + {r * CYCLE} + i FROM s""")


def _cut(con: sqlite3.Connection, p: Plan) -> None:
    """Leave out what would happen after the last start: a piece's later operations are laid out
    hours after it starts (a handset's up to 15 h), so without the cut a history "ending now"
    would hold records of the future. Visits going on at the end are left open."""
    end = p.ts(str(p.n * p.interval))
    for sql in (
        f"DELETE FROM operation_record WHERE track_in_at > {end}",
        "UPDATE operation_record SET track_out_at = NULL, result = NULL "
        f"WHERE track_out_at > {end}",
        f"DELETE FROM measurement WHERE measured_at > {end}",
        f"DELETE FROM defect WHERE found_at > {end}",
        f"DELETE FROM lot_use WHERE at > {end}",
        f"DELETE FROM batch_run WHERE started_at > {end}",
        f"UPDATE batch_run SET ended_at = NULL WHERE ended_at > {end}",
        f"DELETE FROM bath_event WHERE at > {end}",
        f"UPDATE unit SET assembled_into_id = NULL WHERE assembled_into_id IN "
        f"(SELECT id FROM unit WHERE created_at > {end})",
        f"DELETE FROM unit WHERE created_at > {end}",
        f"UPDATE unit SET updated_at = {end} WHERE updated_at > {end}",
    ):
        con.execute(sql)


def generate(
    path: Path, pieces: int, log: bool = True, start: datetime = START, cut: bool = False
) -> Plan:
    """Write a fresh database of `pieces` glass pieces and their history from `start` to `path`;
    `cut`: nothing after the last piece's start (a history that ends now, `_cut`)."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    p = Plan(pieces, start)
    indexes = create_schema(path)
    con = _connect(path)
    started = time.perf_counter()

    def step(what: str) -> None:
        if log:
            print(f"  {time.perf_counter() - started:7.1f} s  {what}", file=sys.stderr, flush=True)

    con.execute("BEGIN")
    _small_tables(con, p)
    _units(con, p)
    step(f"{p.sheets + p.n + p.handsets:,} units")
    chunk = max(10, p.baskets // 50)
    for b0 in range(0, p.baskets, chunk):
        _glass_records(con, p, b0, min(p.baskets, b0 + chunk))
        step(f"glass records of baskets {b0:,}..{min(p.baskets, b0 + chunk):,}")
    _handset_and_sheet_records(con, p)
    _holds(con, p)
    if cut:
        _cut(con, p)
        step("cut at the last start")
    con.execute("COMMIT")
    step("rows written; building indexes")
    for sql in indexes:
        con.execute(sql)
        step(sql.split(" ON ")[0].replace("CREATE INDEX ", "index "))
    con.close()
    return p
