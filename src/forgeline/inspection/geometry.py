"""The cover-glass piece as the camera sees it: outline, printed border, camera hole, zones.

Pure geometry shared by the generator (which draws the piece) and the good-glass model (which
maps each pixel to an inspection zone). Distances are signed: negative inside the glass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

# Zone codes in a zone map; 0 is outside the inspected area.
OUTSIDE, ZONE_A, ZONE_B, ZONE_C = 0, 1, 2, 3
ZONE_NAMES = {ZONE_A: "A", ZONE_B: "B", ZONE_C: "C"}
# How far outside the outline a defect still counts (a chip bites into the edge).
EDGE_MARGIN_PX = 6.0


@dataclass(frozen=True)
class PieceGeometry:
    """Where the piece lies in a `width` x `height` image, in pixels (sub-pixel is allowed)."""

    width: int
    height: int
    margin_px: float
    corner_radius_px: float
    ink_px: float  # printed border, inward from the outline: zone C
    near_edge_px: float  # band inside the ink and around the hole: zone B
    hole_x: float
    hole_y: float
    hole_radius_px: float
    mm_per_px: float

    @classmethod
    def for_image(cls, width: int, height: int, glass_length_mm: float = 152.4) -> PieceGeometry:
        """The default layout: a landscape piece filling the frame with a small margin."""
        margin = round(0.035 * width, 1)
        return cls(
            width=width,
            height=height,
            margin_px=margin,
            corner_radius_px=round(0.09 * height, 1),
            ink_px=round(0.045 * height, 1),
            near_edge_px=round(0.03 * height, 1),
            hole_x=round(margin + 0.07 * width, 1),
            hole_y=round(height / 2, 1),
            hole_radius_px=round(0.025 * height, 1),
            mm_per_px=round(glass_length_mm / (width - 2 * margin), 5),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PieceGeometry:
        return cls(**data)

    def outline_distance(self, dy: float = 0.0, dx: float = 0.0) -> F32:
        """Signed distance (px) to the rounded-rectangle outline, shifted by (dy, dx)."""
        ys = np.arange(self.height, dtype=np.float32)[:, None] - np.float32(dy)
        xs = np.arange(self.width, dtype=np.float32)[None, :] - np.float32(dx)
        half_w = (self.width - 2 * self.margin_px) / 2
        half_h = (self.height - 2 * self.margin_px) / 2
        r = self.corner_radius_px
        qx = np.abs(xs - np.float32(self.width / 2)) - np.float32(half_w - r)
        qy = np.abs(ys - np.float32(self.height / 2)) - np.float32(half_h - r)
        outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
        inside = np.minimum(np.maximum(qx, qy), 0)
        result: F32 = (outside + inside - np.float32(r)).astype(np.float32)
        return result

    def hole_distance(self, dy: float = 0.0, dx: float = 0.0) -> F32:
        """Signed distance (px) to the camera hole's edge, negative inside the hole."""
        ys = np.arange(self.height, dtype=np.float32)[:, None] - np.float32(self.hole_y + dy)
        xs = np.arange(self.width, dtype=np.float32)[None, :] - np.float32(self.hole_x + dx)
        result: F32 = (np.hypot(xs, ys) - np.float32(self.hole_radius_px)).astype(np.float32)
        return result

    def zone_map(self) -> U8:
        """Zone of each pixel: C under the ink (and just outside the edge), B near an edge, A."""
        d_out = self.outline_distance()
        d_hole = self.hole_distance()
        zones = np.full(d_out.shape, ZONE_A, dtype=np.uint8)
        zones[d_out > -(self.ink_px + self.near_edge_px)] = ZONE_B
        zones[d_out > -self.ink_px] = ZONE_C
        zones[(d_hole < self.near_edge_px) & (d_out < -self.ink_px)] = ZONE_B
        zones[d_out > EDGE_MARGIN_PX] = OUTSIDE
        zones[d_hole < -EDGE_MARGIN_PX] = OUTSIDE
        return zones

    def edge_distance(self) -> F32:
        """Unsigned distance (px) to the nearest edge, outline or hole: chips start there."""
        return np.minimum(np.abs(self.outline_distance()), np.abs(self.hole_distance()))
