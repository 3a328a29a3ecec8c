"""The trace benchmark runs end to end at a tiny size (its figures are not asserted: speed lives
in bench/, and a test machine's timings mean nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "trace.py"


def test_bench_generates_a_history_and_reports_figures(tmp_path: Path) -> None:
    db = tmp_path / "trace.db"
    argv = [sys.executable, str(BENCH), "--pieces", "3000", "--lookups", "20", "--cycles", "2",
            "--db", str(db)]  # fmt: skip
    done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert report["pieces"] == 3000
    assert report["rows"]["unit"] == 150 + 3000 + 300  # sheets, pieces, handsets
    assert report["rows"]["operation_record"] == 3000 * 12 + 300 * 8 + 150 * 2
    assert report["backward_components_per_handset"] == 1.0
    assert report["forward_pieces_per_cycle"] == 3000
    assert report["forward_handsets_per_cycle"] == 300
    for figure in ("backward_handset", "forward_cycle", "baseline_uid_lookup"):
        assert report[figure]["n"] > 0 and report[figure]["p50_ms"] > 0
    assert report["db_bytes"] == db.stat().st_size
