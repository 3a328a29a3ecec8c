"""The shape fits name the shape they were given, in noise, and the centreline sees a crack."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from forgeline.inspection import shape_fit
from forgeline.inspection.features import _centreline

HALF = 12
F32 = npt.NDArray[np.float32]


def _field(profile: F32, contrast: float, seed: int) -> F32:
    noise = np.random.default_rng(seed).standard_normal(profile.shape).astype(np.float32)
    return (contrast * profile + noise).astype(np.float32)


def _grid(cy: float, cx: float) -> tuple[F32, F32]:
    yy, xx = np.mgrid[0 : 2 * HALF + 1, 0 : 2 * HALF + 1].astype(np.float32)
    return yy - cy, xx - cx


def _fits(window: F32) -> dict[str, float]:
    patch = shape_fit.patch_at_peak(window, HALF, HALF)
    return dict(zip(shape_fit.NAMES, shape_fit.fit(patch), strict=True))


@pytest.mark.parametrize("seed", range(5))
def test_pit_particle_line_and_ring_are_told_apart(seed: int) -> None:
    dy, dx = _grid(HALF, HALF)
    dist = np.hypot(dy, dx)
    pit = _fits(_field(np.clip(1.5 - dist + 0.5, 0, 1), 12.0, seed))  # 3 px pit, pixel-centred
    # A particle a third of a pixel off the pixel grid.
    off = np.hypot(dy - 0.33, dx + 0.3)
    particle = _fits(_field(np.exp(-(off**2) / (2 * 1.1**2)), 12.0, seed))
    # A 6 px scratch at 30 degrees.
    along = dx * np.cos(0.52) + dy * np.sin(0.52)
    across = -dx * np.sin(0.52) + dy * np.cos(0.52)
    line_profile = np.exp(-(across**2) / (2 * 0.6**2)) * (np.abs(along) <= 3)
    line = _fits(_field(line_profile.astype(np.float32), 12.0, seed))
    rim = np.exp(-(((dist - 2.2) / 0.9) ** 2)) * (dist < 4.2)
    ring = _fits(_field(np.maximum(0.3 * (dist < 3), rim).astype(np.float32), 12.0, seed))
    assert pit["fit_pit_vs_particle"] > 0 > particle["fit_pit_vs_particle"]
    assert pit["fit_pit_offset"] <= 0.25 < particle["fit_particle_offset"] + 0.1
    assert line["fit_line_vs_round"] > 0 > pit["fit_line_vs_round"]
    assert line["fit_line_length"] >= 5.0 > pit["fit_line_length"]
    assert ring["fit_ring_vs_pit"] > 0 > pit["fit_ring_vs_pit"]
    # Explained shares are shares.
    for fits in (pit, particle, line, ring):
        assert all(0.0 <= fits[n] <= 1.0 for n in shape_fit.NAMES[:4])


def test_radial_fit_sees_a_large_bubble_rim_and_its_size() -> None:
    dy, dx = _grid(HALF, HALF)
    dist = np.hypot(dy, dx)
    rim = np.exp(-(((dist - 4.2) / 0.9) ** 2)) * (dist < 6.2)
    bubble = np.maximum(0.3 * (dist < 5), rim).astype(np.float32)
    disc = np.clip(5.0 - dist + 0.5, 0, 1).astype(np.float32)
    names = shape_fit.RADIAL_NAMES
    b = dict(zip(names, shape_fit.radial_fit(_field(bubble, 4.0, 1), HALF, HALF), strict=True))
    d = dict(zip(names, shape_fit.radial_fit(_field(disc, 4.0, 1), HALF, HALF), strict=True))
    assert b["radial_ring_vs_disc"] > 0 > d["radial_ring_vs_disc"]
    assert b["radial_ring_size"] == 10.0 and d["radial_disc_size"] == 10.0
    # A defect of the other polarity, once signed, reads the same.
    signed = shape_fit.radial_fit(-_field(bubble, 4.0, 1) * np.float32(-1), HALF, HALF)
    assert signed == pytest.approx(tuple(b.values()))


def test_patch_is_taken_at_the_peak_and_zero_beyond_the_window() -> None:
    window = np.zeros((2 * HALF + 1, 2 * HALF + 1), dtype=np.float32)
    window[HALF + 1 : HALF + 4, HALF - 1] = 4.0
    window[HALF + 2, HALF - 2 : HALF + 1] = 4.0
    window[HALF + 2, HALF - 1] = 9.0
    patch = shape_fit.patch_at_peak(window, HALF, HALF)
    assert patch.shape == (9, 9) and patch[4, 4] == 9.0
    # The blob one row from the window's top: the patch is zero where the window ends.
    corner = shape_fit.patch_at_peak(window[HALF + 1 :, : HALF + 2], 0.0, HALF - 1)
    assert corner.shape == (9, 9) and corner[4, 4] == 9.0 and corner[:3].sum() == 0.0


def test_centreline_wiggle_of_a_crack_exceeds_a_curved_scratch() -> None:
    t = np.arange(60)
    # A gently curved scratch, 2 px wide.
    ys = np.concatenate([t, t])
    xs = np.concatenate([np.rint(0.004 * (t - 30) ** 2), np.rint(0.004 * (t - 30) ** 2) + 1])
    axis = np.array([1.0, 0.0])
    scratch_wiggle, scratch_spread = _centreline(ys.astype(np.intp), xs.astype(np.intp), axis)
    walk = np.rint(np.cumsum(np.random.default_rng(3).normal(0, 1.2, 60)))
    crack_wiggle, _ = _centreline(t.astype(np.intp), walk.astype(np.intp), axis)
    assert scratch_wiggle < 0.5 < 1.0 < crack_wiggle
    assert 1.8 < scratch_spread < 2.6
    short = _centreline(np.arange(6, dtype=np.intp), np.zeros(6, dtype=np.intp), axis)
    assert short == (0.0, 0.0)  # too short to have a centreline
