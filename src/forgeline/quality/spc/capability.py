"""Process capability: Cp, Cpk, Pp, Ppk, Cpm with confidence intervals, fraction out of spec and
an Anderson-Darling normality check.

- Within (potential) indices use the chart's sigma: Cp = (USL - LSL) / (6 sigma_within),
  Cpl = (mu - LSL) / (3 sigma_within), Cpu = (USL - mu) / (3 sigma_within), Cpk = min(Cpl, Cpu).
  ``mean`` defaults to the data mean; pass the chart centre to match qcc.
- Overall (performance) indices Pp, Ppl, Ppu, Ppk use the sample standard deviation (ddof 1).
- Cpm = Cp / sqrt(1 + ((mu - T) / sigma_within)^2), T = ``target`` (default: mid-specification
  when both limits are given).
- Confidence intervals (two-sided, ``confidence`` 0.95), n = number of observations:
  Cp and Pp: chi-square, C * sqrt(chi2_{a/2, nu} / nu) .. C * sqrt(chi2_{1-a/2, nu} / nu);
  Cpk, Cpl, Cpu, Ppk (Bissell 1990): C -/+ z_{1-a/2} sqrt(1/(9 n) + C^2/(2 nu)),
  nu = n - 1 (qcc); ``within_dof`` overrides nu for the within indices (Minitab uses an
  effective 0.62 (n - 1) for a moving-range sigma, f = sum(n_i - 1) for a pooled one).
  Cpm (Boyles 1991): chi-square with nu = n (1 + xi^2)^2 / (1 + 2 xi^2), xi = (mu - T) / sigma.
- Fraction out of spec: expected under a normal with (mu, sigma_within) and with
  (mu, sigma_overall), and observed (share of the values beyond a limit).
- Anderson-Darling (as Minitab and R's nortest): A^2 of the values standardised with their mean
  and sample SD; the p-value from A*^2 = A^2 (1 + 0.75/n + 2.25/n^2) with the D'Agostino and
  Stephens (1986) piecewise formula. Needs n >= 8; with fewer points ``normality`` is None.

Indices that do not exist (Cp without both limits, Cpm without a target) are None, never NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import chi2, norm

from forgeline.quality.spc.data import as_values
from forgeline.quality.spc.errors import SpcInputError

MIN_AD_POINTS = 8


@dataclass(frozen=True)
class Interval:
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Normality:
    """Anderson-Darling: ``statistic`` A^2, ``adjusted`` A*^2, ``p_value`` from A*^2."""

    statistic: float
    adjusted: float
    p_value: float


@dataclass(frozen=True)
class Capability:
    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    target: float | None
    confidence: float
    cp: Interval | None
    cpl: Interval | None
    cpu: Interval | None
    cpk: Interval
    pp: Interval | None
    ppl: Interval | None
    ppu: Interval | None
    ppk: Interval
    cpm: Interval | None
    expected_within: float
    expected_overall: float
    observed: float
    normality: Normality | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ppm"] = {
            "expected_within": self.expected_within * 1e6,
            "expected_overall": self.expected_overall * 1e6,
            "observed": self.observed * 1e6,
        }
        return out


def anderson_darling(values: ArrayLike) -> Normality:
    """Anderson-Darling normality test with estimated mean and SD (case 3)."""
    x = np.sort(as_values(values))
    n = len(x)
    if n < MIN_AD_POINTS:
        raise SpcInputError(f"the Anderson-Darling test needs at least 8 values, got {n}")
    sd = float(x.std(ddof=1))
    if sd <= 0:
        raise SpcInputError("the data do not vary: no normality test on constant data")
    z = (x - x.mean()) / sd
    i = np.arange(1, n + 1)
    total = np.sum((2 * i - 1) * (norm.logcdf(z) + norm.logsf(z[::-1])))
    a2 = float(-n - total / n)
    adjusted = a2 * (1.0 + 0.75 / n + 2.25 / n**2)
    if adjusted >= 0.6:
        p = math.exp(1.2937 - 5.709 * adjusted + 0.0186 * adjusted**2)
    elif adjusted >= 0.34:
        p = math.exp(0.9177 - 4.279 * adjusted - 1.38 * adjusted**2)
    elif adjusted >= 0.2:
        p = 1.0 - math.exp(-8.318 + 42.796 * adjusted - 59.938 * adjusted**2)
    else:
        p = 1.0 - math.exp(-13.436 + 101.14 * adjusted - 223.73 * adjusted**2)
    return Normality(a2, adjusted, min(1.0, max(0.0, p)))


def _chi2_interval(value: float, dof: float, confidence: float) -> Interval:
    alpha = 1.0 - confidence
    low = value * math.sqrt(float(chi2.ppf(alpha / 2, dof)) / dof)
    high = value * math.sqrt(float(chi2.ppf(1 - alpha / 2, dof)) / dof)
    return Interval(value, low, high)


def _bissell(value: float, n: int, dof: float, confidence: float) -> Interval:
    z = float(norm.ppf(1.0 - (1.0 - confidence) / 2))
    half = z * math.sqrt(1.0 / (9.0 * n) + value**2 / (2.0 * dof))
    return Interval(value, value - half, value + half)


def _tails(mean: float, sigma: float, lsl: float | None, usl: float | None) -> float:
    out = 0.0
    if lsl is not None:
        out += float(norm.cdf((lsl - mean) / sigma))
    if usl is not None:
        out += float(norm.sf((usl - mean) / sigma))
    return out


def capability(
    values: ArrayLike,
    *,
    sigma_within: float,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    mean: float | None = None,
    confidence: float = 0.95,
    within_dof: float | None = None,
) -> Capability:
    """Capability of ``values`` against the specification, with the chart's ``sigma_within``."""
    x = as_values(values)
    if lsl is None and usl is None:
        raise SpcInputError("capability needs at least one specification limit (LSL or USL)")
    for name, limit in (("LSL", lsl), ("USL", usl), ("target", target)):
        if limit is not None and not math.isfinite(limit):
            raise SpcInputError(f"{name} must be a finite number, got {limit!r}")
    if lsl is not None and usl is not None and lsl >= usl:
        raise SpcInputError(f"LSL ({lsl:g}) must be below USL ({usl:g})")
    if not 0.0 < confidence < 1.0:
        raise SpcInputError(f"confidence must be between 0 and 1, got {confidence}")
    n = len(x)
    if n < 2:
        raise SpcInputError(f"capability needs at least 2 values, got {n}")
    if not (math.isfinite(sigma_within) and sigma_within > 0):
        raise SpcInputError(f"sigma_within must be positive, got {sigma_within!r}")
    sigma_overall = float(x.std(ddof=1))
    if sigma_overall <= 0:
        raise SpcInputError("the data do not vary (standard deviation 0): capability undefined")
    mu = float(x.mean()) if mean is None else float(mean)
    if target is None and lsl is not None and usl is not None:
        target = (lsl + usl) / 2.0

    def indices(sigma: float) -> tuple[float | None, float | None, float | None, float]:
        span = (usl - lsl) / (6.0 * sigma) if lsl is not None and usl is not None else None
        lower = (mu - lsl) / (3.0 * sigma) if lsl is not None else None
        upper = (usl - mu) / (3.0 * sigma) if usl is not None else None
        worst = min(v for v in (lower, upper) if v is not None)
        return span, lower, upper, worst

    if within_dof is not None and not (math.isfinite(within_dof) and within_dof > 0):
        raise SpcInputError(f"within_dof must be positive, got {within_dof!r}")
    dof_w = float(n - 1) if within_dof is None else float(within_dof)

    def chi(value: float, dof: float) -> Interval:
        return _chi2_interval(value, dof, confidence)

    def bis(value: float, dof: float) -> Interval:
        return _bissell(value, n, dof, confidence)

    def opt(value: float | None, make: Any, dof: float) -> Interval | None:
        return None if value is None else make(value, dof)

    cp, cpl, cpu, cpk = indices(sigma_within)
    pp, ppl, ppu, ppk = indices(sigma_overall)
    dof_o = float(n - 1)
    cpm: Interval | None = None
    if cp is not None and target is not None:
        xi = (mu - target) / sigma_within
        value = cp / math.sqrt(1.0 + xi**2)
        cpm = _chi2_interval(value, n * (1 + xi**2) ** 2 / (1 + 2 * xi**2), confidence)
    observed = float(
        np.count_nonzero((x < lsl) if lsl is not None else np.zeros(n, bool))
        + np.count_nonzero((x > usl) if usl is not None else np.zeros(n, bool))
    )
    return Capability(
        n=n,
        mean=mu,
        sigma_within=float(sigma_within),
        sigma_overall=sigma_overall,
        lsl=lsl,
        usl=usl,
        target=target,
        confidence=confidence,
        cp=opt(cp, chi, dof_w),
        cpl=opt(cpl, bis, dof_w),
        cpu=opt(cpu, bis, dof_w),
        cpk=bis(cpk, dof_w),
        pp=opt(pp, chi, dof_o),
        ppl=opt(ppl, bis, dof_o),
        ppu=opt(ppu, bis, dof_o),
        ppk=bis(ppk, dof_o),
        cpm=cpm,
        expected_within=_tails(mu, sigma_within, lsl, usl),
        expected_overall=_tails(mu, sigma_overall, lsl, usl),
        observed=observed / n,
        normality=anderson_darling(x) if n >= MIN_AD_POINTS else None,
    )
