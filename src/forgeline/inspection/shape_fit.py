"""Which small shape explains a blob best: pit, particle, short line or ring, fitted by least
squares to the 9 x 9 px around its brightest point.

Below about 4 px a pit, a dust particle, a short scratch and a small bubble differ by a pixel
or two of noisy contrast, which moment and ring features only summarise. Here each is a family
of templates: a flat-topped disc with an anti-aliased rim (pit), a Gaussian spot (particle), a
Gaussian-section line segment (scratch), a bright rim around a fainter core (bubble), each at
a few sizes and sub-pixel positions (and, for lines, 12 directions). The robust z is unit
white noise, so the best amplitude of template t on patch v is <t, v> / <t, t> and it removes
<t, v>^2 / <t, t> of the patch's sum of squares: the log-likelihood gain of that template. The
best gain per family, and the differences between families (the likelihood-ratio statistic of
one family against another), are the features. All templates are one matrix built once; a
blob costs one small matrix-vector product.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
HALF = 4  # the patch is (2 HALF + 1)^2 px
FAMILIES = ("pit", "particle", "line", "ring")
PIT_DIAMETERS = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0)
PARTICLE_SIGMAS = (0.4, 0.5, 0.65, 0.8, 1.0, 1.3, 1.7)
LINE_LENGTHS = (2.5, 3.5, 5.0, 7.0)
LINE_WIDTHS = (0.6, 1.0)
LINE_ANGLES = 12
RING_DIAMETERS = (2.5, 3.0, 4.0, 5.0, 6.0)
FINE_OFFSETS = (-0.5, -0.25, 0.0, 0.25, 0.5)
COARSE_OFFSETS = (-0.5, 0.0, 0.5)
NAMES = (
    "fit_pit",
    "fit_particle",
    "fit_line",
    "fit_ring",
    "fit_pit_vs_particle",
    "fit_line_vs_round",
    "fit_ring_vs_pit",
    "fit_pit_size",
    "fit_particle_sigma",
    "fit_line_length",
    "fit_pit_offset",
    "fit_particle_offset",
)


def _grid() -> tuple[F32, F32]:
    yy, xx = np.mgrid[-HALF : HALF + 1, -HALF : HALF + 1].astype(np.float32)
    return yy, xx


def _pit(d: float, oy: float, ox: float) -> F32:
    yy, xx = _grid()
    disc: F32 = np.clip(d / 2 - np.hypot(yy - oy, xx - ox) + 0.5, 0.0, 1.0).astype(np.float32)
    return disc


def _particle(s: float, oy: float, ox: float) -> F32:
    yy, xx = _grid()
    spot: F32 = np.exp(-((yy - oy) ** 2 + (xx - ox) ** 2) / (2 * s * s)).astype(np.float32)
    return spot


def _line(length: float, width: float, angle: float, oy: float, ox: float) -> F32:
    """A segment through (oy, ox): Gaussian across (sigma `width`), soft ends."""
    yy, xx = _grid()
    dy, dx = yy - oy, xx - ox
    along = dx * np.cos(angle) + dy * np.sin(angle)
    across = -dx * np.sin(angle) + dy * np.cos(angle)
    beyond = np.clip(np.abs(along) - length / 2 + 0.5, 0.0, None)
    segment: F32 = np.exp(-(across**2 + beyond**2) / (2 * width**2)).astype(np.float32)
    return segment


def _ring(d: float, oy: float, ox: float) -> F32:
    yy, xx = _grid()
    dist = np.hypot(yy - oy, xx - ox)
    r = d / 2
    disc = np.clip(r - dist + 0.5, 0.0, 1.0)
    rim = np.exp(-(((dist - (r - 0.8)) / 0.9) ** 2)) * (dist < r + 1.2)
    ring: F32 = np.maximum(0.3 * disc, rim).astype(np.float32)
    return ring


@cache
def templates() -> tuple[F32, npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """All templates as rows of unit norm, each row's family index and (size, offset)."""
    rows: list[F32] = []
    family: list[int] = []
    params: list[tuple[float, float]] = []

    def add(t: F32, fam: int, size: float, oy: float, ox: float) -> None:
        rows.append(t.ravel())
        family.append(fam)
        params.append((size, float(np.hypot(oy, ox))))

    for oy in FINE_OFFSETS:
        for ox in FINE_OFFSETS:
            for d in PIT_DIAMETERS:
                add(_pit(d, oy, ox), 0, d, oy, ox)
            for s in PARTICLE_SIGMAS:
                add(_particle(s, oy, ox), 1, s, oy, ox)
    for oy in COARSE_OFFSETS:
        for ox in COARSE_OFFSETS:
            for length in LINE_LENGTHS:
                for width in LINE_WIDTHS:
                    for k in range(LINE_ANGLES):
                        angle = np.pi * k / LINE_ANGLES
                        add(_line(length, width, angle, oy, ox), 2, length, oy, ox)
            for d in RING_DIAMETERS:
                add(_ring(d, oy, ox), 3, d, oy, ox)
    bank = np.array(rows, dtype=np.float32)
    bank /= np.linalg.norm(bank, axis=1, keepdims=True)
    return bank, np.array(family, dtype=np.int64), np.array(params, dtype=np.float32)


def patch_at_peak(v: F32, cy: float, cx: float) -> F32:
    """The 9 x 9 px of `v` (defect positive) around its brightest 3 x 3 mean within 2 px of
    (cy, cx), zero beyond the window."""
    h, w = v.shape
    iy, ix = round(cy), round(cx)
    best, py, px = -np.inf, iy, ix
    for y in range(max(iy - 2, 1), min(iy + 3, h - 1)):
        for x in range(max(ix - 2, 1), min(ix + 3, w - 1)):
            s = float(v[y - 1 : y + 2, x - 1 : x + 2].sum())
            if s > best:
                best, py, px = s, y, x
    out = np.zeros((2 * HALF + 1, 2 * HALF + 1), dtype=np.float32)
    y0, y1 = max(py - HALF, 0), min(py + HALF + 1, h)
    x0, x1 = max(px - HALF, 0), min(px + HALF + 1, w)
    out[y0 - py + HALF : y1 - py + HALF, x0 - px + HALF : x1 - px + HALF] = v[y0:y1, x0:x1]
    return out


def fit(patch: F32) -> tuple[float, ...]:
    """The `NAMES` features of one 9 x 9 patch (defect positive, unit noise)."""
    bank, family, params = templates()
    proj = bank @ patch.ravel().astype(np.float32)
    gain = np.square(np.clip(proj, 0.0, None))
    best = np.zeros(len(FAMILIES))
    arg = np.zeros(len(FAMILIES), dtype=np.int64)
    for f in range(len(FAMILIES)):
        idx = np.nonzero(family == f)[0]
        k = int(idx[np.argmax(gain[idx])])
        best[f], arg[f] = gain[k], k
    energy = max(float(np.square(patch).sum()), 1e-6)
    pit, particle, line, ring = (float(b) for b in best)
    return (
        pit / energy,
        particle / energy,
        line / energy,
        ring / energy,
        pit - particle,
        line - max(pit, particle),
        ring - pit,
        float(params[arg[0], 0]),
        float(params[arg[1], 0]),
        float(params[arg[2], 0]),
        float(params[arg[0], 1]),
        float(params[arg[1], 1]),
    )


RADIAL_STEP = 0.5
RADIAL_BINS = 26  # out to 13 px
RADIAL_DIAMETERS = (3.0, 4.0, 5.0, 6.5, 8.0, 10.0, 13.0, 16.0, 20.0, 24.0)
RADIAL_FAMILIES = ("disc", "ring", "soft")
RADIAL_NAMES = (
    "radial_disc",
    "radial_ring",
    "radial_soft",
    "radial_ring_vs_disc",
    "radial_disc_vs_soft",
    "radial_disc_size",
    "radial_ring_size",
)


def _radial_profiles(r: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Rows: each radial template (disc, ring, soft Gaussian-edged patch) at each diameter,
    evaluated at radii `r`."""
    rows = []
    for d in RADIAL_DIAMETERS:
        rows.append(np.clip(d / 2 - r + 0.5, 0.0, 1.0))
    for d in RADIAL_DIAMETERS:
        half = d / 2
        disc = np.clip(half - r + 0.5, 0.0, 1.0)
        rim = np.exp(-(((r - (half - 0.8)) / 0.9) ** 2)) * (r < half + 1.2)
        rows.append(np.maximum(0.3 * disc, rim))
    for d in RADIAL_DIAMETERS:
        rows.append(np.exp(-(r**2) / (2 * (d / 4) ** 2)))
    return np.array(rows)


def radial_fit(v: F32, cy: float, cx: float) -> tuple[float, ...]:
    """The `RADIAL_NAMES` features: radially symmetric templates (flat disc: pit; bright rim
    around a faint core: bubble; soft Gaussian: particle or the middle of a stain) at
    diameters of 3-24 px, fitted around (cy, cx) in `v` (defect positive, unit noise) by
    weighted least squares on the ring means (weights: pixels per 0.5 px ring)."""
    h, w = v.shape
    yy, xx = np.mgrid[0:h, 0:w]
    k = (np.hypot(yy - cy, xx - cx) / RADIAL_STEP).astype(np.int64).ravel()
    inside = k < RADIAL_BINS
    counts = np.bincount(k[inside], minlength=RADIAL_BINS).astype(np.float64)
    sums = np.bincount(k[inside], weights=v.ravel()[inside], minlength=RADIAL_BINS)
    means = sums / np.maximum(counts, 1.0)
    r = (np.arange(RADIAL_BINS, dtype=np.float64) + 0.5) * RADIAL_STEP
    bank = _radial_profiles(r)
    norm = np.maximum((bank**2 * counts).sum(axis=1), 1e-9)
    gain = np.square(np.clip((bank * counts * means).sum(axis=1), 0.0, None)) / norm
    per = gain.reshape(len(RADIAL_FAMILIES), len(RADIAL_DIAMETERS))
    best, arg = per.max(axis=1), per.argmax(axis=1)
    energy = max(float((counts * means**2).sum()), 1e-6)
    disc, ring, soft = (float(b) for b in best)
    return (
        disc / energy,
        ring / energy,
        soft / energy,
        ring - disc,
        disc - soft,
        RADIAL_DIAMETERS[int(arg[0])],
        RADIAL_DIAMETERS[int(arg[1])],
    )
