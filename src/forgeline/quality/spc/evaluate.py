"""Phase II (and the plotting half of phase I): a chart's points against given limits.

``evaluate`` turns data and ``Limits`` into ``Series`` (values with per-point centre and limits)
and ``Violation``s. The main series (X-bar, I, p, np, c, u, EWMA, CUSUM C+) comes first; a
second series is the R, S or MR chart, or the CUSUM's lower side (plotted as -C-).

Lines per point, sigma = the process sigma in ``Limits``, n_i the point's sample size,
L = ``nsigma`` (3):

- I: centre +/- L sigma; MR (point i >= 1, |x_i - x_{i-1}|): centre d2(2) sigma, limits
  (d2 +/- L d3) sigma, lower floored at 0.
- X-bar: centre +/- L sigma / sqrt(n_i); R: d2(n_i) sigma, (d2 +/- L d3) sigma;
  S: c4(n_i) sigma, (c4 +/- L sqrt(1 - c4^2)) sigma; lower limits floored at 0.
- p: p +/- L sqrt(p (1-p) / n_i) within [0, 1]; np: n p +/- L sqrt(n p (1-p)) within [0, n];
  c: c +/- L sqrt(c), floored at 0; u: u +/- L sqrt(u / n_i), floored at 0.
- EWMA: z_i = lam x_i + (1-lam) z_{i-1}, z_0 = centre; centre +/- L sigma
  sqrt(lam / (2-lam) (1 - (1-lam)^(2i))).
- CUSUM: C+_i = max(0, x_i - mu0 - k sigma + C+_{i-1}), C-_i mirrored, C_0 = headstart sigma;
  signal when C > h sigma. Computed as S_i - min(-C_0, min_{j<=i} S_j) with S the cumulative sum.

Run rules run on the main series of the Shewhart charts only (not EWMA or CUSUM, whose points
are autocorrelated by construction). The rule ``limits`` flags points beyond the limits of the
second series and of EWMA/CUSUM; it is on whenever any rule is selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import lfilter

from forgeline.quality.spc.constants import c4, c4_array, d2, d2_array, d3, d3_array
from forgeline.quality.spc.data import (
    FloatArray,
    IntArray,
    Subgroups,
    as_counts,
    as_subgroups,
    as_values,
    is_constant,
)
from forgeline.quality.spc.errors import SpcInputError
from forgeline.quality.spc.limits import SUBGROUP_CHARTS, Chart, Limits
from forgeline.quality.spc.rules import NELSON, RuleSet, check_rules


@dataclass(frozen=True)
class Series:
    """One plotted line: ``values`` at the consecutive 0-based points from ``offset`` on.

    ``center``, ``lcl``, ``ucl`` and ``sigma`` (the standard deviation of the plotted statistic,
    for the zones) have one entry per value; where they are constant they are read-only
    broadcast views of one number, so 10 million points cost no extra memory.
    """

    name: str
    values: FloatArray
    center: FloatArray
    lcl: FloatArray
    ucl: FloatArray
    sigma: FloatArray
    offset: int = 0

    @property
    def index(self) -> IntArray:
        """The 0-based point of every value."""
        return np.arange(self.offset, self.offset + len(self.values), dtype=np.int64)


@dataclass(frozen=True)
class Violation:
    """Rule ``rule`` flags the 0-based ``points`` of series ``series``."""

    rule: str
    series: str
    points: IntArray


@dataclass(frozen=True)
class ChartResult:
    chart: Chart
    limits: Limits
    series: tuple[Series, ...]
    violations: tuple[Violation, ...]

    @property
    def main(self) -> Series:
        return self.series[0]

    @property
    def in_control(self) -> bool:
        return not any(len(v.points) for v in self.violations)

    def flagged_points(self) -> IntArray:
        """Every 0-based point some rule flags, ascending."""
        if not self.violations:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate([v.points for v in self.violations]))

    def rules_by_point(self) -> dict[int, list[str]]:
        """Point -> the rules it breaks (series-qualified for second series: ``r:limits``)."""
        out: dict[int, list[str]] = {}
        main = self.main.name
        for v in self.violations:
            label = v.rule if v.series == main else f"{v.series}:{v.rule}"
            for point in v.points.tolist():
                out.setdefault(int(point), []).append(label)
        return dict(sorted(out.items()))


def _full(value: float | FloatArray, count: int) -> FloatArray:
    """Per-point values; a scalar (or length-1 array) becomes a read-only broadcast view."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0 or arr.shape == (1,):
        return np.broadcast_to(arr.reshape(()), (count,))
    return arr


def _series(
    name: str,
    values: FloatArray,
    center: float | FloatArray,
    sigma: float | FloatArray,
    nsigma: float,
    *,
    floor: float | None = 0.0,
    cap: float | None = None,
) -> Series:
    """centre +/- nsigma * sigma, clipped to [floor, cap]; scalars stay broadcast views."""
    count = len(values)
    centre, spread = np.asarray(center, dtype=np.float64), np.asarray(sigma, dtype=np.float64)
    if spread.ndim == 0 and centre.ndim == 0:
        low, high = centre - nsigma * spread, centre + nsigma * spread
        if floor is not None:
            low = np.maximum(low, floor)
        if cap is not None:
            high = np.minimum(high, cap)
    else:  # per-point lines: two new arrays, computed in place
        high = np.multiply(spread, nsigma)
        low = np.subtract(centre, high)
        high += centre
        if floor is not None:
            np.maximum(low, floor, out=low)
        if cap is not None:
            np.minimum(high, cap, out=high)
    return Series(
        name,
        values,
        _full(centre, count),
        _full(low, count),
        _full(high, count),
        _full(spread, count),
    )


def _spread_series(
    name: str,
    spread: FloatArray,
    mean: float | FloatArray,
    sd: float | FloatArray,
    nsigma: float,
    offset: int = 0,
) -> Series:
    """R, S or MR: centre = mean factor * sigma, limits mean +/- L * sd factor, floored at 0."""
    centre, deviation = np.asarray(mean, dtype=np.float64), np.asarray(sd, dtype=np.float64)
    low = np.maximum(centre - nsigma * deviation, 0.0)
    count = len(spread)
    return Series(
        name,
        spread,
        _full(centre, count),
        _full(low, count),
        _full(centre + nsigma * deviation, count),
        _full(deviation, count),
        offset,
    )


def _individuals(x: FloatArray, limits: Limits) -> tuple[Series, ...]:
    sigma, k = float(limits.sigma or 0.0), limits.nsigma
    main = _series("i", x, limits.center, sigma, k, floor=None)
    moving = np.diff(x)
    np.abs(moving, out=moving)
    mean = d2(2, exact=limits.exact_constants) * sigma
    return main, _spread_series("mr", moving, mean, d3(2) * sigma, k, offset=1)


def _subgrouped(groups: Subgroups, limits: Limits) -> tuple[Series, ...]:
    sigma, k = float(limits.sigma or 0.0), limits.nsigma
    sizes = groups.sizes
    equal = groups.equal_size
    if (equal or 0) < 2 and (sizes < 2).any():
        bad = int(np.argmax(sizes < 2))
        raise SpcInputError(
            f"subgroup {bad} has {int(sizes[bad])} value(s); {limits.chart.value} charts need "
            "subgroups of at least 2"
        )
    root_n = np.sqrt(float(equal)) if equal is not None else np.sqrt(sizes.astype(np.float64))
    main = _series("xbar", groups.means(), limits.center, sigma / root_n, k, floor=None)
    mean_f: float | FloatArray
    sd_f: float | FloatArray
    if limits.chart is Chart.XBAR_R:
        if equal is not None:
            mean_f, sd_f = d2(equal, exact=limits.exact_constants), d3(equal)
        else:
            mean_f, sd_f = d2_array(sizes, exact=limits.exact_constants), d3_array(sizes)
        return main, _spread_series("r", groups.ranges(), mean_f * sigma, sd_f * sigma, k)
    c4f: float | FloatArray = c4(equal) if equal is not None else c4_array(sizes)
    deviation = np.sqrt(1.0 - c4f**2) * sigma
    return main, _spread_series("s", groups.sds(), c4f * sigma, deviation, k)


def _attributes(
    chart: Chart, data: ArrayLike, sizes: ArrayLike | None, limits: Limits
) -> tuple[Series, ...]:
    if chart is Chart.NP and sizes is None and limits.sample_size is not None:
        sizes = limits.sample_size
    counts, n = as_counts(data, sizes, chart=chart.value, need_sizes=chart is not Chart.C)
    center, k = limits.center, limits.nsigma
    if chart is Chart.C:
        return (_series("c", counts, center, np.sqrt(center), k),)
    assert n is not None
    if chart in (Chart.P, Chart.NP) and (counts > n).any():
        index = int(np.argmax(counts > n))
        raise SpcInputError(f"point {index} has {counts[index]:g} defectives in {n[index]:g}")
    # One sample size for all points: scalar limits (broadcast views), not an array per point.
    per_point: float | FloatArray = float(n[0]) if is_constant(n) else n
    variance = (center if chart is Chart.U else center * (1.0 - center)) / per_point
    spread = (
        np.sqrt(variance, out=variance) if isinstance(variance, np.ndarray) else np.sqrt(variance)
    )
    if chart is Chart.U:
        return (_series("u", counts / n, center, spread, k),)
    if chart is Chart.P:
        return (_series("p", counts / n, center, spread, k, cap=1.0),)
    if not isinstance(per_point, float):
        raise SpcInputError("an np chart needs one constant sample size; use a p chart")
    size = per_point
    spread_np = np.sqrt(size * center * (1.0 - center))
    return (_series("np", counts, size * center, spread_np, k, cap=size),)


def _ewma(x: FloatArray, limits: Limits) -> tuple[Series, ...]:
    lam, width = limits.params["lam"], limits.params["width"]
    sigma, mu = float(limits.sigma or 0.0), limits.center
    z = lfilter([lam], [1.0, lam - 1.0], x, zi=[(1.0 - lam) * mu])[0]
    # (1-lam)^(2i) drops below double precision after a few hundred points: only those
    # differ from the asymptotic width.
    spread = np.full(len(x), sigma * np.sqrt(lam / (2.0 - lam)))
    if lam < 1.0:
        head = min(len(x), int(np.ceil(-40.0 / np.log(1.0 - lam))) + 1)
        steps = np.arange(1, head + 1, dtype=np.float64)
        spread[:head] = sigma * np.sqrt(lam / (2.0 - lam) * (1.0 - (1.0 - lam) ** (2.0 * steps)))
    return (_series("ewma", np.asarray(z, dtype=np.float64), mu, spread, width, floor=None),)


def _one_sided(x: FloatArray, shift: float, sign: float, start: float) -> FloatArray:
    """C_i = max(0, C_{i-1} + sign (x_i - shift)), C_0 = start: S_i - min(-start, min S_j)."""
    sums = np.subtract(x, shift) if sign > 0 else np.subtract(shift, x)
    np.cumsum(sums, out=sums)
    if len(sums) == 0:
        return sums
    # min(-start, S_0, ..., S_i) in the one accumulate pass: lower S_0 to -start for it.
    first = float(sums[0])
    sums[0] = min(first, -start)
    floor = np.minimum.accumulate(sums)
    sums[0] = first
    np.subtract(sums, floor, out=sums)
    return sums


def _cusum(x: FloatArray, limits: Limits) -> tuple[Series, ...]:
    sigma, mu = float(limits.sigma or 0.0), limits.center
    slack, bound = limits.params["k"] * sigma, limits.params["h"] * sigma
    start = limits.params["headstart"] * sigma
    upper = _one_sided(x, mu + slack, 1.0, start)
    lower = _one_sided(x, mu - slack, -1.0, start)
    count = len(x)
    zero, spread = _full(0.0, count), _full(sigma, count)
    np.negative(lower, out=lower)
    return (
        Series("cusum+", upper, zero, zero, _full(bound, count), spread),
        Series("cusum-", lower, zero, _full(-bound, count), zero, spread),
    )


def chart_series(
    chart: Chart | str,
    data: ArrayLike | Subgroups | Sequence[ArrayLike],
    limits: Limits,
    *,
    sizes: ArrayLike | None = None,
) -> tuple[Series, ...]:
    """The plotted series of ``data`` against ``limits`` (no rules)."""
    kind = Chart.parse(chart)
    if limits.chart is not kind:
        raise SpcInputError(f"these limits are for a {limits.chart.value} chart, not {kind.value}")
    if kind in SUBGROUP_CHARTS:
        return _subgrouped(as_subgroups(data), limits)
    if kind in (Chart.IMR, Chart.EWMA, Chart.CUSUM):
        x = as_values(data)  # type: ignore[arg-type]
        if len(x) == 0:
            raise SpcInputError("there are no points to chart")
        if kind is Chart.IMR:
            return _individuals(x, limits)
        return _ewma(x, limits) if kind is Chart.EWMA else _cusum(x, limits)
    series = _attributes(kind, data, sizes, limits)  # type: ignore[arg-type]
    if len(series[0].values) == 0:
        raise SpcInputError("there are no points to chart")
    return series


def _beyond(series: Series) -> Violation:
    flagged = (series.values > series.ucl) | (series.values < series.lcl)
    return Violation("limits", series.name, np.flatnonzero(flagged) + series.offset)


def evaluate(
    chart: Chart | str,
    data: ArrayLike | Subgroups | Sequence[ArrayLike],
    limits: Limits,
    *,
    sizes: ArrayLike | None = None,
    rules: RuleSet | str | None = None,
) -> ChartResult:
    """Chart ``data`` against ``limits`` and apply ``rules`` (default: all eight Nelson rules).

    ``rules`` is a ``RuleSet`` or a spec such as ``"nelson"``, ``"we"``, ``"nelson:1,2,5"`` or
    ``"none"``. Only violations with at least one point are returned.
    """
    ruleset = RuleSet(NELSON) if rules is None else rules
    if isinstance(ruleset, str):
        ruleset = RuleSet.parse(ruleset)
    series = chart_series(chart, data, limits, sizes=sizes)
    violations: list[Violation] = []
    if ruleset.rules:
        if limits.chart in (Chart.EWMA, Chart.CUSUM):
            checked = list(series)
        else:
            main = series[0]
            masks = check_rules(main.values, main.center, main.sigma, main.lcl, main.ucl, ruleset)
            violations += [
                Violation(rule, main.name, np.flatnonzero(mask) + main.offset)
                for rule, mask in masks.items()
            ]
            checked = list(series[1:])
        violations += [_beyond(s) for s in checked]
    return ChartResult(limits.chart, limits, series, tuple(v for v in violations if len(v.points)))
