"""The image an AOI camera takes of a simulated piece: the twin's defect drawn where it put it.

Built from the ground-truth generator's parts (`inspection.synth`: the piece's background in dark
or bright field, noise, gain; `inspection.defects`: the shapes), but where `synth.generate`
scatters defects at random, this draws the one defect the twin decided on: its class from the
plant code (SCR -> scratch ...), in the twin's zone as near its position as that zone allows, at a
size past the plant's limit for that code and zone and a contrast the detector should see
(CNR 6-12). A chip in zone B bites the camera hole, in zone C the outline. A good piece is clean
glass. Each image comes from its own generator, seeded with (run seed, image number), so the same
run renders the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from forgeline.inspection import defects, synth
from forgeline.inspection.geometry import OUTSIDE, ZONE_NAMES, PieceGeometry

RENDER_STREAM = 0xA02  # the image generators' stream, apart from the simulation's
CNR = (6.0, 12.0)
# The smallest drawn size per class (px: length for lines, diameter otherwise): plainly visible.
MIN_SIZE_PX = {"scratch": 12.0, "dig": 5.0, "chip": 6.0, "crack": 24.0, "bubble": 6.0,
               "stain": 30.0, "dust": 4.0}  # fmt: skip
BEYOND_LIMIT = 2.0  # a drawn defect is this many times the zone's size limit
INSET_PX = 3.0  # a defect's centre stays this far inside the glass (chips sit on an edge)


@dataclass(frozen=True)
class Drawn:
    """The defect the twin decided on, as the camera should see it."""

    cls: str  # the generator's class (scratch, dig, ...)
    code: str  # the plant's defect code
    zone: str | None
    x_mm: float | None  # on the outline, from its left (long) edge
    y_mm: float | None  # from its top edge


def render(
    geom: PieceGeometry, rules: dict[str, Any], seed: int, index: int, defect: Drawn | None
) -> bytes:
    """The PNG of one piece (8-bit grey, the model's size) with `defect`, or clean."""
    rng = np.random.default_rng([seed, index, RENDER_STREAM])
    mode = synth.MODES[int(rng.integers(len(synth.MODES)))]
    lights = int(rng.choice([2, 4, 8])) if mode == "dark" else 1
    dy, dx = (float(v) for v in rng.uniform(-synth.MAX_SHIFT_PX, synth.MAX_SHIFT_PX, 2))
    vignette = synth.LEVELS[mode]["vignette"] + float(rng.normal(0, 0.004))
    clean = synth.background(geom, mode, dy, dx, vignette)
    img = clean.copy()
    if defect is not None:
        _draw(img, clean, rng, geom, rules, defect, mode, lights)
    img *= 1.0 + float(rng.normal(0, 0.01))
    noise = synth.noise_sigma(img).astype(np.float32)
    img += rng.standard_normal(img.shape, dtype=np.float32) * noise
    final = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(final).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _draw(
    img: npt.NDArray[np.float32],
    clean: npt.NDArray[np.float32],
    rng: np.random.Generator,
    geom: PieceGeometry,
    rules: dict[str, Any],
    defect: Drawn,
    mode: str,
    lights: int,
) -> None:
    size = size_px(geom, rules, defect, rng)
    y, x = place(geom, defect, rng)
    shape = _shape(rng, geom, defect, y, x, size)
    y0, y1, x0, x1, prof, mask = defects.in_frame(shape, geom.height, geom.width)
    if not mask.any():
        return
    level = float(np.median(clean[y0:y1, x0:x1][mask]))
    cnr = float(rng.uniform(*CNR))
    if defect.cls in defects.DIRECTIONAL and mode == "dark" and shape.angle is not None:
        # Fused dark field: a line is as bright as the best of the ring's light directions.
        offset = float(rng.uniform(0, np.pi / lights))
        directions = offset + np.arange(lights) * np.pi / lights
        cnr *= float(np.max(np.abs(np.sin(shape.angle - directions))))
    contrast = cnr * float(synth.noise_sigma(level)) / (8.0 if defect.cls == "stain" else 1.0)
    sign = float(rng.choice([-1.0, 1.0])) if defect.cls == "stain" else 1.0
    if defect.cls != "stain" and mode == "bright":
        sign = -1.0
    img[y0:y1, x0:x1] += sign * contrast * prof


def size_px(
    geom: PieceGeometry, rules: dict[str, Any], defect: Drawn, rng: np.random.Generator
) -> float:
    """Past the zone's limit (length or diameter) for the code, and never below plainly
    visible; within the generator's range for the class and a third of the image height."""
    limits = rules.get(defect.code, {}).get("limits", {}).get(defect.zone or "", {})
    bounds = [limits.get(k) for k in ("max_length_mm", "max_diameter_mm")]
    bound_mm = max((b for b in bounds if b is not None), default=0.0)
    lo, hi = synth.SIZE_RANGE[defect.cls]
    wanted = max(MIN_SIZE_PX[defect.cls], BEYOND_LIMIT * bound_mm / geom.mm_per_px, lo)
    return float(min(wanted * rng.uniform(1.0, 1.4), hi, 0.3 * geom.height))


def place(geom: PieceGeometry, defect: Drawn, rng: np.random.Generator) -> tuple[float, float]:
    """The pixel (y, x) for the defect: the twin's position, moved to the nearest pixel of the
    twin's zone that suits the class (an edge for a chip, inside the glass otherwise)."""
    if defect.x_mm is not None and defect.y_mm is not None:
        ty = geom.margin_px + defect.y_mm / geom.mm_per_px
        tx = geom.margin_px + defect.x_mm / geom.mm_per_px
    else:
        ty = float(rng.uniform(geom.margin_px, geom.height - geom.margin_px))
        tx = float(rng.uniform(geom.margin_px, geom.width - geom.margin_px))
    ys, xs = _candidates(geom, defect.zone, defect.cls == "chip")
    k = int(np.argmin((ys - ty) ** 2 + (xs - tx) ** 2))
    return float(ys[k]), float(xs[k])


@lru_cache(maxsize=32)
def _candidates(
    geom: PieceGeometry, zone: str | None, edge: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    zones = geom.zone_map()
    d_out, d_hole = geom.outline_distance(), geom.hole_distance()
    if edge:  # zone B's edge is the camera hole's, zone C's the outline
        ok = np.abs(d_hole) < 0.5 if zone == "B" else np.abs(d_out) < 0.5
    else:
        ok = (d_out < -INSET_PX) & (d_hole > INSET_PX)
        codes = [c for c, name in ZONE_NAMES.items() if name == zone]
        ok &= zones == codes[0] if codes else zones != OUTSIDE
    if not ok.any():
        ok = (d_out < -INSET_PX) & (d_hole > INSET_PX)
    ys, xs = np.nonzero(ok)
    return ys.astype(np.float64), xs.astype(np.float64)


def _shape(
    rng: np.random.Generator, geom: PieceGeometry, defect: Drawn, y: float, x: float, size: float
) -> defects.Shape:
    cls = defect.cls
    if cls == "chip":
        half = defects.chip_patch_half(size)
        iy, ix = int(y), int(x)
        window = (slice(iy - half, iy + half + 1), slice(ix - half, ix + half + 1))
        hole = defect.zone == "B"
        patch = _padded(geom.hole_distance() if hole else geom.outline_distance(), window)
        return defects.chip(y, x, size, patch > 0 if hole else patch < 0)
    return defects.in_glass(rng, cls, y, x, size)


def _padded(
    distance: npt.NDArray[np.float32], window: tuple[slice, slice]
) -> npt.NDArray[np.float32]:
    """The window of a distance map, edge-padded where it runs off the image."""
    pad = max(
        0, -window[0].start, -window[1].start,
        window[0].stop - distance.shape[0], window[1].stop - distance.shape[1],
    )  # fmt: skip
    padded = np.pad(distance, pad, mode="edge") if pad else distance
    rows = slice(window[0].start + pad, window[0].stop + pad)
    cols = slice(window[1].start + pad, window[1].stop + pad)
    result: npt.NDArray[np.float32] = padded[rows, cols]
    return result
