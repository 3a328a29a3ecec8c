"""`forgeline aoi`: synth, train, eval and inspect from the command line, JSON documented."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from forgeline.cli.main import app
from forgeline.inspection.dataset import read_manifest

runner = CliRunner()


def test_synth_writes_images_masks_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    result = runner.invoke(
        app,
        [
            "aoi",
            "synth",
            "--n",
            "3",
            "--out",
            str(out),
            "--seed",
            "4",
            "--width",
            "256",
            "--height",
            "128",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = read_manifest(out)
    assert manifest["seed"] == 4 and len(manifest["images"]) == 3
    assert all(
        (out / r["image"]).is_file() and (out / r["instance_mask"]).is_file()
        for r in manifest["images"]
    )
    again = runner.invoke(app, ["aoi", "synth", "--n", "3", "--out", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_inspect_json_per_image_and_unreadable_file(
    model_path: Path, train_dir: Path, tmp_path: Path
) -> None:
    manifest = read_manifest(train_dir)
    record = next(r for r in manifest["images"] if r["defects"])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    small = tmp_path / "small.png"
    Image.new("L", (64, 32)).save(small)
    result = runner.invoke(
        app,
        [
            "aoi",
            "inspect",
            str(train_dir / record["image"]),
            str(bad),
            str(small),
            "--model",
            str(model_path),
            "--json",
        ],
    )
    assert result.exit_code == 1
    out = json.loads(result.stdout)["results"]
    first = out[0]
    assert first["verdict"] in {"pass", "reclean", "reject"} and first["mode"] == record["mode"]
    for d in first["defects"]:
        assert set(d) >= {"class", "code", "bbox", "area_px", "zone", "score", "violates"}
    assert "unreadable" in out[1]["error"] or "not a readable" in out[1]["error"]
    assert "model expects 512x256" in out[2]["error"]


def test_eval_json_reports_the_documented_figures(model_path: Path, tmp_path: Path) -> None:
    held = tmp_path / "held"
    assert (
        runner.invoke(
            app,
            [
                "aoi",
                "synth",
                "--n",
                "16",
                "--out",
                str(held),
                "--seed",
                "77",
                "--width",
                "512",
                "--height",
                "256",
                "--good-fraction",
                "0.5",
                "--workers",
                "1",
            ],
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app, ["aoi", "eval", str(held), "--model", str(model_path), "--json", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in (
        "false_reject_rate",
        "recall_by_class",
        "recall_target_by_class",
        "recall_by_bin",
        "confusion",
        "classification_accuracy",
        "rule_accuracy",
        "localisation_rate",
    ):
        assert key in report
    assert report["images"] == 16 and report["data"]["seed"] == 77
    total = sum(v["n"] for v in report["recall_by_class"].values())
    assert total == sum(len(r["defects"]) for r in read_manifest(held)["images"])
    # Accuracy per size bin adds up to the overall figure, over the found defects.
    by_size = report["classification_accuracy_by_size"]
    found = sum(v["found"] for v in report["recall_by_class"].values())
    assert sum(b["n"] for b in by_size.values()) == found > 0
    right = sum(b["correct"] for b in by_size.values())
    assert round(right / found, 4) == report["classification_accuracy"]
    edges = [float(k.removeprefix(">=").split("-")[0]) for k in by_size]
    assert edges == sorted(edges)


def test_train_refuses_a_directory_without_manifest(tmp_path: Path) -> None:
    result = runner.invoke(app, ["aoi", "train", str(tmp_path), "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == 2 and "no manifest.json" in result.output


def test_worker_processes_give_the_same_verdicts(model_path: Path, train_dir: Path) -> None:
    paths = [str(train_dir / r["image"]) for r in read_manifest(train_dir)["images"][:6]]
    runs = [
        runner.invoke(
            app, ["aoi", "inspect", *paths, "--model", str(model_path), "--json", "--workers", w]
        )
        for w in ("1", "2")
    ]
    assert all(r.exit_code == 0 for r in runs), runs[1].output
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)


def test_a_broken_plant_definition_is_a_clear_error(model_path: Path, tmp_path: Path) -> None:
    plant = tmp_path / "plant.yaml"
    plant.write_text("format_version: 1\nsite: [not, a, mapping\n")
    image = tmp_path / "x.png"
    Image.new("L", (512, 256)).save(image)
    result = runner.invoke(
        app, ["aoi", "inspect", str(image), "--model", str(model_path), "--plant", str(plant)]
    )
    assert result.exit_code == 2 and "cannot read plant definition" in result.output
