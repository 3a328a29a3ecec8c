"""AOI throughput on 2048 x 1024 images in batch mode, and accuracy on a held-out set.

    .venv/bin/python bench/aoi.py                       # everything under var/bench/aoi/
    .venv/bin/python bench/aoi.py --images 64 --workers 2 --skip-eval

Makes (once, reused afterwards) a training set (`aoi synth --n 500 --seed 1`), 3,600 defect-only
images for the classifier (seeds 3, 5, 6, 7, 8 and 9, 600 each, `--good-fraction 0`: the
classifier gains about 1.5 points per doubling of its examples), a model (`aoi train ...
--extra`) and two held-out sets with other seeds: A (`--seed 2`, 400 images, 80 % good) and B
(`--seed 4`, 150 defect-only images). Throughput: the
first `--images` held-out PNG files inspected end to end (read, decode, detect, classify,
decide) by `batch.run` with 1 and with `--workers` processes, after a warm-up that loads the
model in every worker. Baseline measured in the same run, same pool: reading and decoding the
same files plus the floor of any golden-template method, one |image - mean| > 4 sigma
comparison and a connected-component labelling at full resolution. Both from the PNG files and
from the same images as uncompressed BMP (a camera frame needs no inflate; PNG decoding alone
is about 20 ms of CPU per 2048 x 1024 image). Also the CPU time (`time.process_time`, one
process) per image of decoding and of inspecting, which a shared machine does not distort as
much as wall time: images/s on N idle cores is about N / (decode + inspect). Accuracy: `aoi
eval` on held-out set A, and the classification on set B. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from forgeline.inspection import batch, metrics, pipeline, training
from forgeline.inspection.dataset import Recipe, read_manifest, write_dataset
from forgeline.inspection.images import read
from forgeline.inspection.limits import load_plant, zone_rules
from forgeline.inspection.store import load

ROOT = Path("var/bench/aoi")
CLASSIFIER_SEEDS = (3, 5, 6, 7, 8, 9)
CLASSIFIER_IMAGES = 600
SET_B = (4, 150)  # seed, defect-only images
_floor: dict[str, Any] = {}


def _floor_init(model_path: str) -> None:
    mode = next(iter(load(Path(model_path)).model.modes.values()))
    _floor["mean"] = mode.mean[8:-8, 8:-8]
    _floor["inv"] = mode.inv_sigma[8:-8, 8:-8]


def _floor_one(path: str) -> int:
    image = read(Path(path))
    hot = np.abs((image - _floor["mean"]) * _floor["inv"]) > 4.0
    return int(ndimage.label(hot)[1])


def _timed(fn: Any, items: list[str], workers: int, init: Any, initargs: tuple[Any, ...]) -> float:
    with ProcessPoolExecutor(workers, initializer=init, initargs=initargs) as pool:
        list(pool.map(fn, items[: workers * 2], chunksize=1))  # warm every worker
        start = time.perf_counter()
        list(pool.map(fn, items, chunksize=2))
        return time.perf_counter() - start


def _cpu_per_image(paths: list[str], model: Path, rules: dict[str, Any]) -> dict[str, float]:
    """CPU ms per image in this process: decoding the file, and inspecting the decoded image."""
    batch.init_worker(str(model), rules)
    bundle, code_rules = batch._state["bundle"], batch._state["rules"]
    start = time.process_time()
    decoded = [read(Path(p)) for p in paths]
    decode = time.process_time() - start
    pipeline.inspect(bundle, decoded[0], code_rules)  # warm
    start = time.process_time()
    for image in decoded:
        pipeline.inspect(bundle, image, code_rules)
    inspect = time.process_time() - start
    n = len(paths)
    return {
        "decode_ms": round(1000 * decode / n, 1),
        "inspect_ms": round(1000 * inspect / n, 1),
        "images_per_s_on_2_idle_cores": round(2 * n / (decode + inspect), 1),
    }


def _as_bmp(paths: list[str]) -> list[str]:
    """The same images as uncompressed BMP: what a camera frame costs to read (no inflate)."""
    out = ROOT / "bmp"
    out.mkdir(exist_ok=True)
    files = []
    for path in paths:
        target = out / (Path(path).stem + ".bmp")
        if not target.exists():
            Image.fromarray(read(Path(path))).save(target)
        files.append(str(target))
    return files


def _ensure(args: argparse.Namespace, rules: dict[str, Any]) -> tuple[Path, Path]:
    train_dir, held_dir, model = ROOT / "train", ROOT / "held", ROOT / "model.npz"
    extra_dirs = [ROOT / ("classifier" if s == 3 else f"classifier{s}") for s in CLASSIFIER_SEEDS]
    if not (train_dir / "manifest.json").exists():
        print("generating training set", file=sys.stderr)
        write_dataset(Recipe(seed=1), 500, train_dir, workers=args.workers)
    if not (held_dir / "manifest.json").exists():
        print("generating held-out set", file=sys.stderr)
        write_dataset(Recipe(seed=2), args.held, held_dir, workers=args.workers)
    for seed, extra_dir in zip(CLASSIFIER_SEEDS, extra_dirs, strict=True):
        if not (extra_dir / "manifest.json").exists():
            print(f"generating classifier examples, seed {seed}", file=sys.stderr)
            recipe = Recipe(seed=seed, good_fraction=0.0)
            write_dataset(recipe, CLASSIFIER_IMAGES, extra_dir, workers=args.workers)
    set_b = ROOT / "setB"
    if not (set_b / "manifest.json").exists():
        print("generating held-out set B", file=sys.stderr)
        write_dataset(
            Recipe(seed=SET_B[0], good_fraction=0.0), SET_B[1], set_b, workers=args.workers
        )
    if model.exists():
        try:
            load(model)
        except ValueError as exc:  # an older model format: train again
            print(f"retraining: {exc}", file=sys.stderr)
            model.unlink()
    if not model.exists():
        print("training", file=sys.stderr)
        training.train(train_dir, model, rules, workers=args.workers, extra=tuple(extra_dirs))
    return held_dir, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--held", type=int, default=400, help="held-out images to generate")
    parser.add_argument("--skip-eval", action="store_true")
    args = parser.parse_args()
    rules = zone_rules(load_plant())
    held_dir, model = _ensure(args, rules)
    manifest = read_manifest(held_dir)
    paths = [str(held_dir / r["image"]) for r in manifest["images"][: args.images]]
    init, initargs = batch.init_worker, (str(model), rules)
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
        "images": len(paths),
        "image_size": [manifest["width"], manifest["height"]],
    }
    raw = _as_bmp(paths)
    result["cpu_per_image_png"] = _cpu_per_image(paths, model, rules)
    result["cpu_per_image_bmp"] = _cpu_per_image(raw, model, rules)
    for fmt, files in (("png", paths), ("bmp", raw)):
        for workers in sorted({1, args.workers}):
            t = _timed(batch.inspect_path, files, workers, init, initargs)
            floor = _timed(_floor_one, files, workers, _floor_init, (str(model),))
            result[f"{fmt}_workers_{workers}"] = {
                "images_per_s": round(len(files) / t, 1),
                "ms_per_image": round(1000 * t / len(files), 1),
                "baseline_decode_and_threshold_images_per_s": round(len(files) / floor, 1),
                "ratio_to_baseline": round(floor / t, 3),
            }
    if not args.skip_eval:
        jobs = [(str(held_dir), r) for r in manifest["images"]]
        records = list(batch.run(batch.evaluate, jobs, model, rules, workers=args.workers))
        report = metrics.summarise(records, load(model).model.thresholds)
        result["accuracy"] = {
            k: report[k]
            for k in (
                "good_images",
                "false_reject_rate",
                "false_call_rate",
                "recall_target_by_class",
                "recall_by_class",
                "classification_accuracy",
                "classification_accuracy_by_size",
                "rule_accuracy",
                "localisation_rate",
                "confusion",
            )
        }
        set_b = ROOT / "setB"
        jobs = [(str(set_b), r) for r in read_manifest(set_b)["images"]]
        records = list(batch.run(batch.evaluate, jobs, model, rules, workers=args.workers))
        report = metrics.summarise(records, load(model).model.thresholds)
        result["accuracy_set_b"] = {
            k: report[k]
            for k in (
                "recall_target_by_class",
                "classification_accuracy",
                "classification_accuracy_by_size",
                "confusion",
            )
        }
    result["load_average_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
