"""Run rules (Nelson 1984 and Western Electric), vectorised with cumulative window counts.

Every rule is "a window of w consecutive points shows the pattern". "All of the window" and "any
of the window" are computed by doubling (AND/OR of the window of 2^j with itself shifted, then two
overlapping power-of-two windows), "m of the window" by adding shifted boolean views (or, for
long windows, differencing a cumulative sum). Each rule is a handful of O(N) passes over boolean
arrays (no per-point Python loop, no reads past the array), and the zones are compared against
thresholds directly, so no z array is built when the limits are constant.

Conventions (``RuleSet`` fields; defaults follow qcc):

- ``flag="completing"``: a point is flagged when it completes the pattern, i.e. it ends a
  qualifying window; later points of the same run end qualifying windows too and are flagged.
  ``flag="pattern"`` flags every point of a qualifying window (for the "m of n" rules only the
  m-or-more points beyond the zone, on that side).
- Rule 1 / WE 1: a point strictly beyond a control limit (a point on the limit is in control),
  compared with the chart's own (floored/capped) limits.
- Zones: "beyond k sigma" is strictly |z| > k and "within 1 sigma" strictly |z| < 1, with
  z = (value - centre) / sigma of that point (per point for variable sample sizes).
- ``center_breaks_run=True``: a point exactly on the centre line is on neither side and breaks
  rules 2 and WE 4; False counts it on both sides.
- ``trend_counts="points"`` (qcc, JMP): rule 3's 6 is points (5 steps); ``"steps"``: 6 steps
  (7 points, as in some Minitab documentation).
- ``ties_break_trend=True``: equal consecutive values end a trend; False lets a tie continue it
  (a trend still needs at least one strict step). Rule 4: a tie always ends the alternation.
- Rules 3 and 4 look at the plotted values, the zone rules at z.
- ``mixture_both_sides=True`` (qcc): rule 8's run beyond 1 sigma must have points on both sides.
- ``last_point_must_count=False``: for "2 of 3" and "4 of 5" the completing point need not
  itself be beyond the zone (True: it must, as in Minitab's flagging).
- Run lengths (``same_side_run`` 9, ``trend_run`` 6, ``alternating_run`` 14,
  ``stratification_run`` 15, ``mixture_run`` 8, ``we_same_side_run`` 8) are parameters too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from forgeline.quality.spc.errors import SpcInputError

BoolArray = NDArray[np.bool_]
NELSON = tuple(f"nelson{i}" for i in range(1, 9))
WESTERN_ELECTRIC = ("we1", "we2", "we3", "we4")
ALL_RULES = NELSON + WESTERN_ELECTRIC
DESCRIPTIONS = {
    "nelson1": "one point beyond the control limits (3 sigma)",
    "nelson2": "nine points in a row on the same side of the centre line",
    "nelson3": "six points in a row steadily increasing or decreasing",
    "nelson4": "fourteen points in a row alternating up and down",
    "nelson5": "two of three consecutive points beyond 2 sigma, same side",
    "nelson6": "four of five consecutive points beyond 1 sigma, same side",
    "nelson7": "fifteen points in a row within 1 sigma, either side",
    "nelson8": "eight points in a row beyond 1 sigma, none within",
    "we1": "one point beyond the control limits (3 sigma)",
    "we2": "two of three consecutive points beyond 2 sigma, same side",
    "we3": "four of five consecutive points beyond 1 sigma, same side",
    "we4": "eight points in a row on the same side of the centre line",
    "limits": "a point beyond the limits of the R, S, MR, EWMA or CUSUM chart",
}


@dataclass(frozen=True)
class RuleSet:
    """Which rules run and with which conventions (see the module docstring)."""

    rules: tuple[str, ...] = NELSON
    flag: Literal["completing", "pattern"] = "completing"
    trend_counts: Literal["points", "steps"] = "points"
    ties_break_trend: bool = True
    center_breaks_run: bool = True
    mixture_both_sides: bool = True
    last_point_must_count: bool = False
    same_side_run: int = 9
    trend_run: int = 6
    alternating_run: int = 14
    stratification_run: int = 15
    mixture_run: int = 8
    we_same_side_run: int = 8

    def __post_init__(self) -> None:
        unknown = [r for r in self.rules if r not in ALL_RULES]
        if unknown:
            raise SpcInputError(f"unknown rule(s) {unknown}; known: {', '.join(ALL_RULES)}")
        if self.flag not in ("completing", "pattern"):
            raise SpcInputError(f"flag must be 'completing' or 'pattern', got {self.flag!r}")
        if self.trend_counts not in ("points", "steps"):
            raise SpcInputError(
                f"trend_counts must be 'points' or 'steps', not {self.trend_counts!r}"
            )
        for name in ("same_side_run", "stratification_run", "mixture_run", "we_same_side_run"):
            if getattr(self, name) < 1:
                raise SpcInputError(f"{name} must be at least 1")
        if self.trend_run < 3 or self.alternating_run < 3:
            raise SpcInputError("trend_run and alternating_run must be at least 3")

    @classmethod
    def parse(cls, spec: str) -> RuleSet:
        """``nelson``, ``we``, ``none``, ``nelson:1,2,5``, ``we:1,4`` or ``nelson:1+we:4``."""
        chosen: list[str] = []
        for part in (p.strip().lower() for p in spec.split("+")):
            family, _, numbers = part.partition(":")
            prefix = {"nelson": "nelson", "we": "we", "western-electric": "we"}.get(family)
            if family == "none" and not numbers:
                continue
            if prefix is None:
                raise SpcInputError(
                    f"unknown rule set {part!r}; use nelson, we, none, nelson:1,2,5 or we:1,4"
                )
            size = 8 if prefix == "nelson" else 4
            picked = [n.strip() for n in numbers.split(",")] if numbers else []
            if not picked:
                picked = [str(i) for i in range(1, size + 1)]
            for number in picked:
                if not number.isdigit() or not 1 <= int(number) <= size:
                    raise SpcInputError(f"{prefix} has rules 1 to {size}, not {number!r}")
                if f"{prefix}{int(number)}" not in chosen:
                    chosen.append(f"{prefix}{int(number)}")
        return cls(rules=tuple(chosen))


def _slide(mask: BoolArray, width: int, op: str) -> BoolArray:
    """``op`` ("all" or "any") over each window of ``width``: entry j covers mask[j:j+width]."""
    count = len(mask) - width + 1
    if count <= 0:
        return np.zeros(0, dtype=bool)
    combine = np.logical_and if op == "all" else np.logical_or
    power, span = mask, 1
    while span * 2 <= width:
        power = combine(power[:-span], power[span:])
        span *= 2
    if span == width:
        return power[:count]
    out: BoolArray = combine(power[:count], power[width - span : width - span + count])
    return out


def _count(mask: BoolArray, width: int) -> NDArray[np.integer]:
    """Number of true values in each window of ``width`` (entry j covers mask[j:j+width])."""
    count = len(mask) - width + 1
    if width <= 16:
        total = mask[:count].astype(np.uint8)
        for shift in range(1, width):
            total += mask[shift : shift + count]
        return total
    sums = np.zeros(len(mask) + 1, dtype=np.int64)
    np.cumsum(mask, out=sums[1:])
    wide: NDArray[np.integer] = sums[width:] - sums[:-width]
    return wide


def _at_end(windows: BoolArray, total: int) -> BoolArray:
    """Put per-window results on each window's last point (earlier points: False)."""
    out = np.zeros(total, dtype=bool)
    if len(windows):
        out[total - len(windows) :] = windows
    return out


def _covered(ends: BoolArray, width: int) -> BoolArray:
    """Points inside some window of ``width`` that ends at a true entry of ``ends``."""
    padded = np.concatenate((ends, np.zeros(width - 1, dtype=bool)))
    return _slide(padded, width, "any")


class _Checker:
    def __init__(
        self,
        values: NDArray[np.float64],
        center: NDArray[np.float64],
        sigma: NDArray[np.float64],
        lcl: NDArray[np.float64],
        ucl: NDArray[np.float64],
        rules: RuleSet,
    ) -> None:
        self.values, self.lcl, self.ucl, self.cfg = values, lcl, ucl, rules
        self.n = len(values)
        self.center, self.sigma = center, sigma
        self._constant = _scalar(center) is not None and _scalar(sigma) is not None
        self._z: NDArray[np.float64] | None = None
        self._cache: dict[tuple[str, float], BoolArray] = {}

    def _zone(self, side: str, level: float) -> BoolArray:
        """Points beyond ``level`` sigma on ``side`` ("above"/"below"; level 0: the centre)."""
        key = (side, level)
        if key not in self._cache:
            strict = level > 0 or self.cfg.center_breaks_run
            if self._constant:
                c, s = float(self.center[0]), float(self.sigma[0])
                lhs, rhs = self.values, (c + level * s if side == "above" else c - level * s)
            else:
                if self._z is None:
                    self._z = (self.values - self.center) / self.sigma
                lhs, rhs = self._z, (level if side == "above" else -level)
            if side == "above":
                mask = lhs > rhs if strict else lhs >= rhs
            else:
                mask = lhs < rhs if strict else lhs <= rhs
            self._cache[key] = mask
        return self._cache[key]

    def _flag(self, sides: Sequence[tuple[BoolArray, BoolArray | None]], width: int) -> BoolArray:
        """Combine per-side window ends; in pattern mode spread them over their windows."""
        if self.cfg.flag == "completing":
            out = sides[0][0].copy()
            for ends, _ in sides[1:]:
                out |= ends
            return out
        out = np.zeros(self.n, dtype=bool)
        for ends, members in sides:
            covered = _covered(ends, width)
            out |= covered if members is None else covered & members
        return out

    def beyond_limits(self) -> BoolArray:
        flagged: BoolArray = (self.values > self.ucl) | (self.values < self.lcl)
        return flagged

    def same_side(self, width: int) -> BoolArray:
        above, below = self._zone("above", 0.0), self._zone("below", 0.0)
        return self._flag(
            [
                (_at_end(_slide(above, width, "all"), self.n), above),
                (_at_end(_slide(below, width, "all"), self.n), below),
            ],
            width,
        )

    def m_of_n(self, count: int, width: int, zone: float) -> BoolArray:
        sides = []
        for side in ("above", "below"):
            beyond = self._zone(side, zone)
            ends = (
                _at_end(_count(beyond, width) >= count, self.n)
                if self.n >= width
                else (np.zeros(self.n, dtype=bool))
            )
            if self.cfg.last_point_must_count:
                ends &= beyond
            sides.append((ends, beyond))
        return self._flag(sides, width)

    def trend(self) -> BoolArray:
        steps = self.cfg.trend_run - (1 if self.cfg.trend_counts == "points" else 0)
        later, earlier = self.values[1:], self.values[:-1]
        sides = []
        for up in (True, False):
            strict = later > earlier if up else later < earlier
            if self.cfg.ties_break_trend:
                ends = _slide(strict, steps, "all")
            else:
                moving = later >= earlier if up else later <= earlier
                ends = _slide(moving, steps, "all") & _slide(strict, steps, "any")
            sides.append((_at_end(ends, self.n), None))
        return self._flag(sides, steps + 1)

    def alternating(self) -> BoolArray:
        width = self.cfg.alternating_run
        later, earlier = self.values[1:], self.values[:-1]
        up, down = later > earlier, later < earlier
        flips = (up[:-1] & down[1:]) | (down[:-1] & up[1:])
        return self._flag([(_at_end(_slide(flips, width - 2, "all"), self.n), None)], width)

    def within_one(self) -> BoolArray:
        width = self.cfg.stratification_run
        within = ~(self._zone_or_on("above") | self._zone_or_on("below"))
        return self._flag([(_at_end(_slide(within, width, "all"), self.n), None)], width)

    def _zone_or_on(self, side: str) -> BoolArray:
        """At or beyond 1 sigma on ``side`` (the complement of strictly within)."""
        if self._constant:
            c, s = float(self.center[0]), float(self.sigma[0])
            return self.values >= c + s if side == "above" else self.values <= c - s
        if self._z is None:
            self._z = (self.values - self.center) / self.sigma
        return self._z >= 1.0 if side == "above" else self._z <= -1.0

    def mixture(self) -> BoolArray:
        width = self.cfg.mixture_run
        above, below = self._zone("above", 1.0), self._zone("below", 1.0)
        ends = _slide(above | below, width, "all")
        if self.cfg.mixture_both_sides:
            ends &= _slide(above, width, "any") & _slide(below, width, "any")
        return self._flag([(_at_end(ends, self.n), None)], width)


def _scalar(values: NDArray[np.float64]) -> float | None:
    """The value of an array that is a broadcast scalar (stride 0), else None."""
    if values.ndim == 1 and len(values) and values.strides[0] == 0:
        return float(values[0])
    return None


def check_rules(
    values: NDArray[np.float64],
    center: NDArray[np.float64],
    sigma: NDArray[np.float64],
    lcl: NDArray[np.float64],
    ucl: NDArray[np.float64],
    rules: RuleSet,
) -> dict[str, BoolArray]:
    """A mask of flagged points for every selected rule.

    ``center``, ``sigma``, ``lcl`` and ``ucl`` are per point; pass ``np.broadcast_to`` views of
    scalars for constant limits (then no per-point z is computed).
    """
    count = len(values)
    center, sigma = np.broadcast_to(center, (count,)), np.broadcast_to(sigma, (count,))
    checker = _Checker(values, center, sigma, lcl, ucl, rules)
    cfg = rules
    table: dict[str, Callable[[], BoolArray]] = {
        "nelson1": checker.beyond_limits,
        "nelson2": lambda: checker.same_side(cfg.same_side_run),
        "nelson3": checker.trend,
        "nelson4": checker.alternating,
        "nelson5": lambda: checker.m_of_n(2, 3, 2.0),
        "nelson6": lambda: checker.m_of_n(4, 5, 1.0),
        "nelson7": checker.within_one,
        "nelson8": checker.mixture,
        "we1": checker.beyond_limits,
        "we2": lambda: checker.m_of_n(2, 3, 2.0),
        "we3": lambda: checker.m_of_n(4, 5, 1.0),
        "we4": lambda: checker.same_side(cfg.we_same_side_run),
    }
    return {name: table[name]() for name in rules.rules}
