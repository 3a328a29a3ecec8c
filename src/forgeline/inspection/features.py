"""Blob features measured on the full-resolution crop of a detected candidate.

The blob's pixels are its half-resolution region (doubled) where the pixel itself stands out
(|z| above the thin level, or the 3 x 3 peak channel above the grow level), or, for a blob
found only by the area channel, the region itself. Shape comes from second moments: for a line
of length L the major length sqrt(12 * variance) is L, for a 1 px line the minor length is 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from forgeline.inspection import shape_fit
from forgeline.inspection.detect import (
    GROW_LEVEL,
    THIN_LEVEL,
    Candidate,
    Scan,
)
from forgeline.inspection.geometry import OUTSIDE, ZONE_NAMES
from forgeline.inspection.model import GoodGlassModel, box3

FEATURE_NAMES = (
    "log_area",
    "major_px",
    "minor_px",
    "elongation",
    "fill",
    "bbox_fill",
    "peak",
    "mean_abs_z",
    "log_sum_z",
    "flatness",
    "centre_ratio",
    "polarity",
    "edge_px",
    "area_score",
    "parts",
    "thin_share",
    "bright_field",
    "raw_halfmax_share",
    "rim_ratio",
    "raw_peak",
    "compactness",
    "ring_0",
    "ring_1",
    "ring_2",
    "ring_3",
    "ring_4",
    "scaled_ring_0",
    "scaled_ring_1",
    "scaled_ring_2",
    "flat_top",
    "outside_ratio",
    "smooth_peak",
    "coherence",
    "signed_share",
    "sorted_3",
    "sorted_5",
    "sorted_8",
    "sorted_12",
    "sorted_18",
    "sorted_24",
    "half_count",
    "quarter_count",
    "cross_ratio",
    "diagonal_ratio",
    "asymmetry",
    "weighted_major",
    "weighted_minor",
    "weighted_elongation",
    "wiggle",
    "centreline_spread",
    *shape_fit.NAMES,
    *shape_fit.RADIAL_NAMES,
)
SORTED_RANKS = (3, 5, 8, 12, 18, 24)
# Rings (px from the blob's centre) of the radial contrast profile.
RINGS = (0.0, 1.0, 2.0, 3.0, 4.5, 6.5)
SCALED_RINGS = (0.0, 0.6, 1.2, 2.0)
PROFILE_HALF = 12
EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class Blob:
    """A detection: where it is, how big, and the features the classifier sees."""

    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), image pixels
    area_px: int
    length_px: float
    width_px: float
    diameter_px: float
    angle_deg: float
    zone: str
    score: float
    features: tuple[float, ...]
    mask: npt.NDArray[np.bool_]  # within bbox


def _rim_ratio(mask: npt.NDArray[np.bool_], absz: npt.NDArray[np.float32]) -> float:
    """Mean |z| on the blob's outer pixels over that inside: high for a bubble's bright rim,
    near 1 for a sharp-edged pit, low for a soft particle."""
    inner = ndimage.binary_erosion(mask, structure=EIGHT)
    rim = mask & ~inner
    if not inner.any() or not rim.any():
        return 1.0
    return float(absz[rim].mean()) / max(float(absz[inner].mean()), 1e-6)


def _profile(
    ctx_z: npt.NDArray[np.float32], cy: float, cx: float, radius: float, sign: float
) -> tuple[float, ...]:
    """The blob's radial contrast profile around (cy, cx) in the window `ctx_z` (signed so the
    defect is positive): ring means at fixed radii and at radii relative to the blob's own
    radius, each over the largest ring mean; a flat-top index ((sum / peak) / (2 pi <r^2>):
    1 for a sharp disc, 0.5 for a soft Gaussian particle, above 1 for a rim); the 3 x 3
    smoothed peak."""
    h, w = ctx_z.shape
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot(yy - cy, xx - cx)
    v = ctx_z * np.float32(sign)
    fixed = []
    for lo, hi in pairwise(RINGS):
        sel = (r >= lo) & (r < hi)
        fixed.append(float(v[sel].mean()) if sel.any() else 0.0)
    scaled = []
    for lo, hi in pairwise(SCALED_RINGS):
        sel = (r >= lo * radius) & (r < max(hi * radius, lo * radius + 1.0))
        scaled.append(float(v[sel].mean()) if sel.any() else 0.0)
    top = max(*fixed, 1e-3)
    stop = max(*scaled, 1e-3)
    smooth = box3(v) * np.float32(1 / 9)
    peak = max(float(smooth.max()), 1e-3)
    near = r < max(2.5 * radius, 3.0)
    pos = np.clip(v, 0.0, None) * near
    total = float(pos.sum())
    m2 = float((pos * r**2).sum()) / max(total, 1e-6)
    flat = (total / peak) / max(2 * np.pi * m2, 1e-3)
    head = (*(f / top for f in fixed), *(f / stop for f in scaled), min(flat, 5.0), peak)
    # Rotation-free shape of a small blob: the 7 x 7 px around its centre, sorted, over the mean
    # of the top 3 (a flat pit stays high for many ranks, a soft particle falls fast).
    iy, ix = round(cy), round(cx)
    patch = v[max(iy - 3, 0) : iy + 4, max(ix - 3, 0) : ix + 4].ravel()
    ranked = np.sort(patch)[::-1]
    amp = max(float(ranked[:3].mean()), 1e-3)
    ranks = tuple(float(ranked[k]) / amp if k < len(ranked) else 0.0 for k in SORTED_RANKS)
    counts = (float((patch > 0.5 * amp).sum()), float((patch > 0.25 * amp).sum()))
    return (*head, *ranks, *counts, *_small_shape(v, iy, ix))


def _small_shape(v: npt.NDArray[np.float32], iy: int, ix: int) -> tuple[float, ...]:
    """Around the brightest pixel near (iy, ix): its 4-neighbours and diagonals over it (a pit
    is centred on a pixel and symmetric, a particle sits anywhere), how lopsided the
    neighbours are, and intensity-weighted second moments of the 7 x 7 px there (lengths)."""
    h, w = v.shape
    y0, x0 = max(iy - 2, 1), max(ix - 2, 1)
    near = v[y0 : min(iy + 3, h - 1), x0 : min(ix + 3, w - 1)]
    if near.size == 0:
        return (0.0, 0.0, 0.0, 1.0, 1.0, 1.0)
    py, px = np.unravel_index(int(np.argmax(near)), near.shape)
    py, px = py + y0, px + x0
    top = max(float(v[py, px]), 1e-3)
    n, s_, e, w_ = v[py - 1, px], v[py + 1, px], v[py, px + 1], v[py, px - 1]
    diag = (v[py - 1, px - 1] + v[py - 1, px + 1] + v[py + 1, px - 1] + v[py + 1, px + 1]) / 4
    cross = float(n + s_ + e + w_) / 4
    lopsided = float(abs(n - s_) + abs(e - w_)) / 2
    win = np.clip(v[max(py - 3, 0) : py + 4, max(px - 3, 0) : px + 4], 0.0, None)
    total = float(win.sum())
    if total <= 1e-6:
        return (cross / top, float(diag) / top, lopsided / top, 1.0, 1.0, 1.0)
    yy, xx = np.mgrid[0 : win.shape[0], 0 : win.shape[1]]
    my, mx = float((win * yy).sum()) / total, float((win * xx).sum()) / total
    cyy = float((win * (yy - my) ** 2).sum()) / total
    cxx = float((win * (xx - mx) ** 2).sum()) / total
    cxy = float((win * (yy - my) * (xx - mx)).sum()) / total
    spread = np.sqrt(max((cyy - cxx) ** 2 / 4 + cxy**2, 0.0))
    major = float(np.sqrt(max((cyy + cxx) / 2 + spread, 1e-6)))
    minor = float(np.sqrt(max((cyy + cxx) / 2 - spread, 1e-6)))
    return (cross / top, float(diag) / top, lopsided / top, major, minor, major / minor)


def _centreline(
    ys: npt.NDArray[np.intp], xs: npt.NDArray[np.intp], axis: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """How far a long blob's centreline strays from a smooth curve, and how wide it is across.

    The pixels are projected on the major axis and cut into 2 px slices; each slice's median
    offset across is a centreline point. A scratch is straight or gently curved, so a quadratic
    through those points leaves a fraction of a pixel (the wiggle); a crack is a jagged random
    walk and leaves more. The spread is the mean extent across per slice (branches widen it)."""
    along = ys * axis[0] + xs * axis[1]
    across = -ys * axis[1] + xs * axis[0]
    slices = ((along - along.min()) // 2).astype(np.int64)
    count = int(slices.max()) + 1
    if count < 5:
        return 0.0, 0.0
    order = np.lexsort((across, slices))
    s_sorted, a_sorted = slices[order], across[order]
    starts = np.searchsorted(s_sorted, np.arange(count))
    ends = np.searchsorted(s_sorted, np.arange(count), side="right")
    filled = ends > starts
    if filled.sum() < 5:
        return 0.0, 0.0
    mid = a_sorted[(starts + ends - 1) // 2][filled]  # the median pixel of each slice
    lo, hi = a_sorted[starts[filled]], a_sorted[ends[filled] - 1]
    t = np.arange(count)[filled].astype(np.float64)
    coeffs = np.polyfit(t, mid, 2)
    wiggle = float(np.sqrt(np.mean((np.polyval(coeffs, t) - mid) ** 2)))
    return wiggle, float(np.mean(hi - lo + 1))


def _coherence(z: npt.NDArray[np.float32], mask: npt.NDArray[np.bool_]) -> float:
    """Orientation coherence of the structure tensor over the blob (1: one direction, as a
    straight scratch; near 0: no preferred direction, as a pit)."""
    smooth = box3(z)
    gy, gx = (np.asarray(g, dtype=np.float32) for g in np.gradient(smooth))
    jyy, jxx, jxy = (
        float((gy * gy)[mask].sum()),
        float((gx * gx)[mask].sum()),
        float((gx * gy)[mask].sum()),
    )
    trace = jyy + jxx
    if trace <= 1e-9:
        return 0.0
    return float(np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / trace)


def measure(  # noqa: PLR0915 (one feature after another)
    model: GoodGlassModel, scan: Scan, cand: Candidate, score: float
) -> Blob | None:
    ctx = scan.context
    h, w = ctx.image.shape
    y0, y1 = max(cand.rows.start * 2 - 1, 0), min(cand.rows.stop * 2 + 1, h)
    x0, x1 = max(cand.cols.start * 2 - 1, 0), min(cand.cols.stop * 2 + 1, w)
    hy0, hx0 = y0 // 2, x0 // 2
    region_half = scan.labels[hy0 : (y1 + 1) // 2, hx0 : (x1 + 1) // 2] == cand.label
    region = np.repeat(np.repeat(region_half, 2, axis=0), 2, axis=1)
    region = region[
        y0 - hy0 * 2 : y0 - hy0 * 2 + (y1 - y0), x0 - hx0 * 2 : x0 - hx0 * 2 + (x1 - x0)
    ]
    gy0, gy1 = max(y0 - 1, 0), min(y1 + 1, h)
    z_pad = ctx.z(gy0, gy1, x0, x1)
    fine_pad = np.abs(box3(z_pad)) * np.float32(1 / 3)
    z = z_pad[y0 - gy0 : y0 - gy0 + (y1 - y0)]
    fine = fine_pad[y0 - gy0 : y0 - gy0 + (y1 - y0)]
    thin = np.abs(z) > THIN_LEVEL
    # Relative to the blob's own strength, so a strong pit is not inflated by the noise halo
    # around it; lone thin pixels (no thin neighbour) are noise, not part of a line.
    peak_here = float(fine[region].max()) if region.any() else 0.0
    strong = fine > max(GROW_LEVEL, 0.3 * peak_here)
    linked = thin & (box3(thin.astype(np.float32)) >= 2.0)
    mask = region & (strong | linked)
    if mask.sum() < 2:
        mask = region & (model.zones[y0:y1, x0:x1] != OUTSIDE)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    area = len(ys)
    cy, cx = ys.mean(), xs.mean()
    cov = np.cov(np.stack([ys, xs]).astype(np.float64)) if area > 1 else np.eye(2) / 12
    evals, evecs = np.linalg.eigh(np.atleast_2d(cov))
    major = float(np.sqrt(12 * max(evals[-1], 0.0)) + 1.0)
    minor = float(np.sqrt(12 * max(evals[0], 0.0)) + 1.0)
    angle = float(np.degrees(np.arctan2(evecs[0, -1], evecs[1, -1]))) % 180.0
    absz = np.abs(z[mask])
    peak = float(fine[mask].max())
    ic, jc = round(cy), round(cx)
    centre = float(fine[max(ic - 1, 0) : ic + 2, max(jc - 1, 0) : jc + 2].mean())
    signed = float(z[mask].sum())
    polarity = float(np.sign(signed)) * (1.0 if ctx.mode.mode == "dark" else -1.0)
    sign = 1.0 if signed >= 0 else -1.0
    radius = max(float(np.sqrt(area / np.pi)), 0.75)
    wy0, wx0 = max(round(y0 + cy) - PROFILE_HALF, 0), max(round(x0 + cx) - PROFILE_HALF, 0)
    wy1, wx1 = min(round(y0 + cy) + PROFILE_HALF + 1, h), min(round(x0 + cx) + PROFILE_HALF + 1, w)
    window = ctx.z(wy0, wy1, wx0, wx1)
    wcy, wcx = y0 + cy - wy0, x0 + cx - wx0
    profile = _profile(window, wcy, wcx, radius, sign)
    signed_window = window * np.float32(sign)
    fits = (
        *shape_fit.fit(shape_fit.patch_at_peak(signed_window, wcy, wcx)),
        *shape_fit.radial_fit(signed_window, wcy, wcx),
    )
    grown = ndimage.binary_dilation(mask, structure=EIGHT, iterations=2) & ~mask
    inside_mean = float((z[mask] * sign).mean())
    outside_mean = float((z[grown] * sign).mean()) if grown.any() else 0.0
    zone_codes = model.zones[y0:y1, x0:x1][mask]
    zone_codes = zone_codes[zone_codes != OUTSIDE]
    zone = ZONE_NAMES[int(zone_codes.min())] if len(zone_codes) else "C"
    parts = ndimage.label(mask, structure=EIGHT)[1]
    bbox = (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)
    bh, bw = bbox[3] - bbox[1], bbox[2] - bbox[0]
    features = (
        float(np.log(area)),
        major,
        minor,
        major / minor,
        area / (major * minor),
        area / float(bh * bw),
        peak,
        float(absz.mean()),
        float(np.log1p(absz.sum())),
        float((fine[mask] > 0.5 * peak).mean()),
        centre / max(peak, 1e-6),
        polarity,
        float(model.edge_distance[y0:y1, x0:x1][mask].min()),
        cand.area,
        float(parts),
        float((thin & mask).sum()) / area,
        0.0 if ctx.mode.mode == "dark" else 1.0,
        float((absz > 0.5 * absz.max()).mean()),
        _rim_ratio(mask, np.abs(z)),
        float(absz.max()),
        area / (np.pi * (major / 2) ** 2),
        *profile[:10],
        outside_mean / max(abs(inside_mean), 1e-3),
        _coherence(z, mask),
        float((z[mask] * sign > 0).mean()),
        *profile[10:],
        *_centreline(ys, xs, evecs[:, -1]),
        *fits,
    )
    return Blob(
        bbox=bbox,
        area_px=area,
        length_px=major,
        width_px=max(area / major, 1.0),
        diameter_px=max(major, minor),
        angle_deg=angle,
        zone=zone,
        score=score,
        features=features,
        mask=mask[bbox[1] - y0 : bbox[3] - y0, bbox[0] - x0 : bbox[2] - x0],
    )
