"""`forgeline plan capacity` and `forgeline simulate` from the command line."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.cli.main import app
from forgeline.db.engine import make_engine
from forgeline.db.session import make_session_factory, session_scope
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from tests.cli_kit import cli_environment


def test_plan_capacity_writes_table_csv_and_chart(tmp_path: Path) -> None:
    out, chart = tmp_path / "plan.csv", tmp_path / "plan.svg"
    result = CliRunner().invoke(app, ["plan", "capacity", "--ramp", "0.3,1", "--no-confirm",
                                      "--csv", str(out), "--chart", str(chart)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Year 2: 1 x nameplate" in result.output
    rows = list(csv.DictReader(out.open()))
    assert {r["year"] for r in rows} == {"1", "2"}
    cnc = [r for r in rows if r["group"] == "cnc"]
    assert int(cnc[1]["needed"]) > int(cnc[0]["needed"])
    assert chart.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_plan_capacity_refuses_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["plan", "capacity", "--ramp", "x", "--no-confirm"])
    assert bad.exit_code == 1 and "plan.ramp_invalid" in bad.output
    chart = runner.invoke(app, ["plan", "capacity", "--no-confirm", "--chart",
                                str(tmp_path / "c.gif")])  # fmt: skip
    assert chart.exit_code == 1 and "plan.chart_format" in chart.output
    missing = runner.invoke(app, ["plan", "capacity", "--no-confirm", "--plant",
                                  str(tmp_path / "none.yaml")])  # fmt: skip
    assert missing.exit_code == 1 and "plant.file_not_found" in missing.output


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with cli_environment(monkeypatch, tmp_path, db_url):
        engine = make_engine(db_url)
        with session_scope(make_session_factory(engine), write=True) as session:
            load_definition_file(session, DEFAULT_PLANT, SYSTEM_ACTOR)
        engine.dispose()
        yield db_url


def test_simulate_into_the_configured_database(cli_db: str) -> None:
    result = CliRunner().invoke(app, ["simulate", "--days", "0.5", "--scale", "0.005",
                                      "--seed", "4", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ingest"]["rejected"] == 0
    assert summary["started"] == summary["good"] + summary["scrapped"] + summary["in_process"]
    assert summary["ingest"]["accepted"] == summary["events"] > 0
    assert summary["oee"]  # Forgeline's OEE per station type over the simulated window


def test_simulate_with_the_handset_line(cli_db: str) -> None:
    result = CliRunner().invoke(app, ["simulate", "--days", "1.5", "--scale", "0.005",
                                      "--seed", "4", "--handsets", "0.5", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    handsets, security = summary["handsets"], summary["provisioning"]
    assert summary["ingest"]["rejected"] == 0 and security["refused"] == 0
    assert handsets["provisioned"] == security["issued"] > 0
    assert handsets["eol_checked"] == security["eol_passed"] > 0
    bad = CliRunner().invoke(app, ["simulate", "--handsets", "2"])
    assert bad.exit_code == 1 and "twin.handset_share_invalid" in bad.output


def test_simulate_refuses_a_bad_scale(cli_db: str) -> None:
    result = CliRunner().invoke(app, ["simulate", "--scale", "0"])
    assert result.exit_code == 1
    assert "twin.scale_invalid" in result.output


def test_demo_fills_a_fresh_database_and_stops_without_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cli_environment(monkeypatch, tmp_path, None):
        args = ["demo", "--days", "0.25", "--scale", "0.005", "--seed", "2", "--no-serve"]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Simulated 0.25 days" in result.output
    assert "one-time password" in result.output and "Ready in" in result.output
    assert (tmp_path / "data" / "demo" / "forgeline.db").is_file()
