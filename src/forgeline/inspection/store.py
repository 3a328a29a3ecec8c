"""One model file: the good-glass model arrays, thresholds and classifier, with a content hash.

The file is an uncompressed `.npz` loaded with `allow_pickle=False` (no code can ride in it);
the metadata (geometry, thresholds, classifier trees, training description and metrics) is one
JSON document stored as bytes. A SHA-256 over every array and the metadata is checked on load,
so a truncated or edited file is refused instead of inspecting with a damaged model.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from forgeline.inspection.classify import Forest
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.model import GoodGlassModel, ModeModel, build

FORMAT = "forgeline-aoi-model/3"
# Earlier formats, and why they cannot be read: their classifier saw other features.
OLDER_FORMATS = {
    "forgeline-aoi-model/1": "first-order edge model, fewer features",
    "forgeline-aoi-model/2": "classifier on 48 blob features, without the shape fits",
}
MODE_ARRAYS = (
    "mean",
    "inv_sigma",
    "quiet",
    "band_rows",
    "band_cols",
    "band_values",
    "row_grad",
    "col_grad",
)


@dataclass
class Bundle:
    """Everything inspection needs; `meta` holds version, training data and metrics."""

    model: GoodGlassModel
    forest: Forest | None
    meta: dict[str, Any]


def _digest(arrays: dict[str, npt.NDArray[Any]]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


def save(bundle: Bundle, path: Path) -> str:
    arrays: dict[str, npt.NDArray[Any]] = {}
    modes = {}
    for name, mode in bundle.model.modes.items():
        for field in MODE_ARRAYS:
            arrays[f"{name}.{field}"] = getattr(mode, field)
        modes[name] = {"glass_level": mode.glass_level, "trained_on": mode.trained_on}
    meta = dict(bundle.meta)
    meta.update(
        format=FORMAT,
        geometry=bundle.model.geometry.to_json(),
        thresholds=bundle.model.thresholds,
        modes=modes,
        classifier=bundle.forest.to_json() if bundle.forest else None,
    )
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    digest = _digest(arrays)
    arrays["sha256"] = np.frombuffer(digest.encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())
    return digest


def load(path: Path) -> Bundle:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable model file: {exc}") from exc
    stored = arrays.pop("sha256", None)
    if stored is None or "meta" not in arrays or bytes(stored).decode() != _digest(arrays):
        raise ValueError(f"{path} failed its integrity check (truncated or modified)")
    meta: dict[str, Any] = json.loads(bytes(arrays["meta"]).decode())
    meta["sha256"] = bytes(stored).decode()
    found = meta.get("format")
    if found in OLDER_FORMATS:
        raise ValueError(
            f"{path} is an older model file ({found}: {OLDER_FORMATS[found]}); this version "
            f"reads {FORMAT}: retrain it with `forgeline aoi train`"
        )
    if found != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file (retrain with `forgeline aoi train`)")
    modes = {}
    for name, info in meta["modes"].items():
        values = {field: arrays[f"{name}.{field}"] for field in MODE_ARRAYS}
        modes[name] = ModeModel(
            mode=name,
            glass_level=float(info["glass_level"]),
            trained_on=int(info["trained_on"]),
            **values,
        )
    model = build(PieceGeometry.from_json(meta["geometry"]), modes)
    model.thresholds = {k: float(v) for k, v in meta["thresholds"].items()}
    forest = Forest.from_json(meta["classifier"]) if meta.get("classifier") else None
    return Bundle(model, forest, meta)
