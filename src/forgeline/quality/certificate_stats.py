"""What a certificate of conformance states for one characteristic: n, mean, range, Cpk, Ppk.

Pure (numpy only). `characteristic_stats` is the one place the certificate computes capability,
so the SPC engine's capability function can replace it without touching anything else.

Values come in measurement-time order. Cpk uses the within-process sigma of an individuals
chart, MR-bar / d2(2) with d2(2) = 1.128 (qcc's convention for single measurements); Ppk uses
the overall sample standard deviation. One-sided characteristics use the side they have. With
fewer than two values, or no spread, or no limits, the index is None (never NaN or infinity).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

D2_OF_2 = 1.128


@dataclass(frozen=True)
class CharacteristicStats:
    n: int
    mean: float | None
    minimum: float | None
    maximum: float | None
    range: float | None
    sigma_within: float | None
    sigma_overall: float | None
    cpk: float | None
    ppk: float | None
    out_of_spec: int

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _index(mean: float, sigma: float | None, lsl: float | None, usl: float | None) -> float | None:
    if sigma is None or not sigma > 0 or (lsl is None and usl is None):
        return None
    sides = []
    if usl is not None:
        sides.append((usl - mean) / (3 * sigma))
    if lsl is not None:
        sides.append((mean - lsl) / (3 * sigma))
    value = min(sides)
    return value if math.isfinite(value) else None


def characteristic_stats(
    values: Sequence[float], lsl: float | None, usl: float | None
) -> CharacteristicStats:
    """Summary and capability of measurements (in time order) against their limits."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    n = int(data.size)
    if n == 0:
        return CharacteristicStats(0, None, None, None, None, None, None, None, None, 0)
    mean = float(data.mean())
    low, high = float(data.min()), float(data.max())
    within = float(np.abs(np.diff(data)).mean()) / D2_OF_2 if n >= 2 else None
    overall = float(data.std(ddof=1)) if n >= 2 else None
    out = 0
    if lsl is not None:
        out += int((data < lsl).sum())
    if usl is not None:
        out += int((data > usl).sum())
    return CharacteristicStats(
        n=n,
        mean=mean,
        minimum=low,
        maximum=high,
        range=high - low,
        sigma_within=within,
        sigma_overall=overall,
        cpk=_index(mean, within, lsl, usl),
        ppk=_index(mean, overall, lsl, usl),
        out_of_spec=out,
    )
