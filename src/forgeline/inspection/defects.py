"""Shapes of the defect classes for the ground-truth generator, each drawn in a small patch.

A shape is a float profile in [0, 1] (1 where the defect is at full contrast) placed at a pixel
offset; the generator multiplies it by a signed contrast. The ground-truth mask is where the
profile is at least `MASK_LEVEL` (a bubble's whole disc, not just its rim).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from scipy import ndimage

F32 = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

CLASSES = ("scratch", "dig", "chip", "crack", "bubble", "stain", "dust")
CLASS_ID = {name: i + 1 for i, name in enumerate(CLASSES)}
# Thin, directional defects: their dark-field brightness depends on the light direction.
DIRECTIONAL = frozenset({"scratch", "crack"})
MASK_LEVEL = 0.3


@dataclass(frozen=True)
class Shape:
    y0: int
    x0: int
    profile: F32
    mask: BoolArray
    angle: float | None = None  # direction of a line defect, radians


def in_frame(shape: Shape, height: int, width: int) -> tuple[int, int, int, int, F32, BoolArray]:
    """The part of a shape inside a height x width image: y0, y1, x0, x1, profile and mask."""
    y0, x0 = max(shape.y0, 0), max(shape.x0, 0)
    y1 = min(shape.y0 + shape.profile.shape[0], height)
    x1 = min(shape.x0 + shape.profile.shape[1], width)
    rows, cols = slice(y0 - shape.y0, y1 - shape.y0), slice(x0 - shape.x0, x1 - shape.x0)
    return y0, y1, x0, x1, shape.profile[rows, cols], shape.mask[rows, cols]


def _patch_from_points(points: npt.NDArray[np.float64], width: float, pad: int = 4) -> Shape:
    """A stroke through `points` (y, x) of the given width, as a blurred skeleton."""
    y0 = int(np.floor(points[:, 0].min())) - pad
    x0 = int(np.floor(points[:, 1].min())) - pad
    h = int(np.ceil(points[:, 0].max())) - y0 + pad + 1
    w = int(np.ceil(points[:, 1].max())) - x0 + pad + 1
    skeleton = np.zeros((h, w), dtype=np.float32)
    rows = np.clip(np.rint(points[:, 0] - y0).astype(int), 0, h - 1)
    cols = np.clip(np.rint(points[:, 1] - x0).astype(int), 0, w - 1)
    skeleton[rows, cols] = 1.0
    if width > 1.0:
        skeleton = ndimage.grey_dilation(skeleton, size=(int(width), int(width)))
    profile = ndimage.gaussian_filter(skeleton, sigma=0.45 + 0.15 * width)
    profile /= max(float(profile.max()), 1e-6)
    return Shape(y0, x0, profile.astype(np.float32), profile >= MASK_LEVEL)


def _polyline(
    start: tuple[float, float], angle: float, length: float, bend: float
) -> npt.NDArray[np.float64]:
    """Points every half pixel along a gently curving line."""
    steps = max(int(length * 2), 2)
    t = np.linspace(0.0, 1.0, steps)
    heading = angle + bend * (t - 0.5)
    dy = np.cumsum(np.sin(heading)) * (length / steps)
    dx = np.cumsum(np.cos(heading)) * (length / steps)
    return np.stack([start[0] + dy, start[1] + dx], axis=1)


def scratch(rng: np.random.Generator, y: float, x: float, length: float) -> Shape:
    angle = float(rng.uniform(0, np.pi))
    points = _polyline((y, x), angle, max(length, 1.0), float(rng.uniform(-0.3, 0.3)))
    shape = _patch_from_points(points, float(rng.uniform(1.0, 2.5)))
    return Shape(shape.y0, shape.x0, shape.profile, shape.mask, angle)


def crack(rng: np.random.Generator, y: float, x: float, length: float, angle: float) -> Shape:
    """A jagged random walk with one or two branches."""
    branches = [((y, x), angle, length)]
    pieces: list[npt.NDArray[np.float64]] = []
    while branches:
        start, heading, remaining = branches.pop()
        points = [start]
        travelled = 0.0
        while travelled < remaining:
            step = float(rng.uniform(3.0, 7.0))
            heading += float(rng.normal(0.0, 0.55))
            last = points[-1]
            points.append((last[0] + step * np.sin(heading), last[1] + step * np.cos(heading)))
            travelled += step
            if len(pieces) + len(branches) < 3 and rng.random() < 0.04 and remaining > 30:
                branches.append(
                    (points[-1], heading + float(rng.choice([-1, 1])) * 0.8, remaining / 3)
                )
        segments = np.asarray(points)
        for a, b in pairwise(segments):
            n = max(int(np.hypot(*(b - a)) * 2), 2)
            pieces.append(np.linspace(a, b, n))
    shape = _patch_from_points(np.concatenate(pieces), float(rng.uniform(1.0, 1.8)))
    return Shape(shape.y0, shape.x0, shape.profile, shape.mask, angle)


def _disc_grid(diameter: float, pad: int = 3) -> tuple[int, F32]:
    half = int(np.ceil(diameter / 2)) + pad
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    return half, np.hypot(yy, xx).astype(np.float32)


def dig(y: float, x: float, diameter: float) -> Shape:
    """A sharp-edged pit: flat top, anti-aliased rim."""
    half, dist = _disc_grid(diameter)
    profile = np.clip(diameter / 2 - dist + 0.5, 0.0, 1.0).astype(np.float32)
    return Shape(int(y) - half, int(x) - half, profile, profile >= MASK_LEVEL)


def bubble(y: float, x: float, diameter: float) -> Shape:
    """A round inclusion: a bright rim around a fainter core."""
    half, dist = _disc_grid(diameter)
    r = diameter / 2
    disc = np.clip(r - dist + 0.5, 0.0, 1.0)
    rim = np.exp(-(((dist - (r - 0.8)) / 0.9) ** 2))
    profile = np.maximum(0.3 * disc, rim * (dist < r + 1.2)).astype(np.float32)
    return Shape(int(y) - half, int(x) - half, profile, disc >= 0.5)


def dust(rng: np.random.Generator, y: float, x: float, size: float) -> Shape:
    """A particle on the surface: one to three soft blobs, no sharp edge."""
    half = int(np.ceil(size)) + 5
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    profile = np.zeros_like(yy)
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = rng.uniform(-size / 3, size / 3, 2)
        sigma = float(rng.uniform(0.35, 0.55)) * max(size / 2, 1.2)
        profile = np.maximum(profile, np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2)))
    profile /= float(profile.max())
    return Shape(int(y) - half, int(x) - half, profile.astype(np.float32), profile >= 0.5)


def stain(rng: np.random.Generator, y: float, x: float, diameter: float) -> Shape:
    """A faint residue: an irregular smooth patch with soft edges."""
    half = int(diameter / 2 * 1.4) + 6
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    theta = np.arctan2(yy, xx)
    wobble = 1 + sum(
        float(rng.uniform(0, 0.15)) * np.cos(k * theta + float(rng.uniform(0, 2 * np.pi)))
        for k in (2, 3, 5)
    )
    aspect = float(rng.uniform(0.6, 1.0))
    radius = np.hypot(yy / aspect, xx) / wobble
    softness = max(diameter / 10, 1.5)
    profile = (1 / (1 + np.exp((radius - diameter / 2) / softness))).astype(np.float32)
    profile /= float(profile.max())
    return Shape(int(y) - half, int(x) - half, profile, profile >= 0.5)


def in_glass(rng: np.random.Generator, cls: str, y: float, x: float, size: float) -> Shape:
    """A defect of class `cls` centred at (y, x) in the glass: any class but a chip, which is
    cut from the outline (`chip`)."""
    if cls == "scratch":
        return scratch(rng, y, x, size)
    if cls == "crack":
        return crack(rng, y, x, size, float(rng.uniform(0, 2 * np.pi)))
    if cls == "dig":
        return dig(y, x, size)
    if cls == "bubble":
        return bubble(y, x, size)
    if cls == "dust":
        return dust(rng, y, x, size)
    return stain(rng, y, x, size)


def chip(y: float, x: float, size: float, inside: BoolArray) -> Shape:
    """A bite out of the edge: the part of a disc centred on the edge that lies in the glass.

    `inside` is the glass mask of the disc's patch (True where the pixel is glass).
    """
    half, dist = _disc_grid(size)
    disc = np.clip(size / 2 - dist + 0.5, 0.0, 1.0).astype(np.float32)
    profile = (disc * inside).astype(np.float32)
    return Shape(int(y) - half, int(x) - half, profile, profile >= MASK_LEVEL)


def chip_patch_half(size: float) -> int:
    return _disc_grid(size)[0]
