"""A generated data set on disk: images, class and instance masks, and a manifest.

Layout of DIR: `manifest.json`, `images/NNNNN.png` (8-bit grey), `masks/NNNNN_class.png`
(8-bit, 0 = no defect, else the index in `defects.CLASSES` + 1) and `masks/NNNNN_inst.png`
(16-bit, 0 = none, else the instance number in the manifest).
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from forgeline.inspection import defects, synth
from forgeline.inspection.geometry import PieceGeometry

FORMAT = "forgeline-aoi-dataset/1"


@dataclass(frozen=True)
class Recipe:
    seed: int
    width: int = 2048
    height: int = 1024
    good_fraction: float = 0.8
    max_defects: int = 6  # a defect image carries 1..6: enough examples to train on


def _defect_count(recipe: Recipe, index: int) -> int:
    rng = np.random.default_rng([recipe.seed, index, 1])
    if rng.random() < recipe.good_fraction:
        return 0
    return int(rng.integers(1, recipe.max_defects + 1))


def _write_one(args: tuple[Recipe, int, Path]) -> dict[str, Any]:
    recipe, index, out = args
    geom = PieceGeometry.for_image(recipe.width, recipe.height)
    sample = synth.generate(recipe.seed, index, geom, n_defects=_defect_count(recipe, index))
    name = f"{index:05d}"
    Image.fromarray(sample.image).save(out / "images" / f"{name}.png", compress_level=1)
    Image.fromarray(sample.class_mask).save(out / "masks" / f"{name}_class.png", compress_level=1)
    Image.fromarray(sample.instance_mask).save(out / "masks" / f"{name}_inst.png", compress_level=1)
    return {
        "name": name,
        "image": f"images/{name}.png",
        "class_mask": f"masks/{name}_class.png",
        "instance_mask": f"masks/{name}_inst.png",
        "mode": sample.mode,
        "lights": sample.lights,
        "shift_px": [round(v, 3) for v in sample.shift],
        "good": not sample.defects,
        "defects": [d.to_json() for d in sample.defects],
    }


def write_dataset(recipe: Recipe, n: int, out: Path, *, workers: int = 1) -> dict[str, Any]:
    """Generate `n` images into `out` (created; must be empty or absent)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty")
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    jobs = [(recipe, i, out) for i in range(n)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            records = list(pool.map(_write_one, jobs, chunksize=4))
    else:
        records = [_write_one(job) for job in jobs]
    geom = PieceGeometry.for_image(recipe.width, recipe.height)
    manifest = {
        "format": FORMAT,
        "seed": recipe.seed,
        "width": recipe.width,
        "height": recipe.height,
        "good_fraction": recipe.good_fraction,
        "max_defects": recipe.max_defects,
        "classes": list(defects.CLASSES),
        "geometry": geom.to_json(),
        "cnr_definition": "peak contrast / local noise sigma; stains: 8x8 px area-mean contrast",
        "images": records,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / "manifest.json"
    if not path.is_file():
        raise ValueError(f"{directory} has no manifest.json (make one with `forgeline aoi synth`)")
    data: dict[str, Any] = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} manifest")
    return data


def load_gray(path: Path) -> np.ndarray[Any, np.dtype[np.uint8]]:
    with Image.open(path) as img:
        return np.asarray(img.convert("L") if img.mode != "L" else img, dtype=np.uint8)


def load_instances(path: Path) -> np.ndarray[Any, np.dtype[np.int32]]:
    with Image.open(path) as img:
        return np.asarray(img, dtype=np.int32)
