"""Many images at once in worker processes, each loading the model once.

Throughput comes from processes, not threads: numpy releases the GIL only inside big kernels,
and most of a 2048 x 1024 inspection is many medium-sized ones. Work is handed out a few images
at a time so a slow image does not hold the others back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from forgeline.inspection import classify, decide, images, pipeline
from forgeline.inspection.dataset import load_instances
from forgeline.inspection.detect import ImageError, scan
from forgeline.inspection.metrics import match
from forgeline.inspection.store import Bundle, load

T = TypeVar("T")
_state: dict[str, Any] = {}


def init_worker(model_path: str, rules: dict[str, Any]) -> None:
    _state["bundle"] = load(Path(model_path))
    _state["rules"] = decide.rules_from_json(rules)


def _bundle() -> Bundle:
    bundle: Bundle = _state["bundle"]
    return bundle


def inspect_path(path: str) -> dict[str, Any]:
    """The `aoi inspect` record of one image file (an `error` instead when it is unusable)."""
    try:
        image = images.read(Path(path), _bundle().model.shape)
    except ImageError as exc:
        return {"image": path, "error": str(exc)}
    return {"image": path, **pipeline.inspect(_bundle(), image, _state["rules"])}


def channel_maxima(path: str) -> dict[str, float]:
    return scan(_bundle().model, images.read(Path(path))).channel_maxima()


def evaluate(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """Inspect one generated image and compare with its ground truth."""
    root, record = job
    bundle = _bundle()
    image = images.read(Path(root) / record["image"], bundle.model.shape)
    blobs, _ = pipeline.detect_blobs(bundle, image)
    predicted = pipeline.classify_blobs(bundle, blobs)
    mm = bundle.model.geometry.mm_per_px
    findings = [
        decide.Finding(c, b.zone, b.length_px * mm, b.width_px * mm, b.diameter_px * mm)
        for b, c in zip(blobs, predicted, strict=True)
    ]
    verdict = decide.decide(findings, _state["rules"]).verdict
    detections = [
        {"bbox": b.bbox, "mask": b.mask, "class": c, "rule_class": classify.rule_class(b.features)}
        for b, c in zip(blobs, predicted, strict=True)
    ]
    truths: list[dict[str, Any]] = []
    false_calls = 0
    if record["defects"]:
        instances = load_instances(Path(root) / record["instance_mask"])
        truths, false_calls = match(detections, record["defects"], instances)
    labelled = {t["detection"]: t["class"] for t in truths if t["detection"] is not None}
    return {
        "name": record["name"],
        "good": record["good"],
        "verdict": verdict,
        "truths": truths,
        "false_calls": false_calls,
        "training": [(list(blobs[j].features), cls) for j, cls in labelled.items()],
    }


def run(
    fn: Callable[[Any], T],
    items: Sequence[Any],
    model_path: Path,
    rules: dict[str, Any],
    *,
    workers: int = 1,
) -> Iterator[T]:
    """`fn` over `items`, in order, in `workers` processes (1: in this process)."""
    if workers <= 1:
        init_worker(str(model_path), rules)
        yield from (fn(item) for item in items)
        return
    with ProcessPoolExecutor(
        workers, initializer=init_worker, initargs=(str(model_path), rules)
    ) as pool:
        yield from pool.map(fn, items, chunksize=2)


def to_json_line(result: dict[str, Any]) -> str:
    return json.dumps(result, separators=(",", ":"))
