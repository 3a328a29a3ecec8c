"""`forgeline spc analyze` on the reference files (no database involved)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from forgeline.cli.main import app
from tests.quality.spc.reference_data import DATA

runner = CliRunner()


def spc(*args: str) -> Result:
    return runner.invoke(app, ["spc", "analyze", *args])


def ok_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = spc(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


PISTONRINGS = str(DATA / "pistonrings.txt")


def test_xbar_r_json_with_capability() -> None:
    doc = ok_json(
        PISTONRINGS,
        "--chart",
        "xbar-r",
        "--column",
        "diameter",
        "--subgroup-size",
        "5",
        "--phase1-rows",
        "1-25",
        "--lsl",
        "73.95",
        "--usl",
        "74.05",
        "--target",
        "74",
    )
    assert doc["chart"] == "xbar-r" and doc["points_total"] == 40 and doc["points_phase1"] == 25
    xbar, r = doc["series"]
    assert xbar["center"] == pytest.approx(74.00118, rel=1e-5)
    assert xbar["lcl"] == pytest.approx(73.98805, rel=1e-5)
    assert xbar["ucl"] == pytest.approx(74.0143, rel=1e-5)
    assert r["ucl"] == pytest.approx(0.04812533, rel=1e-5)
    assert doc["sigma"] == pytest.approx(0.009785039, rel=1e-5)
    assert doc["sigma_method"] == "uwave-r"
    beyond = next(v for v in doc["violations"] if v["rule"] == "nelson1")
    assert beyond["points"] == [37, 38, 39] and beyond["series"] == "xbar"
    point = doc["points"][36]
    assert point["point"] == 37 and point["phase"] == "II" and "nelson1" in point["rules"]
    assert point["xbar"] > point["xbar_ucl"]
    assert doc["points"][0]["rules"] == []
    cap = doc["capability"]
    assert round(cap["cp"]["estimate"], 2) == 1.70
    assert round(cap["cpk"]["estimate"], 2) == 1.66
    assert round(cap["cpm"]["estimate"], 2) == 1.69
    assert cap["normality"]["p_value"] > 0.05
    assert "NaN" not in json.dumps(doc)


def test_subgroup_and_phase_columns_give_the_same_chart() -> None:
    by_column = ok_json(
        PISTONRINGS,
        "--chart",
        "xbar-s",
        "--column",
        "diameter",
        "--subgroup-column",
        "sample",
        "--phase1-column",
        "trial",
    )
    assert by_column["series"][1]["center"] == pytest.approx(0.009240037, rel=1e-5)
    assert by_column["points"][25]["label"] == "26"


def test_attribute_and_individuals_charts() -> None:
    p = ok_json(
        str(DATA / "orangejuice.txt"),
        "--chart",
        "p",
        "--column",
        "D",
        "--size-column",
        "size",
        "--phase1-rows",
        "1-30",
    )
    assert p["series"][0]["center"] == pytest.approx(0.2313333, rel=1e-5)
    c = ok_json(
        str(DATA / "circuit.txt"),
        "--chart",
        "c",
        "--column",
        "x",
        "--phase1-column",
        "trial",
        "--rules",
        "we",
    )
    assert c["series"][0]["ucl"] == pytest.approx(33.21086, rel=1e-5)
    i = ok_json(
        str(DATA / "viscosity.txt"),
        "--chart",
        "i-mr",
        "--column",
        "viscosity",
        "--phase1-rows",
        "1-20",
        "--exclude",
        "4",
    )
    assert i["limits"]["excluded"] == [3]
    assert i["points"][0]["mr"] is None and i["points"][1]["mr"] is not None


def test_saved_limits_monitor_new_data(tmp_path: Path) -> None:
    saved = tmp_path / "limits.json"
    ok_json(
        str(DATA / "viscosity.txt"),
        "--chart",
        "i-mr",
        "--column",
        "viscosity",
        "--phase1-rows",
        "1-20",
        "--save-limits",
        str(saved),
    )
    stored = json.loads(saved.read_text())
    assert stored["chart"] == "i-mr" and stored["center"] == pytest.approx(34.088)
    doc = ok_json(
        str(DATA / "viscosity.txt"),
        "--chart",
        "i-mr",
        "--column",
        "viscosity",
        "--limits",
        str(saved),
    )
    assert doc["points_phase1"] == 0
    assert doc["series"][0]["ucl"] == pytest.approx(35.61096, rel=1e-5)


def test_readable_table_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "chart.png"
    result = spc(
        PISTONRINGS,
        "--chart",
        "xbar-r",
        "--column",
        "diameter",
        "--subgroup-size",
        "5",
        "--phase1-rows",
        "1-25",
        "--plot",
        str(out),
        "--lsl",
        "73.95",
        "--usl",
        "74.05",
    )
    assert result.exit_code == 0, result.output
    assert "out of control" in result.output and "nelson1" in result.output
    assert "Cpk" in result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "chart.svg"
    assert (
        spc(PISTONRINGS, "--chart", "i-mr", "--column", "diameter", "--plot", str(svg)).exit_code
        == 0
    )
    assert b"<svg" in svg.read_bytes()[:400]


def test_bad_csv_and_options_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("part,diameter\n1,74.01\n2,abc\n3,74.02\n")
    cases = [
        ([str(bad), "--chart", "i-mr", "--column", "diameter"], "line 3, column 'diameter'"),
        ([str(bad), "--chart", "i-mr", "--column", "width"], "no column 'width'"),
        ([str(tmp_path / "none.csv"), "--chart", "i-mr", "--column", "x"], "no such file"),
        ([PISTONRINGS, "--chart", "pie", "--column", "diameter"], "unknown chart 'pie'"),
        ([PISTONRINGS, "--chart", "xbar-r", "--column", "diameter"], "--subgroup-size"),
        (
            [PISTONRINGS, "--chart", "xbar-r", "--column", "diameter", "--subgroup-size", "3"],
            "do not split",
        ),
        (
            [PISTONRINGS, "--chart", "i-mr", "--column", "diameter", "--lsl", "5", "--usl", "4"],
            "must be below USL",
        ),
        (
            [PISTONRINGS, "--chart", "i-mr", "--column", "diameter", "--phase1-rows", "1-999"],
            "outside points",
        ),
        (
            [PISTONRINGS, "--chart", "i-mr", "--column", "diameter", "--rules", "nelson:9"],
            "rules 1 to 8",
        ),
        (
            [PISTONRINGS, "--chart", "i-mr", "--column", "diameter", "--plot", "x.gif"],
            ".png or .svg",
        ),
        ([PISTONRINGS, "--chart", "p", "--column", "diameter"], "--size-column"),
    ]
    for args, message in cases:
        result = spc(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in " ".join(result.output.split()), (message, result.output)
    missing = tmp_path / "missing.csv"
    missing.write_text("x\n1\n\n2\nNA\n")
    result = spc(str(missing), "--chart", "i-mr", "--column", "x")
    assert result.exit_code == 2 and "line 5" in result.output and "missing" in result.output
