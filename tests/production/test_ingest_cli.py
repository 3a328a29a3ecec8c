"""`forgeline events import FILE.jsonl` through the same ingest service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from forgeline.cli.main import app
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.production.tables import IngestedEvent, Unit
from forgeline.production.tallies import DayTally, TrackOutTally
from tests.cli_kit import cli_environment
from tests.production.events_kit import Events, glass, set_up_line


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with cli_environment(monkeypatch, tmp_path, db_url):
        engine = make_engine(db_url)
        with session_scope(make_session_factory(engine), write=True) as session:
            set_up_line(session)
        engine.dispose()
        yield db_url


def test_import_jsonl_in_batches_then_again(cli_db: str, tmp_path: Path) -> None:
    ev = Events()
    uids = [glass(f"J{i:04d}") for i in range(5)]
    events = [ev("start", uid=u, product="CG-AUR-A55", kind="glass") for u in uids]
    events += [ev("track_in", uid=u, station="IQC-01", operator="ravi") for u in uids]
    bad = ev("track_in", uid=uids[0], station="CUT-01", operator="ravi", operation="CUT")
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [*events, bad]) + "\n\n")
    runner = CliRunner()
    first = runner.invoke(app, ["events", "import", str(path), "--batch-size", "4", "--json"])
    assert first.exit_code == 1, first.output
    summary = json.loads(first.stdout)
    assert (summary["accepted"], summary["duplicate"], summary["rejected"]) == (10, 0, 1)
    assert summary["rejections"][0]["code"] == "unit.in_process"
    second = runner.invoke(app, ["events", "import", str(path)])
    assert "0 accepted, 10 duplicate, 1 rejected" in second.stdout
    engine = make_engine(cli_db)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(IngestedEvent)) == 10
        assert conn.scalar(select(func.count()).select_from(Unit)) == 5
    engine.dispose()


def test_recount_counts_the_tallies_again(cli_db: str, tmp_path: Path) -> None:
    ev = Events()
    uids = [glass(f"R{i:04d}") for i in range(3)]
    events = [ev("start", uid=u, product="CG-AUR-A55", kind="glass") for u in uids]
    events += [e for u in uids for e in ev.visit(u, "IQC-01")]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    runner = CliRunner()
    assert runner.invoke(app, ["events", "import", str(path)]).exit_code == 0
    engine = make_engine(cli_db)
    with engine.begin() as conn:  # a tally that the records do not back: the recount drops it
        conn.execute(update(TrackOutTally).values(total=TrackOutTally.total + 7))
    result = runner.invoke(app, ["events", "recount", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"zone": "Asia/Kolkata", "slots": 1, "days": 1,
                                         "output": 0}  # fmt: skip
    with engine.connect() as conn:
        assert conn.scalar(select(func.sum(TrackOutTally.total))) == 3
        assert conn.scalar(select(func.sum(DayTally.total))) == 3
    engine.dispose()
    said = " ".join(runner.invoke(app, ["events", "recount"]).stdout.split())
    assert "half-hour rows 1, site-day rows 1 (Asia/Kolkata), output rows 0" in said
