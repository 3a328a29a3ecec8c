"""The good-glass model: aligned mean and variation images learned from good pieces only.

This is the golden-template / variation-model method: for each imaging mode (dark field, bright
field) the images of good pieces are aligned to a reference (integer shift found by correlating
the derivatives of the row and column brightness profiles, which the outline and printed border
dominate), then the per-pixel mean and standard deviation are taken.

A piece is never exactly where the model is: the integer part of the shift is a view into the
padded model, the sub-pixel rest matters only where the mean changes sharply (the outline's
bright or dark line, the edge of the printed border, the camera hole). Those pixels form the
*band* (found from the smoothed mean's gradient, grown by a few px); for them the model keeps
the mean moved by -0.5, 0 and +0.5 px in each axis (exact Fourier shifts, 9 copies of the band
only), and a piece's expected value there is the quadratic (Lagrange) interpolation between
those copies at its measured sub-pixel shift. Elsewhere the mean is flat to within a fraction of
the noise over a pixel and the integer view is the prediction. The deviation image is taken
from residuals of exactly that prediction; it is smoothed over 3 x 3 px outside the band (so
that 50 training images give a stable estimate) but not in the band, where smoothing would
spread the edge line's larger shot noise onto the glass beside it and blind the model to chips
there; and it is floored so that a perfectly quiet pixel cannot make every residual infinite.
Model arrays are padded by `PAD` px so that a shifted image still lies inside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from forgeline.inspection.geometry import F32, OUTSIDE, U8, ZONE_A, PieceGeometry

PAD = 8
MAX_SHIFT = PAD
SIGMA_FLOOR = 0.5
# Pixels whose deviation exceeds this many times the typical one (edges) skip the thin channel.
QUIET_FACTOR = 2.0
# Width of the band along the outline and the hole that the edge channel watches (chips).
EDGE_BAND_PX = 10.0
# Sharp-feature band: where the mean (smoothed over 1 px) changes by more than this many grey
# levels per px, grown by BAND_GROW px; sub-pixel shifts are modelled only there.
BAND_GRADIENT = 1.0
BAND_GROW = 3
NODES = (-0.5, 0.0, 0.5)  # sub-pixel shifts (px) of the band copies, per axis
I32 = npt.NDArray[np.int32]


def box3(a: F32) -> F32:
    """Sum over each pixel's 3 x 3 neighbourhood (zero beyond the border), by slicing with
    in-place adds: about 4x faster than scipy's uniform_filter on these shapes."""
    rows = np.empty_like(a)
    np.add(a[:, :-2], a[:, 1:-1], out=rows[:, 1:-1])
    rows[:, 1:-1] += a[:, 2:]
    rows[:, 0] = a[:, 0] + a[:, 1]
    rows[:, -1] = a[:, -1] + a[:, -2]
    out = np.empty_like(a)
    np.add(rows[:-2], rows[1:-1], out=out[1:-1])
    out[1:-1] += rows[2:]
    out[0] = rows[0] + rows[1]
    out[-1] = rows[-1] + rows[-2]
    return out


def _profile_gradients(image: npt.NDArray[Any]) -> tuple[F32, F32]:
    rows = image.mean(axis=1, dtype=np.float32)
    cols = image.mean(axis=0, dtype=np.float32)
    return np.gradient(rows).astype(np.float32), np.gradient(cols).astype(np.float32)


def _best_shift(ref: F32, cur: F32) -> float:
    """Shift of `cur` against `ref` in px: the correlation peak, refined by a parabola."""
    n = len(ref)
    core = cur[MAX_SHIFT : n - MAX_SHIFT]
    scores = np.array(
        [
            float(np.dot(core, ref[MAX_SHIFT - s : n - MAX_SHIFT - s]))
            for s in range(-MAX_SHIFT, MAX_SHIFT + 1)
        ]
    )
    best = int(np.argmax(scores))
    frac = 0.0
    if 0 < best < len(scores) - 1:
        left, mid, right = scores[best - 1], scores[best], scores[best + 1]
        curvature = left - 2 * mid + right
        if curvature < 0:
            frac = float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))
    return best - MAX_SHIFT + frac


def _fourier_shift(image: npt.NDArray[np.float64], dy: float, dx: float) -> npt.NDArray[np.float64]:
    """Move the image content by (-dy, -dx) without smoothing its noise (training only)."""
    spectrum = ndimage.fourier_shift(np.fft.rfft2(image), (-dy, -dx), n=image.shape[1], axis=1)
    return np.fft.irfft2(spectrum, s=image.shape)


@dataclass
class ModeModel:
    """Mean and inverse deviation for one imaging mode, padded by PAD px on every side."""

    mode: str
    mean: F32
    inv_sigma: F32
    quiet: npt.NDArray[np.bool_]
    band_rows: I32  # sharp-feature band pixels (padded coordinates, row-major order)
    band_cols: I32
    band_values: F32  # (9, band pixels): the mean there moved by each pair of NODES
    row_grad: F32
    col_grad: F32
    glass_level: float
    trained_on: int

    def shift_of(self, image: npt.NDArray[Any]) -> tuple[float, float]:
        """(dy, dx) such that image[y, x] corresponds to the model at (y - dy, x - dx)."""
        rows, cols = _profile_gradients(image)
        return _best_shift(self.row_grad, rows), _best_shift(self.col_grad, cols)

    def view(self, shift: tuple[float, float], shape: tuple[int, int]) -> tuple[slice, slice]:
        """The padded model's window that lines up with an image moved by `shift`."""
        iy, ix = round(shift[0]), round(shift[1])
        return slice(PAD - iy, PAD - iy + shape[0]), slice(PAD - ix, PAD - ix + shape[1])

    def band_prediction(
        self, shift: tuple[float, float], shape: tuple[int, int]
    ) -> tuple[I32, I32, F32]:
        """Image rows, columns (row-major) and expected values of the band pixels for an image
        moved by `shift`: quadratic interpolation between the band copies."""
        iy, ix = round(shift[0]), round(shift[1])
        weights = np.outer(_lagrange(shift[0] - iy), _lagrange(shift[1] - ix)).ravel()
        rows = self.band_rows - np.int32(PAD - iy)
        cols = self.band_cols - np.int32(PAD - ix)
        keep = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
        # A weighted sum by hand: a matrix product would wake BLAS threads, whose spinning
        # costs more CPU than this whole sum and takes it from the other worker processes.
        values = self.band_values[0] * np.float32(weights[0])
        for k in range(1, len(weights)):
            values += self.band_values[k] * np.float32(weights[k])
        return rows[keep], cols[keep], values[keep]

    def predict(self, shift: tuple[float, float], shape: tuple[int, int]) -> F32:
        """The whole expected image (before gain) for an image moved by `shift`."""
        expected = self.mean[self.view(shift, shape)].copy()
        rows, cols, values = self.band_prediction(shift, shape)
        expected[rows, cols] = values
        return expected


@dataclass
class GoodGlassModel:
    geometry: PieceGeometry
    modes: dict[str, ModeModel]
    zones: U8
    edge_distance: F32
    # Per-channel detection thresholds, set by calibration on good images.
    thresholds: dict[str, float] = field(default_factory=dict)
    sample_rows: I32 = field(default_factory=lambda: np.zeros(0, np.int32))
    sample_cols: I32 = field(default_factory=lambda: np.zeros(0, np.int32))
    glass_rows: I32 = field(default_factory=lambda: np.zeros(0, np.int32))
    glass_cols: I32 = field(default_factory=lambda: np.zeros(0, np.int32))
    inspected: npt.NDArray[np.bool_] = field(init=False)
    inspected_weight: F32 = field(init=False)
    # (rows, cols) of the half-resolution pixels within EDGE_BAND_PX of the outline or hole.
    edge_band_half: tuple[I32, I32] = field(init=False)
    inspected_box: tuple[tuple[int, int], tuple[int, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.inspected = self.zones != OUTSIDE
        self.inspected_weight = self.inspected.astype(np.float32)
        rows = np.nonzero(self.inspected.any(axis=1))[0]
        cols = np.nonzero(self.inspected.any(axis=0))[0]
        self.inspected_box = (
            (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (0, 0),
            (int(cols[0]), int(cols[-1]) + 1) if len(cols) else (0, 0),
        )
        band = (self.edge_distance <= EDGE_BAND_PX) & self.inspected
        h, w = band.shape
        band_half = band[: h - h % 2, : w - w % 2].reshape(h // 2, 2, w // 2, 2).any(axis=(1, 3))
        rows, cols = np.nonzero(band_half)
        self.edge_band_half = (rows.astype(np.int32), cols.astype(np.int32))
        if len(self.sample_rows) == 0:
            inspected = self.zones != OUTSIDE
            grid = np.zeros_like(inspected)
            grid[4::8, 2::4] = True
            self.sample_rows, self.sample_cols = (
                a.astype(np.int32) for a in np.nonzero(inspected & grid)
            )
            viewing = np.zeros_like(inspected)
            viewing[4::8, 4::8] = self.zones[4::8, 4::8] == ZONE_A
            self.glass_rows, self.glass_cols = (a.astype(np.int32) for a in np.nonzero(viewing))

    def inspected_span(self, multiple: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """(top, bottom), (left, right) of the inspected area, widened to multiples of
        `multiple` px (bottom/right exclusive)."""
        (r0, r1), (c0, c1) = self.inspected_box
        h, w = self.shape

        def widen(lo: int, hi: int, size: int) -> tuple[int, int]:
            return lo // multiple * multiple, min(-(-hi // multiple) * multiple, size)

        return widen(r0, r1, h), widen(c0, c1, w)

    @property
    def shape(self) -> tuple[int, int]:
        return self.geometry.height, self.geometry.width

    def glass_median(self, image: npt.NDArray[Any]) -> float:
        """The median grey level of the viewing area (a fixed 1-in-64 sample of it)."""
        return float(np.median(image[self.glass_rows, self.glass_cols]))

    def choose_mode(self, level: float) -> ModeModel:
        """The mode whose glass brightness is nearest `level` (dark vs bright field)."""
        return min(self.modes.values(), key=lambda m: abs(m.glass_level - level))


def _lagrange(t: float) -> npt.NDArray[np.float64]:
    """Quadratic interpolation weights of the nodes -0.5, 0, 0.5 at t (|t| <= 0.5)."""
    return np.array([2 * t * (t - 0.5), 1 - 4 * t * t, 2 * t * (t + 0.5)])


def sharp_band(mean: F32) -> tuple[I32, I32]:
    """Pixels near a sharp feature of the mean (outline, ink edge, hole), row-major."""
    smooth = ndimage.gaussian_filter(mean.astype(np.float32), 1.0)
    gy, gx = np.gradient(smooth)
    sharp = ndimage.binary_dilation(np.hypot(gy, gx) > BAND_GRADIENT, iterations=BAND_GROW)
    rows, cols = np.nonzero(sharp)
    return rows.astype(np.int32), cols.astype(np.int32)


def band_copies(mean: npt.NDArray[np.float64], rows: I32, cols: I32) -> F32:
    """The mean moved by each pair of NODES (content moved by +shift), at the band pixels."""
    spectrum = np.fft.rfft2(mean)
    out = np.empty((len(NODES) ** 2, len(rows)), dtype=np.float32)
    k = 0
    for sy in NODES:
        for sx in NODES:
            moved = ndimage.fourier_shift(spectrum, (sy, sx), n=mean.shape[1], axis=1)
            out[k] = np.fft.irfft2(moved, s=mean.shape)[rows, cols]
            k += 1
    return out


def fit_mode(mode: str, images: Sequence[npt.NDArray[np.uint8]]) -> ModeModel:
    """Mean and deviation images of good images of one mode.

    Pass 1 aligns every image to the first by Fourier shift (exact, noise kept) and averages.
    Pass 2 predicts each image from that mean exactly as detection will (integer view, band
    copies interpolated at the sub-pixel rest, gain matched) and takes the deviation of the
    residuals, so the deviation image also holds what that prediction gets wrong.
    """
    if len(images) < 2:
        raise ValueError(f"mode {mode!r} needs at least 2 good images to learn from")
    ref_rows, ref_cols = _profile_gradients(images[0])
    total: npt.NDArray[np.float64] | None = None
    for image in images:
        rows, cols = _profile_gradients(image)
        dy, dx = _best_shift(ref_rows, rows), _best_shift(ref_cols, cols)
        aligned = _fourier_shift(np.pad(image.astype(np.float64), PAD, mode="edge"), dy, dx)
        total = aligned if total is None else total + aligned
    assert total is not None
    mean64 = total / len(images)
    mean = mean64.astype(np.float32)
    band_rows, band_cols = sharp_band(mean)
    row_grad, col_grad = _profile_gradients(mean[PAD:-PAD, PAD:-PAD])
    model = ModeModel(
        mode=mode,
        mean=mean,
        inv_sigma=np.ones_like(mean),
        quiet=np.ones(mean.shape, dtype=bool),
        band_rows=band_rows,
        band_cols=band_cols,
        band_values=band_copies(mean64, band_rows, band_cols),
        row_grad=row_grad,
        col_grad=col_grad,
        glass_level=0.0,
        trained_on=len(images),
    )
    square = np.zeros(mean.shape, dtype=np.float64)
    seen = np.zeros(mean.shape, dtype=np.float64)
    for image in images:
        shift = model.shift_of(image)
        expected = model.predict(shift, image.shape)
        view = model.view(shift, image.shape)
        gain = float(np.median(image[::8, ::8])) / max(float(np.median(expected[::8, ::8])), 1e-3)
        square[view] += (image - gain * expected) ** 2
        seen[view] += 1
    variance = (square / np.maximum(seen - 1, 1)).astype(np.float32)
    smoothed = box3(variance) / 9.0
    smoothed[band_rows, band_cols] = variance[band_rows, band_cols]
    sigma = np.sqrt(smoothed)
    typical = float(np.median(sigma))
    floor = max(SIGMA_FLOOR, 0.5 * typical)
    center = mean[PAD:-PAD, PAD:-PAD]
    h, w = center.shape
    model.inv_sigma = (1.0 / np.maximum(sigma, floor)).astype(np.float32)
    model.quiet = sigma < QUIET_FACTOR * typical
    model.glass_level = float(np.median(center[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3]))
    return model


def build(geometry: PieceGeometry, modes: dict[str, ModeModel]) -> GoodGlassModel:
    return GoodGlassModel(
        geometry=geometry,
        modes=modes,
        zones=geometry.zone_map(),
        edge_distance=geometry.edge_distance(),
    )
