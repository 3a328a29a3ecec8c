"""`aoi train`: learn good glass, calibrate thresholds, train the classifier, record it all.

Good images are split: up to `fit_images` per mode build the mean/variation images, and all the
other good images calibrate the thresholds (see `calibrate`; with 0 false rejects in n images
the 95 % upper bound on the rate is 3/n: 1 % for n = 300). The
classifier is trained on the detections that match a true defect in the defect images; a quarter
of those images is held out to report its accuracy (and the rules') before the final fit on all.
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from forgeline.inspection import batch, classify, store
from forgeline.inspection.dataset import load_gray, read_manifest
from forgeline.inspection.detect import CHANNELS, DEFAULT_THRESHOLDS
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.model import build, fit_mode

VERSION = "1.1"
MARGIN = 1.05
# Share of calibration images allowed a false call: 1 in 250, well inside the 1 % target.
ALLOWED_SHARE = 0.004


def calibrate(maxima: list[dict[str, float]]) -> tuple[dict[str, float], int]:
    """Thresholds 5 % above the largest channel values of the calibration images, after
    excusing the `ALLOWED_SHARE` of images that would force them highest (their false calls
    are counted, not hidden: the calibration false-call rate is excused / n)."""
    first = {ch: max((m[ch] for m in maxima), default=0.0) for ch in CHANNELS}
    excused = int(len(maxima) * ALLOWED_SHARE)

    def worst(m: dict[str, float]) -> float:
        return max(m[ch] / max(first[ch], 1e-9) for ch in CHANNELS)

    kept = sorted(maxima, key=worst)[: len(maxima) - excused] if excused else maxima
    thresholds = {
        ch: round(max(DEFAULT_THRESHOLDS[ch], max((m[ch] for m in kept), default=0.0) * MARGIN), 3)
        for ch in CHANNELS
    }
    return thresholds, excused


def train(
    directory: Path,
    out: Path,
    rules: dict[str, Any],
    *,
    fit_images: int = 50,
    workers: int = 1,
    extra: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """Train from `directory`; the defect images of the `extra` data sets (same image size) only
    add examples for the classifier."""
    manifest = read_manifest(directory)
    good = [r for r in manifest["images"] if r["good"]]
    fit_names: set[str] = set()
    modes = {}
    for mode in sorted({r["mode"] for r in good}):
        chosen = [r for r in good if r["mode"] == mode][:fit_images]
        fit_names.update(r["name"] for r in chosen)
        modes[mode] = fit_mode(mode, [load_gray(directory / r["image"]) for r in chosen])
    if not modes:
        raise ValueError(f"{directory} has no good images to learn good glass from")
    model = build(PieceGeometry.from_json(manifest["geometry"]), modes)
    model.thresholds = dict(DEFAULT_THRESHOLDS)
    meta: dict[str, Any] = {"version": VERSION}
    store.save(store.Bundle(model, None, meta), out)

    calibration = [str(directory / r["image"]) for r in good if r["name"] not in fit_names]
    maxima = list(batch.run(batch.channel_maxima, calibration, out, rules, workers=workers))
    model.thresholds, excused = calibrate(maxima)
    store.save(store.Bundle(model, None, meta), out)

    defect_records = [r for r in manifest["images"] if not r["good"]]
    jobs = [(str(directory), r) for r in defect_records]
    for more in extra:
        other = read_manifest(more)
        if (other["width"], other["height"]) != (manifest["width"], manifest["height"]):
            raise ValueError(f"{more} holds images of another size than {directory}")
        jobs += [(str(more), r) for r in other["images"] if not r["good"]]
    results = list(batch.run(batch.evaluate, jobs, out, rules, workers=workers))
    split = max(len(results) * 3 // 4, 1)
    train_rows = [row for res in results[:split] for row in res["training"]]
    held_rows = [row for res in results[split:] for row in res["training"]]
    classifier_metrics: dict[str, Any] = {"train_detections": len(train_rows)}
    forest = None
    if len({cls for _, cls in train_rows}) >= 2:
        trial = classify.train(np.array([f for f, _ in train_rows]), [c for _, c in train_rows])
        if held_rows:
            x = np.array([f for f, _ in held_rows])
            truth = [c for _, c in held_rows]
            predicted = trial.predict(x)
            rules_pred = [classify.rule_class(f) for f, _ in held_rows]
            classifier_metrics.update(
                held_out_detections=len(held_rows),
                held_out_accuracy=round(
                    float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)])), 4
                ),
                rule_accuracy=round(
                    float(np.mean([p == t for p, t in zip(rules_pred, truth, strict=True)])), 4
                ),
            )
        all_rows = train_rows + held_rows
        forest = classify.train(np.array([f for f, _ in all_rows]), [c for _, c in all_rows])
    meta.update(
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        training_data={
            "directory": str(directory),
            "seed": manifest["seed"],
            "images": len(manifest["images"]),
            "good_fit_per_mode": {m: mm.trained_on for m, mm in modes.items()},
            "good_calibration": len(calibration),
            "defect_images": len(defect_records),
            "classifier_extra": [
                {"directory": str(d), "seed": read_manifest(d)["seed"]} for d in extra
            ],
            "classifier_images": len(jobs),
        },
        calibration={
            "images": len(calibration),
            "meets_300": len(calibration) >= 300,
            "margin": MARGIN,
            "excused_images": excused,
            "false_call_rate": round(excused / len(maxima), 4) if maxima else None,
            "quantiles": {
                ch: {
                    q: round(float(np.quantile([m[ch] for m in maxima], float(q))), 3)
                    for q in ("0.5", "0.99", "1.0")
                }
                for ch in CHANNELS
            }
            if maxima
            else {},
        },
        classifier_metrics=classifier_metrics,
        python=platform.python_version(),
    )
    digest = store.save(store.Bundle(model, forest, meta), out)
    return {**meta, "thresholds": model.thresholds, "sha256": digest}
