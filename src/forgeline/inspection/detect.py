"""Defect detection against the good-glass model, tile by tile.

Per image: pick the mode (dark/bright field) by glass brightness, find the shift to the model,
predict the image (integer-shifted mean; on the sharp-edge band, the band copies interpolated at
the sub-pixel rest: see `model`), correct the gain, and turn the residual into a robust z score
((r - median) / (1.4826 MAD), statistics from a 1-in-32 pixel sample). Then, one tile of rows at
a time over the inspected area's bounding box, so that memory stays bounded for long line-scan
images, four channels:

* peak (fine): the 3 x 3 sum of z divided by 3 (unit noise), for small compact defects;
* thin: pixels with |z| above `THIN_LEVEL`, counted per connected blob, for 1-2 px lines whose
  single pixels are too faint for the peak channel but whose length adds up;
* area: z averaged over 8 x 8 px blocks, smoothed over 3 x 3 blocks and normalised again, for
  faint stains whose contrast only shows when integrated over area;
* edge: the peak channel within `EDGE_BAND_PX` of the outline or the hole, with a threshold of
  its own, for small chips.

Tiles write into 2 x 2 max-pooled (half resolution) maps, and blobs are the 8-connected
components of their union: pooling closes gaps of one pixel (the morphological closing step)
and makes labelling four times cheaper. A blob is a detection when any channel passes its
calibrated threshold; its features are then measured on the full-resolution crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from forgeline.inspection.geometry import F32
from forgeline.inspection.model import GoodGlassModel, ModeModel, box3

TILE_ROWS = 64  # a multiple of 16 (block size 8 x pooling 2); small tiles stay in cache
BLOCK = 8
THIN_LEVEL = 2.8
GROW_LEVEL = 3.5
AREA_GROW_LEVEL = 3.0
# Candidates below these are noise for certain (calibrated thresholds never go lower).
REPORT = {"peak": 4.5, "thin": 8.0, "area": 3.75, "edge": 4.0}
EIGHT = np.ones((3, 3), dtype=bool)
CHANNELS = ("peak", "thin", "area", "edge")
DEFAULT_THRESHOLDS = {"peak": 6.0, "thin": 14.0, "area": 5.0, "edge": 4.5}


class ImageError(ValueError):
    """The image cannot be inspected with this model (size, depth)."""


@dataclass(frozen=True)
class Context:
    """What maps image pixels to robust z: the aligned model views and the image statistics."""

    image: npt.NDArray[np.uint8]
    mode: ModeModel
    expected: F32  # gain x (the integer-shifted mean; sub-pixel-interpolated on the band)
    inv_sigma: F32
    inspected: F32  # 1 inside the inspected area, 0 outside
    quiet: npt.NDArray[np.bool_]
    gain: float
    median: float
    scale: float
    shift: tuple[float, float]

    def z(self, y0: int, y1: int, x0: int = 0, x1: int | None = None) -> F32:
        """Robust z of rows y0:y1, columns x0:x1."""
        x1 = self.image.shape[1] if x1 is None else x1
        r = np.subtract(self.image[y0:y1, x0:x1], self.expected[y0:y1, x0:x1], dtype=np.float32)
        r *= self.inv_sigma[y0:y1, x0:x1]
        r -= np.float32(self.median)
        r *= np.float32(self.scale)
        r *= self.inspected[y0:y1, x0:x1]
        return r


@dataclass(frozen=True)
class Candidate:
    """One blob before the thresholds: its half-resolution slices and channel scores."""

    rows: slice
    cols: slice
    label: int
    peak: float
    thin: float
    area: float
    edge: float


@dataclass(frozen=True)
class Scan:
    context: Context
    labels: npt.NDArray[np.int32]
    area_half: F32
    candidates: list[Candidate]

    def channel_maxima(self) -> dict[str, float]:
        return {
            ch: max((float(getattr(c, ch)) for c in self.candidates), default=0.0)
            for ch in CHANNELS
        }


def check_image(model: GoodGlassModel, image: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ImageError(f"need an 8-bit grey image, got {image.dtype} with {image.ndim} axes")
    if image.shape != model.shape:
        h, w = model.shape
        raise ImageError(f"image is {image.shape[1]}x{image.shape[0]} px, model expects {w}x{h}")
    return image


def context_for(model: GoodGlassModel, image: npt.NDArray[np.uint8]) -> Context:
    level = model.glass_median(image)
    mode = model.choose_mode(level)
    shift = mode.shift_of(image)
    view = mode.view(shift, image.shape)
    mean, inv = mode.mean[view], mode.inv_sigma[view]
    gr, gc = model.glass_rows, model.glass_cols
    gain = np.float32(level / max(float(np.median(mean[gr, gc])), 1e-3))
    expected = np.multiply(mean, gain)
    band_rows, band_cols, band_values = mode.band_prediction(shift, image.shape)
    expected[band_rows, band_cols] = band_values * gain
    sr, sc = model.sample_rows, model.sample_cols
    r = (image[sr, sc] - expected[sr, sc]) * inv[sr, sc]
    med = float(np.median(r))
    mad = 1.4826 * float(np.median(np.abs(r - med)))
    return Context(
        image,
        mode,
        expected,
        inv,
        model.inspected_weight,
        mode.quiet[view],
        float(gain),
        med,
        1.0 / max(mad, 1e-6),
        shift,
    )


def _block_mean(a: F32) -> F32:
    """Mean over BLOCK x BLOCK blocks, by adding strided slices (faster than reshape-mean)."""
    rows = a[0::BLOCK].copy()
    for k in range(1, BLOCK):
        rows += a[k::BLOCK]
    out = rows[:, 0::BLOCK].copy()
    for k in range(1, BLOCK):
        out += rows[:, k::BLOCK]
    out *= np.float32(1 / (BLOCK * BLOCK))
    return out


def _pool_max(a: F32) -> F32:
    return np.maximum(
        np.maximum(a[0::2, 0::2], a[1::2, 0::2]), np.maximum(a[0::2, 1::2], a[1::2, 1::2])
    )


def _robust(a: F32, where: npt.NDArray[np.bool_]) -> F32:
    values = a[where]
    med = float(np.median(values))
    mad = 1.4826 * float(np.median(np.abs(values - med)))
    return ((a - np.float32(med)) / np.float32(max(mad, 1e-6))).astype(np.float32)


def scan(model: GoodGlassModel, image: npt.NDArray[Any]) -> Scan:
    """Channels tile by tile, then the blobs of their union with per-channel scores."""
    ctx = context_for(model, check_image(model, image))
    h, w = image.shape
    if h % (2 * BLOCK) or w % (2 * BLOCK):
        raise ImageError(f"image sides must be multiples of {2 * BLOCK} px, got {w}x{h}")
    peak_half = np.zeros((h // 2, w // 2), dtype=np.float32)
    thin_half = np.zeros((h // 2, w // 2), dtype=np.float32)
    blocks = np.zeros((h // BLOCK, w // BLOCK), dtype=np.float32)
    # z is 0 outside the inspected area, so only its bounding box (in multiples of 16 px) needs
    # computing: the 3 x 3 sum beyond it would add zeros, exactly as the border does.
    (top, bottom), (left, right) = model.inspected_span(2 * BLOCK)
    for r0 in range(top, bottom, TILE_ROWS):
        r1 = min(r0 + TILE_ROWS, bottom)
        h0, h1 = max(r0 - 1, 0), min(r1 + 1, h)  # one row of halo for the 3 x 3 sum
        z = ctx.z(h0, h1, left, right)
        fine = box3(z)[r0 - h0 : r0 - h0 + (r1 - r0)]
        np.abs(fine, out=fine)
        core = z[r0 - h0 : r0 - h0 + (r1 - r0)]
        fine_pool = _pool_max(fine)
        fine_pool *= np.float32(1 / 3)
        peak_half[r0 // 2 : r1 // 2, left // 2 : right // 2] = fine_pool
        thin = np.abs(core) > THIN_LEVEL
        thin &= ctx.quiet[r0:r1, left:right]
        t = thin.view(np.uint8)
        thin_half[r0 // 2 : r1 // 2, left // 2 : right // 2] = (
            t[0::2, 0::2] + t[1::2, 0::2] + t[0::2, 1::2] + t[1::2, 1::2]
        )
        blocks[r0 // BLOCK : r1 // BLOCK, left // BLOCK : right // BLOCK] = _block_mean(core)
    inspected_blocks = ctx.inspected[BLOCK // 2 :: BLOCK, BLOCK // 2 :: BLOCK] > 0
    coarse = _robust(blocks * np.float32(BLOCK), inspected_blocks)
    smooth = _robust(box3(coarse) * np.float32(1 / 3), inspected_blocks)
    smooth[~inspected_blocks] = 0.0
    area = np.abs(smooth)
    rep = BLOCK // 2
    area_half = np.repeat(np.repeat(area, rep, axis=0), rep, axis=1)
    thin_hot = thin_half > 0
    candidate = (peak_half > GROW_LEVEL) | thin_hot | (area_half > AREA_GROW_LEVEL)
    labels, count = ndimage.label(candidate, structure=EIGHT)
    thins = np.bincount(labels[thin_hot], weights=thin_half[thin_hot], minlength=count + 1)
    peaks = _label_max(labels, peak_half, GROW_LEVEL, count)
    areas = _label_max(labels, area_half, AREA_GROW_LEVEL, count)
    # The edge channel is the peak channel within the band along the outline and the hole:
    # that band is about 2 % of the piece, so good glass reaches lower maxima there and a
    # threshold calibrated on the band alone finds the small, faint chips the piece-wide peak
    # threshold (set by the largest of all the piece's noise) misses.
    edge_rows, edge_cols = model.edge_band_half
    edges = np.zeros(count + 1, dtype=np.float32)
    edge_values = peak_half[edge_rows, edge_cols]
    hot = edge_values > GROW_LEVEL
    np.maximum.at(edges, labels[edge_rows[hot], edge_cols[hot]], edge_values[hot])
    thins[0] = peaks[0] = areas[0] = edges[0] = 0.0
    keep = np.nonzero(
        (peaks >= REPORT["peak"])
        | (thins >= REPORT["thin"])
        | (areas >= REPORT["area"])
        | (edges >= REPORT["edge"])
    )[0]
    lut = np.zeros(count + 1, dtype=np.int32)
    lut[keep] = np.arange(1, len(keep) + 1, dtype=np.int32)
    kept_labels = lut[labels]
    slices = ndimage.find_objects(kept_labels, max_label=len(keep))
    candidates = [
        Candidate(
            sl[0], sl[1], i + 1, float(peaks[k]), float(thins[k]), float(areas[k]), float(edges[k])
        )
        for i, (k, sl) in enumerate(zip(keep, slices, strict=True))
        if sl is not None
    ]
    return Scan(ctx, kept_labels, area_half, candidates)


def _label_max(labels: npt.NDArray[np.int32], values: F32, above: float, count: int) -> F32:
    """Per-label maximum of `values`, looking only at pixels above `above` (few): fast."""
    out = np.zeros(count + 1, dtype=np.float32)
    hot = values > above
    np.maximum.at(out, labels[hot], values[hot])
    return out


def passes(candidate: Candidate, thresholds: dict[str, float]) -> float:
    """The candidate's score: the largest channel value over its threshold (>= 1 detects)."""
    return max(
        float(getattr(candidate, ch)) / thresholds.get(ch, DEFAULT_THRESHOLDS[ch])
        for ch in CHANNELS
    )
