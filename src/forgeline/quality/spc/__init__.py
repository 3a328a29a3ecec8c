"""Statistical process control engine: pure numpy/scipy, no database.

Charts (``Chart``): ``i-mr``, ``xbar-r``, ``xbar-s``, ``p``, ``np``, ``c``, ``u``, ``ewma``,
``cusum``. Conventions, formulas and the JSON format: docs/spc.md.

The API live monitoring calls (all indices 0-based; all errors are ``SpcInputError``):

    limits = estimate_limits(chart, data, *, sizes=None, sigma_method=None, exclude=(),
                             exact_constants=False, nsigma=3.0, params=None) -> Limits
        Phase I. ``data``: individual values (i-mr, ewma, cusum), subgroups (xbar-r, xbar-s:
        ``Subgroups``, 2-D array or list of lists) or counts (p, np, c, u) with ``sizes``.
    stored = limits.to_dict()            # or to_json(); Limits.from_dict / from_json back
    result = evaluate(chart, data, limits, *, sizes=None, rules="nelson") -> ChartResult
        Phase II (or phase I's plot): ``result.series`` (main first: values, per-point
        centre/lcl/ucl), ``result.violations`` (``Violation(rule, series, points)``),
        ``result.in_control``, ``result.rules_by_point()``.
    study = capability(values, sigma_within=limits.sigma, lsl=..., usl=..., target=...,
                       mean=limits.center) -> Capability
    analysis = analyze(chart, data, phase1=mask, exclude=..., rules=..., lsl=..., usl=...)
        Both phases and capability in one call (what the CLI runs).

Rules: ``RuleSet(rules=NELSON, ...)`` or ``RuleSet.parse("nelson:1,2,5")``; every convention
(run lengths, which points are flagged, ties, the centre line, rule 8's sides) is a field.
Limits known from elsewhere ("standards given") are simply ``Limits(chart, center, sigma)``.
"""

from forgeline.quality.spc.analysis import Analysis, analyze
from forgeline.quality.spc.capability import (
    Capability,
    Interval,
    Normality,
    anderson_darling,
    capability,
)
from forgeline.quality.spc.data import Subgroups
from forgeline.quality.spc.errors import SpcInputError
from forgeline.quality.spc.estimate import SIGMA_METHODS, estimate_limits
from forgeline.quality.spc.evaluate import ChartResult, Series, Violation, chart_series, evaluate
from forgeline.quality.spc.limits import Chart, Limits
from forgeline.quality.spc.rules import DESCRIPTIONS, NELSON, WESTERN_ELECTRIC, RuleSet

__all__ = [
    "DESCRIPTIONS",
    "NELSON",
    "SIGMA_METHODS",
    "WESTERN_ELECTRIC",
    "Analysis",
    "Capability",
    "Chart",
    "ChartResult",
    "Interval",
    "Limits",
    "Normality",
    "RuleSet",
    "Series",
    "SpcInputError",
    "Subgroups",
    "Violation",
    "analyze",
    "anderson_darling",
    "capability",
    "chart_series",
    "estimate_limits",
    "evaluate",
]
