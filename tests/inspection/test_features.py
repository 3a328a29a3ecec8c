"""The radial-profile and small-shape features separate the shapes they are meant to."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from forgeline.inspection.features import RINGS, SORTED_RANKS, _profile, _small_shape

HALF = 12


def _window(profile: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return (8.0 * profile).astype(np.float32)


def _grid(cy: float, cx: float) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    yy, xx = np.mgrid[0 : 2 * HALF + 1, 0 : 2 * HALF + 1].astype(np.float32)
    return yy - cy, xx - cx


def test_flat_top_index_tells_a_sharp_pit_from_a_soft_particle() -> None:
    dy, dx = _grid(HALF, HALF)
    dist = np.hypot(dy, dx)
    pit = _window(np.clip(4.0 - dist + 0.5, 0, 1))  # disc of 8 px
    particle = _window(np.exp(-(dist**2) / (2 * 1.6**2)))
    rings = len(RINGS) - 1
    flat = rings + 3  # after the fixed and the scaled rings
    f_pit = _profile(pit, HALF, HALF, 4.0, 1.0)
    f_particle = _profile(particle, HALF, HALF, 2.0, 1.0)
    assert 0.85 < f_pit[flat] < 1.3
    assert 0.35 < f_particle[flat] < 0.75
    # The disc keeps its full contrast over its first rings; the particle has fallen by ring 3.
    assert f_pit[2] > 0.95 and f_particle[2] < 0.5
    # Sorted 7 x 7: a flat pit is still at full height at rank 12, the particle is not.
    rank12 = flat + 2 + SORTED_RANKS.index(12)
    assert f_pit[rank12] > 0.9 > 0.6 > f_particle[rank12]
    # A dark defect in bright field reads the same once signed.
    assert np.allclose(_profile(-pit, HALF, HALF, 4.0, -1.0), f_pit)


def test_small_shape_sees_a_centred_pit_as_symmetric_and_a_line_as_long() -> None:
    dy, dx = _grid(HALF, HALF)
    pit = _window(np.clip(1.0 - np.hypot(dy, dx) + 0.5, 0, 1))  # 2 px pit on a pixel centre
    cross, diagonal, lopsided, _, _, elongation = _small_shape(pit, HALF, HALF)
    assert abs(cross - 0.5) < 0.01 and diagonal < 0.15 and lopsided < 1e-6
    assert elongation < 1.05
    off = _window(np.exp(-((dy - 0.45) ** 2 + (dx + 0.3) ** 2) / (2 * 0.5**2)))
    assert _small_shape(off, HALF, HALF)[2] > 0.2  # a particle off the pixel centre is lopsided
    line = _window(np.exp(-(dy**2) / (2 * 0.6**2)) * (np.abs(dx) <= 3))
    assert _small_shape(line, HALF, HALF)[5] > 2.0
