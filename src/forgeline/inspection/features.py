"""Blob features measured on the full-resolution crop of a detected candidate.

The blob's pixels are its half-resolution region (doubled) where the pixel itself stands out
(|z| above the thin level, or the 3 x 3 peak channel above the grow level), or, for a blob
found only by the area channel, the region itself. Shape comes from second moments: for a line
of length L the major length sqrt(12 * variance) is L, for a 1 px line the minor length is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

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
)
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


def measure(model: GoodGlassModel, scan: Scan, cand: Candidate, score: float) -> Blob | None:
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
