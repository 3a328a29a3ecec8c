"""Phase I: estimating a chart's limits from data, optionally leaving points out.

Sigma estimators (``sigma_method``), qcc's defaults first:

- ``"uwave-r"`` (X-bar/R default, qcc): mean over subgroups of R_i / d2(n_i).
- ``"uwave-sd"`` (X-bar/S default, qcc): mean over subgroups of S_i / c4(n_i).
- ``"pooled"`` (Minitab's default within sigma): sqrt(sum (n_i-1) S_i^2 / d) / c4(d + 1),
  d = sum (n_i - 1).
- ``"mr"`` (individuals, EWMA and CUSUM default, qcc): mean moving range / d2(2).
- ``"mr-median"``: median moving range / 0.954 (the median of the range of two normals).

The centre of a variables chart is the mean of all (kept) values, i.e. subgroup means weighted
by size; of a p or u chart sum(counts) / sum(sizes); of a c chart the mean count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forgeline.quality.spc.constants import c4, c4_array, d2, d2_array, d4_median_mr
from forgeline.quality.spc.data import (
    FloatArray,
    Subgroups,
    as_counts,
    as_subgroups,
    as_values,
    is_constant,
)
from forgeline.quality.spc.errors import SpcInputError
from forgeline.quality.spc.limits import DEFAULT_PARAMS, SUBGROUP_CHARTS, Chart, Limits

SIGMA_METHODS: dict[Chart, tuple[str, ...]] = {
    Chart.IMR: ("mr", "mr-median"),
    Chart.EWMA: ("mr", "mr-median"),
    Chart.CUSUM: ("mr", "mr-median"),
    Chart.XBAR_R: ("uwave-r", "uwave-sd", "pooled"),
    Chart.XBAR_S: ("uwave-sd", "uwave-r", "pooled"),
}
MIN_POINTS = 2


def _keep_mask(count: int, exclude: Iterable[int]) -> NDArray[np.bool_]:
    keep = np.ones(count, dtype=bool)
    for raw in exclude:
        index = int(raw)
        if not 0 <= index < count:
            raise SpcInputError(f"excluded point {index} is not one of the {count} points")
        keep[index] = False
    if int(keep.sum()) < MIN_POINTS:
        raise SpcInputError(
            f"estimating limits needs at least {MIN_POINTS} points, got {int(keep.sum())}"
            + (" after exclusions" if count >= MIN_POINTS else "")
        )
    return keep


def _no_variation(what: str) -> SpcInputError:
    return SpcInputError(f"the data do not vary ({what} is 0): sigma is 0, limits are undefined")


def individuals_sigma(x: FloatArray, keep: NDArray[np.bool_], method: str, *, exact: bool) -> float:
    """Sigma from the moving ranges between consecutive kept points."""
    moving = np.diff(x)
    np.abs(moving, out=moving)
    if not keep.all():
        moving = moving[keep[1:] & keep[:-1]]
    if len(moving) == 0:
        raise SpcInputError("no two consecutive points are kept: no moving range to estimate from")
    if method == "mr":
        sigma = float(moving.mean()) / d2(2, exact=exact)
    else:
        sigma = float(np.median(moving)) / d4_median_mr()
    if sigma <= 0:
        raise _no_variation("the moving range")
    return sigma


def subgroup_sigma(groups: Subgroups, method: str, *, exact: bool) -> float:
    """Within-subgroup sigma of subgroups of at least 2 values."""
    equal = groups.equal_size
    if (equal or 0) < 2 and (groups.sizes < 2).any():
        index = int(np.argmax(groups.sizes < 2))
        raise SpcInputError(
            f"subgroup {index} has {int(groups.sizes[index])} value(s); ranges and standard "
            "deviations need subgroups of at least 2 (use an I-MR chart for single values)"
        )
    if method == "uwave-r":
        if equal is not None:
            sigma = float(np.mean(groups.ranges())) / d2(equal, exact=exact)
        else:
            sigma = float(np.mean(groups.ranges() / d2_array(groups.sizes, exact=exact)))
    elif method == "uwave-sd":
        if equal is not None:
            sigma = float(np.mean(groups.sds())) / c4(equal)
        else:
            sigma = float(np.mean(groups.sds() / c4_array(groups.sizes)))
    else:
        dof = int((groups.sizes - 1).sum())
        pooled = float(np.sqrt(np.sum((groups.sizes - 1) * groups.sds() ** 2) / dof))
        sigma = pooled / c4(dof + 1)
    if sigma <= 0:
        raise _no_variation("every subgroup's spread")
    return sigma


def _sigma_method(chart: Chart, method: str | None) -> str:
    options = SIGMA_METHODS[chart]
    if method is None:
        return options[0]
    if method not in options:
        raise SpcInputError(
            f"sigma method {method!r} does not apply to a {chart.value} chart; "
            f"choose one of {', '.join(options)}"
        )
    return method


def estimate_limits(
    chart: Chart | str,
    data: ArrayLike | Subgroups | Sequence[ArrayLike],
    *,
    sizes: ArrayLike | None = None,
    sigma_method: str | None = None,
    exclude: Iterable[int] = (),
    exact_constants: bool = False,
    nsigma: float = 3.0,
    params: dict[str, float] | None = None,
) -> Limits:
    """Phase I: the limits ``data`` supports, leaving out the 0-based points in ``exclude``.

    ``data`` is the individual values (I-MR, EWMA, CUSUM), the subgroups (X-bar/R, X-bar/S: a
    ``Subgroups``, a 2-D array or a list of sequences) or the counts (p, np: defectives; c, u:
    defects) with ``sizes`` the sample size of each point (p, np, u; a scalar for np).
    """
    kind = Chart.parse(chart)
    if sigma_method is not None and kind not in SIGMA_METHODS:
        raise SpcInputError(f"a {kind.value} chart takes no sigma method")
    extra = dict(params or {})
    if kind not in DEFAULT_PARAMS and extra:
        raise SpcInputError(f"a {kind.value} chart takes no parameters {sorted(extra)}")

    if kind in SUBGROUP_CHARTS:
        groups = as_subgroups(data)
        keep = _keep_mask(len(groups), exclude)
        kept = groups if keep.all() else groups.select(keep)
        method = _sigma_method(kind, sigma_method)
        sigma = subgroup_sigma(kept, method, exact=exact_constants)
        return Limits(
            kind,
            center=float(kept.values.mean()),
            sigma=sigma,
            sigma_method=method,
            sample_size=kept.equal_size,
            n_points=len(kept),
            excluded=tuple(int(i) for i in np.flatnonzero(~keep)),
            exact_constants=exact_constants,
            nsigma=nsigma,
        )

    if kind in (Chart.IMR, Chart.EWMA, Chart.CUSUM):
        x = as_values(data)  # type: ignore[arg-type]
        keep = _keep_mask(len(x), exclude)
        method = _sigma_method(kind, sigma_method)
        return Limits(
            kind,
            center=float(x.mean() if keep.all() else x[keep].mean()),
            sigma=individuals_sigma(x, keep, method, exact=exact_constants),
            sigma_method=method,
            params=extra,
            n_points=int(keep.sum()),
            excluded=tuple(int(i) for i in np.flatnonzero(~keep)),
            exact_constants=exact_constants,
            nsigma=nsigma,
        )

    counts, n = as_counts(
        data,  # type: ignore[arg-type]
        sizes,
        chart=kind.value,
        need_sizes=kind is not Chart.C,
    )
    keep = _keep_mask(len(counts), exclude)
    excluded = tuple(int(i) for i in np.flatnonzero(~keep))
    sample_size: int | None = None
    every = bool(keep.all())
    if kind is Chart.C:
        center = float(counts.mean() if every else counts[keep].mean())
    else:
        assert n is not None
        if kind in (Chart.P, Chart.NP) and (counts > n).any():
            index = int(np.argmax(counts > n))
            raise SpcInputError(
                f"point {index} has {counts[index]:g} defectives in a sample of {n[index]:g}"
            )
        if kind is Chart.NP:
            if not is_constant(n):
                raise SpcInputError("an np chart needs one constant sample size; use a p chart")
            sample_size = int(n[0])
        center = float(counts.sum() / n.sum() if every else counts[keep].sum() / n[keep].sum())
    return Limits(
        kind,
        center=center,
        sample_size=sample_size,
        n_points=int(keep.sum()),
        excluded=excluded,
        exact_constants=exact_constants,
        nsigma=nsigma,
    )
