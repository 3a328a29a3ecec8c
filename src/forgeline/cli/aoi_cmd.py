"""`forgeline aoi`: generate ground truth, train, evaluate and run automated optical inspection.

These commands need no database: they work on image files and a model file.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from forgeline.cli.context import JsonOption, console, err_console, print_json
from forgeline.errors import DomainError
from forgeline.inspection import batch, decide, metrics, training
from forgeline.inspection.dataset import Recipe, read_manifest, write_dataset
from forgeline.inspection.limits import load_plant, zone_rules
from forgeline.inspection.store import load

app = typer.Typer(help="Automated optical inspection of cover glass.", no_args_is_help=True)
WorkersOption = typer.Option(
    min(os.cpu_count() or 1, 2), "--workers", min=1, help="worker processes"
)
PlantOption = typer.Option(None, "--plant", help="plant definition YAML (default: shipped plant)")
ModelOption = typer.Option(Path("aoi-model.npz"), "--model", help="model file from `aoi train`")


def _die(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


def _rules(plant: Path | None) -> dict[str, object]:
    try:
        return zone_rules(load_plant(plant))
    except (OSError, ValueError, DomainError) as exc:
        raise _die(f"cannot read plant definition: {exc}") from exc


@app.command("synth")
def synth(
    n: int = typer.Option(500, "--n", min=1, help="number of images"),
    out: Path = typer.Option(..., "--out", help="directory to create (must be empty)"),
    seed: int = typer.Option(0, "--seed"),
    width: int = typer.Option(2048, "--width", min=64),
    height: int = typer.Option(1024, "--height", min=64),
    good_fraction: float = typer.Option(0.8, "--good-fraction", min=0.0, max=1.0),
    workers: int = WorkersOption,
) -> None:
    """Write N generated images with class and instance masks and a manifest to OUT."""
    if width % 16 or height % 16:
        raise _die("--width and --height must be multiples of 16")
    try:
        manifest = write_dataset(
            Recipe(seed, width, height, good_fraction), n, out, workers=workers
        )
    except ValueError as exc:
        raise _die(str(exc)) from exc
    good = sum(1 for r in manifest["images"] if r["good"])
    defects = sum(len(r["defects"]) for r in manifest["images"])
    console.print(f"{n} images ({good} good, {defects} defects) written to {out}")


@app.command("train")
def train(
    directory: Path = typer.Argument(..., help="data set from `aoi synth`"),
    out: Path = typer.Option(..., "--out", help="model file to write"),
    fit_images: int = typer.Option(50, "--fit-images", min=2, help="good images per mode"),
    extra: list[Path] = typer.Option(
        [], "--extra", help="more data sets whose defect images only train the classifier"
    ),
    plant: Path | None = PlantOption,
    workers: int = WorkersOption,
    as_json: bool = JsonOption,
) -> None:
    """Learn good glass, calibrate thresholds and train the classifier from DIRECTORY."""
    try:
        report = training.train(
            directory,
            out,
            _rules(plant),
            fit_images=fit_images,
            workers=workers,
            extra=tuple(extra),
        )
    except ValueError as exc:
        raise _die(str(exc)) from exc
    if as_json:
        print_json(report)
        return
    cal = report["calibration"]
    console.print(f"model written to {out} (sha256 {report['sha256'][:12]})")
    console.print(f"thresholds {report['thresholds']} from {cal['images']} good images")
    if not cal["meets_300"]:
        console.print("[yellow]fewer than 300 calibration images: FRR is not established[/yellow]")
    console.print(f"classifier: {report['classifier_metrics']}")


@app.command("eval")
def evaluate(
    directory: Path = typer.Argument(..., help="held-out data set from `aoi synth`"),
    model: Path = ModelOption,
    plant: Path | None = PlantOption,
    workers: int = WorkersOption,
    as_json: bool = JsonOption,
) -> None:
    """Measure false rejects, recall, classification and localisation against ground truth."""
    try:
        manifest = read_manifest(directory)
        bundle = load(model)
    except ValueError as exc:
        raise _die(str(exc)) from exc
    jobs = [(str(directory), r) for r in manifest["images"]]
    records = list(batch.run(batch.evaluate, jobs, model, _rules(plant), workers=workers))
    report = metrics.summarise(records, bundle.model.thresholds)
    report["model"] = {"version": bundle.meta.get("version"), "sha256": bundle.meta.get("sha256")}
    report["data"] = {"directory": str(directory), "seed": manifest["seed"]}
    if as_json:
        print_json(report)
        return
    console.print(f"false-reject rate {report['false_reject_rate']} on {report['good_images']}")
    for cls, r in report["recall_target_by_class"].items():
        console.print(f"  recall {cls:8s} (CNR>=3, size>=3 px): {r['recall']} of {r['n']}")
    console.print(f"classification accuracy {report['classification_accuracy']}")


@app.command("inspect")
def inspect(
    images: list[Path] = typer.Argument(..., help="8-bit grey PNG/TIFF/BMP images"),
    model: Path = ModelOption,
    plant: Path | None = PlantOption,
    workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
    as_json: bool = JsonOption,
) -> None:
    """Verdict and defects for each IMAGE; exit status 1 when any image could not be read."""
    try:
        load(model)
    except ValueError as exc:
        raise _die(str(exc)) from exc
    paths = [str(p) for p in images]
    results = list(batch.run(batch.inspect_path, paths, model, _rules(plant), workers=workers))
    if as_json:
        print_json({"results": results})
    else:
        for r in results:
            if "error" in r:
                err_console.print(f"{r['image']}: [red]{r['error']}[/red]")
                continue
            colour = {decide.PASS: "green", decide.RECLEAN: "yellow"}.get(r["verdict"], "red")
            console.print(f"{r['image']}: [{colour}]{r['verdict']}[/{colour}]")
            for d in r["defects"]:
                console.print(
                    f"  {d['code']:5s} zone {d['zone']} bbox {d['bbox']} area {d['area_px']} px"
                    f" score {d['score']}"
                )
    if any("error" in r for r in results):
        raise typer.Exit(1)


__all__ = ["app"]
