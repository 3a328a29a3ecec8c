"""How good inspection is, measured against ground truth.

A true defect is *found* when a detection's box overlaps the defect's box grown by `TOLERANCE`
px, and *localised* when the detection's pixels overlap the defect's mask grown by the same band
(pixel IoU is meaningless for 1-2 px scratches). The class of a found defect is the class of the
detection overlapping most of its mask. Bins: CNR as the generator defines it (peak contrast
over noise sigma; 8 x 8 area contrast for stains), size in px (length or diameter).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from forgeline.inspection.defects import CLASSES

TOLERANCE = 2
CNR_BINS = (0.0, 3.0, 5.0, 8.0, float("inf"))
SIZE_BINS = (0.0, 3.0, 6.0, 12.0, 30.0, float("inf"))
TARGET_CLASSES = ("scratch", "dig", "chip", "crack", "bubble")


def _bin(value: float, edges: tuple[float, ...]) -> str:
    for lo, hi in pairwise(edges):
        if lo <= value < hi:
            return f"{lo:g}-{hi:g}" if hi != float("inf") else f">={lo:g}"
    return "?"


def match(
    detections: list[dict[str, Any]],
    truths: list[dict[str, Any]],
    instances: npt.NDArray[np.int32],
) -> tuple[list[dict[str, Any]], int]:
    """Per true defect: found, localised, predicted class; plus the count of false calls."""
    used: set[int] = set()
    out = []
    for t in truths:
        x0, y0, x1, y1 = t["bbox"]
        gx0, gy0, gx1, gy1 = x0 - TOLERANCE, y0 - TOLERANCE, x1 + TOLERANCE, y1 + TOLERANCE
        best, best_overlap, localised = None, -1, False
        for j, d in enumerate(detections):
            dx0, dy0, dx1, dy1 = d["bbox"]
            if dx0 >= gx1 or dx1 <= gx0 or dy0 >= gy1 or dy1 <= gy0:
                continue
            used.add(j)
            cy0, cx0 = max(dy0, gy0, 0), max(dx0, gx0, 0)
            cy1 = min(dy1, gy1, instances.shape[0])
            cx1 = min(dx1, gx1, instances.shape[1])
            truth = ndimage.binary_dilation(
                instances[cy0:cy1, cx0:cx1] == t["instance"], iterations=TOLERANCE
            )
            mask = d["mask"][cy0 - dy0 : cy1 - dy0, cx0 - dx0 : cx1 - dx0]
            overlap = int((truth & mask).sum())
            localised = localised or overlap > 0
            if overlap > best_overlap:
                best, best_overlap = j, overlap
        out.append(
            {
                "class": t["class"],
                "cnr": t["cnr"],
                "size_px": t["size_px"],
                "found": best is not None,
                "detection": best,
                "localised": localised,
                "predicted": detections[best]["class"] if best is not None else None,
                "rule_predicted": detections[best]["rule_class"] if best is not None else None,
            }
        )
    return out, len(detections) - len(used)


def _recall(items: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(items)
    found = sum(1 for i in items if i["found"])
    return {"n": n, "found": found, "recall": round(found / n, 4) if n else None}


def summarise(records: list[dict[str, Any]], thresholds: dict[str, float]) -> dict[str, Any]:
    """The evaluation report (the `aoi eval --json` format)."""
    good = [r for r in records if r["good"]]
    false_rejects = sum(1 for r in good if r["verdict"] == "reject")
    false_calls = sum(1 for r in good if r["verdict"] != "pass")
    truths = [t for r in records for t in r["truths"]]
    by_class = {c: _recall([t for t in truths if t["class"] == c]) for c in CLASSES}
    target = [t for t in truths if t["cnr"] >= 3 and t["size_px"] >= 3]
    by_bin: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for c in CLASSES:
        rows = [t for t in truths if t["class"] == c]
        for b in sorted({_bin(t["cnr"], CNR_BINS) for t in rows}):
            by_bin[c][f"cnr {b}"] = _recall([t for t in rows if _bin(t["cnr"], CNR_BINS) == b])
        for b in sorted({_bin(t["size_px"], SIZE_BINS) for t in rows}):
            by_bin[c][f"size {b}"] = _recall(
                [t for t in rows if _bin(t["size_px"], SIZE_BINS) == b]
            )
    found = [t for t in truths if t["found"]]
    confusion: Counter[tuple[str, str]] = Counter((t["class"], t["predicted"]) for t in found)
    correct = sum(1 for t in found if t["class"] == t["predicted"])
    # Per size bin, smallest first: [found, correct].
    by_size = {_bin(lo, SIZE_BINS): [0, 0] for lo in SIZE_BINS[:-1]}
    for t in found:
        tally = by_size[_bin(t["size_px"], SIZE_BINS)]
        tally[0] += 1
        tally[1] += t["class"] == t["predicted"]
    accuracy_by_size = {
        b: {"n": n, "correct": right, "accuracy": round(right / n, 4)}
        for b, (n, right) in by_size.items()
        if n
    }
    rule_correct = sum(1 for t in found if t["class"] == t["rule_predicted"])
    defect_images = [r for r in records if not r["good"]]
    caught = sum(1 for r in defect_images if r["verdict"] != "pass")
    return {
        "images": len(records),
        "good_images": len(good),
        "thresholds": thresholds,
        "false_reject_rate": round(false_rejects / len(good), 4) if good else None,
        "false_rejects": false_rejects,
        "false_call_rate": round(false_calls / len(good), 4) if good else None,
        "frr_upper_95": round(3 / len(good), 4) if good and not false_rejects else None,
        "defect_images_flagged": round(caught / len(defect_images), 4) if defect_images else None,
        "recall_by_class": by_class,
        "recall_target_by_class": {
            c: _recall([t for t in target if t["class"] == c]) for c in CLASSES
        },
        "recall_by_bin": dict(by_bin),
        "localisation_rate": round(sum(t["localised"] for t in found) / len(found), 4)
        if found
        else None,
        "classification_accuracy": round(correct / len(found), 4) if found else None,
        "classification_accuracy_by_size": accuracy_by_size,
        "rule_accuracy": round(rule_correct / len(found), 4) if found else None,
        "confusion": {
            c: {p: confusion[(c, p)] for p in CLASSES if confusion[(c, p)]} for c in CLASSES
        },
        "false_calls_on_defect_images": sum(r["false_calls"] for r in defect_images),
    }
