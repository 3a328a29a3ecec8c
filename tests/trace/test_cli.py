"""`forgeline trace` against a real database holding the conftest genealogy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from forgeline.cli.main import app
from forgeline.db.engine import make_engine
from tests.cli_kit import cli_environment
from tests.trace.conftest import G1, G2, H1, S1, build_genealogy

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        build_genealogy(session)
        session.commit()
    engine.dispose()
    with cli_environment(monkeypatch, tmp_path, db_url):
        yield


def trace(*args: str, ok: bool = True) -> Result:
    result = runner.invoke(app, ["trace", *args], env={"COLUMNS": "200"})
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_backward_tree_shows_operations_components_and_lots(cli_env: None) -> None:
    out = trace(H1).output
    for expected in (
        f"Device history record of {H1}",
        "ASSY @ ASM-01 by carol",
        G1,
        "IOX @ IOX-01 by dave",
        "cycle IOX-RUN-1",
        "bath BATH-A",
        "na_wt_pct 0.25",
        "CS_MPA = 812 [700.0, 900.0]",
        "cut from",
        S1,
        "SHEET-LOT-1",
        "battery lot BATT-LOT-1",
        "hold",
    ):
        assert expected in out, expected


def test_backward_json_is_the_api_shape(cli_env: None) -> None:
    body = json.loads(trace(G2, "--json").stdout)
    assert body["subject"]["kind"] == "unit"
    assert body["unit"]["holds"][0]["target_code"] == "IOX-RUN-1"


def test_forward_table_with_counts_and_window(cli_env: None) -> None:
    out = trace(
        "CNC-01",
        "--forward",
        "--since",
        "2025-03-03T06:00:00+00:00",
        "--until",
        "2025-03-04T06:00:00+00:00",
    ).output
    assert "Forward trace of station CNC-01" in out
    assert "on_hold" in out and G2 in out and H1 in out
    body = json.loads(trace("IOX-RUN-1", "--forward", "--json").stdout)
    assert body["piece_counts"] == {"finished": 1, "on_hold": 1}
    assert [h["uid"] for h in body["handsets"]] == [H1]


def test_backward_of_a_bath_lists_its_analyses(cli_env: None) -> None:
    out = trace("BATH-A").output
    assert "analysis na_wt_pct 0.1" in out and "use --forward" in out


def test_unknown_identifier_fails_with_the_code(cli_env: None) -> None:
    result = trace("NOPE-1", ok=False)
    assert result.exit_code == 1
    assert "[trace.not_found]" in result.output
    bad = trace("CNC-01", "--forward", "--since", "yesterday", ok=False)
    assert bad.exit_code == 2
