"""Seeded ground truth: images of cover glass with defects of known class, size and contrast.

Each image is drawn from its own `numpy.random.Generator` seeded with (seed, index), so one image
can be regenerated alone. An image is the fused camera view of one piece (dark field: the per-pixel
maximum over several light directions; bright field: one coaxial view) with vignetting, a small
sub-pixel misregistration, gain drift and sensor noise; it comes with a class mask and an
instance mask. Contrast-to-noise (CNR) is the defect's peak contrast over the local noise sigma;
for stains it is the contrast of an 8 x 8 px area mean (contrast x 8 / sigma), because a stain is
found by integrating over area, not by its peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from forgeline.inspection import defects
from forgeline.inspection.geometry import F32, PieceGeometry

U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]

MODES = ("dark", "bright")
# Grey levels of background / glass / ink / edge line, and the vignetting depth, per mode.
LEVELS = {
    "dark": {"outside": 6.0, "glass": 28.0, "ink": 14.0, "edge": 110.0, "vignette": 0.22},
    "bright": {"outside": 225.0, "glass": 165.0, "ink": 40.0, "edge": 70.0, "vignette": 0.18},
}
READ_NOISE = 1.0
SHOT_GAIN = 0.15  # noise variance per grey level
MAX_SHIFT_PX = 2.5
# Sizes (px: length for lines, diameter otherwise) drawn per class.
SIZE_RANGE = {
    "scratch": (2.0, 260.0),
    "dig": (1.5, 12.0),
    "chip": (2.0, 16.0),
    "crack": (20.0, 320.0),
    "bubble": (2.5, 24.0),
    "stain": (20.0, 140.0),
    "dust": (1.5, 9.0),
}
CNR_RANGE = (1.5, 12.0)


def noise_sigma(level: F32 | float) -> Any:
    return np.sqrt(READ_NOISE**2 + SHOT_GAIN * np.maximum(level, 0.0))


@dataclass
class DefectTruth:
    instance: int
    cls: str
    cnr: float
    size_px: float
    bbox: tuple[int, int, int, int] = (0, 0, 0, 0)  # x0, y0, x1, y1 (exclusive)
    area_px: int = 0
    light_response: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "class": self.cls,
            "cnr": round(self.cnr, 3),
            "size_px": round(self.size_px, 2),
            "bbox": list(self.bbox),
            "area_px": self.area_px,
            "light_response": round(self.light_response, 3),
        }


@dataclass
class Sample:
    image: U8
    class_mask: U8
    instance_mask: U16
    mode: str
    lights: int
    shift: tuple[float, float]
    defects: list[DefectTruth] = field(default_factory=list)


def background(geom: PieceGeometry, mode: str, dy: float, dx: float, vignette: float) -> F32:
    """The noiseless piece: glass, printed border, camera hole, bright/dark edges, vignetting."""
    lv = LEVELS[mode]
    d_out = geom.outline_distance(dy, dx)
    d_hole = geom.hole_distance(dy, dx)
    glass = np.clip(0.5 - d_out, 0, 1) * np.clip(0.5 + d_hole, 0, 1)
    ink = np.clip(d_out + geom.ink_px + 0.5, 0, 1)
    body = lv["glass"] + (lv["ink"] - lv["glass"]) * ink
    img = lv["outside"] + (body - lv["outside"]) * glass
    edge = np.exp(-((d_out / 1.2) ** 2)) + np.exp(-((d_hole / 1.2) ** 2))
    img = img + (lv["edge"] - img) * np.clip(edge, 0, 1)
    ys = (np.arange(geom.height, dtype=np.float32) - geom.height / 2) / (geom.height / 2)
    xs = (np.arange(geom.width, dtype=np.float32) - geom.width / 2) / (geom.width / 2)
    r2 = ys[:, None] ** 2 * 0.5 + xs[None, :] ** 2 * 0.5
    result: F32 = (img * (1 - vignette * r2)).astype(np.float32)
    return result


def _light_response(rng: np.random.Generator, angle: float, lights: int) -> float:
    """Fused dark-field brightness of a line: the best of `lights` ring directions."""
    offset = float(rng.uniform(0, np.pi / lights))
    directions = offset + np.arange(lights) * np.pi / lights
    return float(np.max(np.abs(np.sin(angle - directions))))


def _place(rng: np.random.Generator, geom: PieceGeometry, cls: str, size: float) -> defects.Shape:
    d_out = geom.outline_distance()
    d_hole = geom.hole_distance()
    if cls in ("chip", "crack") and (cls == "chip" or rng.random() < 0.6):
        ys, xs = np.nonzero(np.abs(d_out) < 0.5)
        k = int(rng.integers(len(ys)))
        y, x = float(ys[k]), float(xs[k])
        if cls == "chip":
            half = defects.chip_patch_half(size)
            inside = d_out[int(y) - half : int(y) + half + 1, int(x) - half : int(x) + half + 1] < 0
            return defects.chip(y, x, size, inside)
        inward = float(np.arctan2(geom.height / 2 - y, geom.width / 2 - x))
        return defects.crack(rng, y, x, size, inward + float(rng.normal(0, 0.4)))
    keep_off = size / 2 + 4
    while True:
        y = float(rng.uniform(keep_off, geom.height - keep_off))
        x = float(rng.uniform(keep_off, geom.width - keep_off))
        iy, ix = int(y), int(x)
        if d_out[iy, ix] < -keep_off and d_hole[iy, ix] > keep_off:
            break
    return defects.in_glass(rng, cls, y, x, size)


def _sign(rng: np.random.Generator, cls: str, mode: str) -> float:
    if cls == "stain":
        return float(rng.choice([-1.0, 1.0]))
    return 1.0 if mode == "dark" else -1.0


def generate(
    seed: int,
    index: int,
    geom: PieceGeometry,
    *,
    n_defects: int,
    classes: tuple[str, ...] = defects.CLASSES,
    cnr_range: tuple[float, float] = CNR_RANGE,
) -> Sample:
    """One image; `n_defects` of 0 makes a good piece."""
    rng = np.random.default_rng([seed, index])
    mode = MODES[int(rng.integers(len(MODES)))]
    lights = int(rng.choice([2, 4, 8])) if mode == "dark" else 1
    dy, dx = (float(v) for v in rng.uniform(-MAX_SHIFT_PX, MAX_SHIFT_PX, 2))
    vignette = LEVELS[mode]["vignette"] + float(rng.normal(0, 0.004))
    clean = background(geom, mode, dy, dx, vignette)
    img = clean.copy()
    class_mask = np.zeros(clean.shape, dtype=np.uint8)
    instance_mask = np.zeros(clean.shape, dtype=np.uint16)
    truths: list[DefectTruth] = []
    for instance in range(1, n_defects + 1):
        cls = classes[int(rng.integers(len(classes)))]
        lo, hi = SIZE_RANGE[cls]
        size = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        size = min(size, 0.3 * geom.height)  # small test images: the defect must fit
        shape = _place(rng, geom, cls, size)
        y0, y1, x0, x1, prof, mask = defects.in_frame(shape, geom.height, geom.width)
        if not mask.any():
            continue
        level = float(np.median(clean[y0:y1, x0:x1][mask]))
        sigma = float(noise_sigma(level))
        cnr = float(rng.uniform(*cnr_range))
        response = 1.0
        if cls in defects.DIRECTIONAL and mode == "dark" and shape.angle is not None:
            response = _light_response(rng, shape.angle, lights)
            cnr *= response
        contrast = cnr * sigma / (8.0 if cls == "stain" else 1.0)
        img[y0:y1, x0:x1] += _sign(rng, cls, mode) * contrast * prof
        class_mask[y0:y1, x0:x1][mask] = defects.CLASS_ID[cls]
        instance_mask[y0:y1, x0:x1][mask] = instance
        truths.append(DefectTruth(instance, cls, cnr, size, light_response=response))
    gain = 1.0 + float(rng.normal(0, 0.01))
    img *= gain
    img += rng.standard_normal(img.shape, dtype=np.float32) * noise_sigma(img).astype(np.float32)
    final = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    kept = []
    for truth in truths:
        ys, xs = np.nonzero(instance_mask == truth.instance)
        if len(ys) == 0:  # drawn over by a later defect
            continue
        truth.bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        truth.area_px = len(ys)
        kept.append(truth)
    return Sample(final, class_mask, instance_mask, mode, lights, (dy, dx), kept)
