"""Inspect one image end to end: detect, measure, classify, decide. Returns plain data."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from forgeline.inspection import classify, decide
from forgeline.inspection.detect import passes, scan
from forgeline.inspection.features import Blob, measure
from forgeline.inspection.store import Bundle

# A line-scan frame can hold hundreds of candidates; more than this is a failed image, not a
# piece with 500 defects, and measuring them all would stall the line.
MAX_DETECTIONS = 200


def detect_blobs(bundle: Bundle, image: npt.NDArray[Any]) -> tuple[list[Blob], dict[str, Any]]:
    s = scan(bundle.model, image)
    thresholds = bundle.model.thresholds
    hits = [(passes(c, thresholds), c) for c in s.candidates]
    hits = sorted((h for h in hits if h[0] >= 1.0), key=lambda h: -h[0])[:MAX_DETECTIONS]
    blobs = [b for score, c in hits if (b := measure(bundle.model, s, c, score)) is not None]
    info = {
        "mode": s.context.mode.mode,
        "shift_px": [round(v, 2) for v in s.context.shift],
        "gain": round(s.context.gain, 4),
        "channel_max": {k: round(v, 3) for k, v in s.channel_maxima().items()},
    }
    return blobs, info


def classify_blobs(bundle: Bundle, blobs: list[Blob]) -> list[str]:
    if not blobs:
        return []
    if bundle.forest is None:
        return [classify.rule_class(b.features) for b in blobs]
    return bundle.forest.predict(np.array([b.features for b in blobs]))


def inspect(
    bundle: Bundle, image: npt.NDArray[Any], rules: dict[str, decide.CodeRule]
) -> dict[str, Any]:
    """The verdict and each defect's class, box, area, zone, size and score."""
    blobs, info = detect_blobs(bundle, image)
    classes = classify_blobs(bundle, blobs)
    mm = bundle.model.geometry.mm_per_px
    findings = [
        decide.Finding(c, b.zone, b.length_px * mm, b.width_px * mm, b.diameter_px * mm)
        for b, c in zip(blobs, classes, strict=True)
    ]
    decision = decide.decide(findings, rules)
    defects = [
        {
            "class": c,
            "code": decide.CLASS_CODES[c],
            "bbox": list(b.bbox),
            "area_px": b.area_px,
            "zone": b.zone,
            "length_mm": round(f.length_mm, 3),
            "width_mm": round(f.width_mm, 3),
            "diameter_mm": round(f.diameter_mm, 3),
            "angle_deg": round(b.angle_deg, 1),
            "score": round(b.score, 3),
            "violates": i in decision.violating,
        }
        for i, (b, c, f) in enumerate(zip(blobs, classes, findings, strict=True))
    ]
    return {
        "verdict": decision.verdict,
        "reasons": list(decision.reasons),
        "defects": defects,
        **info,
    }
