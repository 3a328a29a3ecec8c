"""`forgeline plant load` and `forgeline plant show` against a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forgeline.cli.main import app
from forgeline.plant.service import DEFAULT_PLANT
from tests.cli_kit import cli_environment
from tests.plant.conftest import edit

runner = CliRunner()


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with cli_environment(monkeypatch, tmp_path, db_url):
        yield


def test_load_then_load_again(cli_env: None) -> None:
    first = runner.invoke(app, ["plant", "load", str(DEFAULT_PLANT)])
    assert first.exit_code == 0, first.output
    assert "revision 1 (new)" in first.output
    again = runner.invoke(app, ["plant", "load", str(DEFAULT_PLANT), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["created"] is False
    assert json.loads(again.output)["revision"] == 1


def test_changed_file_is_revision_two(cli_env: None, tmp_path: Path) -> None:
    runner.invoke(app, ["plant", "load", str(DEFAULT_PLANT)])
    text, _ = edit(DEFAULT_PLANT.read_text(), 'version: "2025.12-phase1"', 'version: "2026.02"')
    changed = tmp_path / "plant.yaml"
    changed.write_text(text)
    result = runner.invoke(app, ["plant", "load", str(changed), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["revision"], body["created"]) == (2, True)


def test_invalid_file_names_line_and_field(cli_env: None, tmp_path: Path) -> None:
    text, line = edit(DEFAULT_PLANT.read_text(), "usl: 1200", "usl: 500")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    result = runner.invoke(app, ["plant", "load", str(bad)])
    assert result.exit_code == 1
    assert "plant.invalid_definition" in result.output
    assert f"bad.yaml:{line}:" in result.output.replace("\n", "")
    show = runner.invoke(app, ["plant", "show"])
    assert show.exit_code == 1 and "plant.not_loaded" in show.output


def test_missing_file(cli_env: None, tmp_path: Path) -> None:
    result = runner.invoke(app, ["plant", "load", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "plant.file_not_found" in result.output


def test_show_tree_and_json(cli_env: None) -> None:
    runner.invoke(app, ["plant", "load", str(DEFAULT_PLANT)])
    tree = runner.invoke(app, ["plant", "show"], env={"COLUMNS": "200"})
    assert tree.exit_code == 0, tree.output
    for expected in (
        "Site SPR-1",
        "Area CG-CHEM",
        "Line IOX-HALL",
        "IOX-01",
        "batch 3000",
        "SNT-S1P",
        "CG-STD",
        "rework -> RIOX (max 1)",
    ):
        assert expected in tree.output
    as_json = runner.invoke(app, ["plant", "show", "--json", "--revision", "1"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["revision"]["number"] == 1
    assert body["site"]["code"] == "SPR-1"
    iox_hall = next(
        line
        for area in body["site"]["areas"]
        for line in area["lines"]
        if line["code"] == "IOX-HALL"
    )
    assert iox_hall["stations"][0] == {
        "code": "IOX-01",
        "name": "IOX furnace 1",
        "station_type": "ion_exchange",
        "mode": "batch",
        "capacity": 1,
        "ideal_cycle_s": 28800.0,
        "batch_size": 3000,
    }
    missing = runner.invoke(app, ["plant", "show", "--revision", "9"])
    assert missing.exit_code == 1 and "plant.revision_not_found" in missing.output
