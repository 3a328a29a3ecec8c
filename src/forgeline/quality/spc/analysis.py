"""Phase I and phase II in one call, with capability: what ``forgeline spc analyze`` runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forgeline.quality.spc.capability import Capability, capability
from forgeline.quality.spc.data import Subgroups, as_subgroups, as_values
from forgeline.quality.spc.errors import SpcInputError
from forgeline.quality.spc.estimate import estimate_limits
from forgeline.quality.spc.evaluate import ChartResult, evaluate
from forgeline.quality.spc.limits import SIGMA_CHARTS, SUBGROUP_CHARTS, Chart, Limits
from forgeline.quality.spc.rules import RuleSet


@dataclass(frozen=True)
class Analysis:
    """The chart over all points, which points were phase I, and capability if asked for."""

    result: ChartResult
    phase1: NDArray[np.bool_]
    capability: Capability | None


def _point_count(chart: Chart, data: object) -> int:
    if chart in SUBGROUP_CHARTS:
        return len(as_subgroups(data))  # type: ignore[arg-type]
    return len(as_values(data))  # type: ignore[arg-type]


def analyze(
    chart: Chart | str,
    data: ArrayLike | Subgroups | Sequence[ArrayLike],
    *,
    sizes: ArrayLike | None = None,
    phase1: NDArray[np.bool_] | None = None,
    exclude: Iterable[int] = (),
    limits: Limits | None = None,
    sigma_method: str | None = None,
    exact_constants: bool = False,
    nsigma: float = 3.0,
    params: dict[str, float] | None = None,
    rules: RuleSet | str | None = None,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    confidence: float = 0.95,
) -> Analysis:
    """Estimate limits from the ``phase1`` points (default: all) less ``exclude``, or take the
    frozen ``limits`` (phase II only), then evaluate every point against them.

    Capability (variables charts, when ``lsl`` or ``usl`` is given) uses the phase-I values that
    were kept (with frozen ``limits``: every point not excluded), the chart's sigma as within
    sigma and its centre as the mean (as qcc does).
    """
    kind = Chart.parse(chart)
    count = _point_count(kind, data)
    if phase1 is None:
        phase1 = np.ones(count, dtype=bool)
    if len(phase1) != count:
        raise SpcInputError(f"phase I mask has {len(phase1)} entries for {count} points")
    excluded = sorted({int(i) for i in exclude})
    for index in excluded:
        if not 0 <= index < count:
            raise SpcInputError(f"excluded point {index} is not one of the {count} points")
    frozen = limits is not None
    if limits is None:
        if not phase1.any():
            raise SpcInputError("no phase I points to estimate limits from")
        dropped = set(excluded) | {int(i) for i in np.flatnonzero(~phase1)}
        limits = estimate_limits(
            kind,
            data,
            sizes=sizes,
            sigma_method=sigma_method,
            exclude=dropped,
            exact_constants=exact_constants,
            nsigma=nsigma,
            params=params,
        )
        limits = dataclasses.replace(limits, excluded=tuple(excluded))
    result = evaluate(kind, data, limits, sizes=sizes, rules=rules)
    study: Capability | None = None
    if lsl is not None or usl is not None:
        if kind not in SIGMA_CHARTS:
            raise SpcInputError(f"capability needs variables data, not a {kind.value} chart")
        keep = np.ones(count, dtype=bool) if frozen else phase1.copy()
        keep[excluded] = False
        if kind in SUBGROUP_CHARTS:
            values = as_subgroups(data).select(keep).values
        else:
            values = as_values(data)[keep]  # type: ignore[arg-type]
        study = capability(
            values,
            sigma_within=float(limits.sigma or 0.0),
            lsl=lsl,
            usl=usl,
            target=target,
            mean=limits.center,
            confidence=confidence,
        )
    return Analysis(result, phase1, study)
