"""Chart kinds and frozen control limits: what phase I estimates and phase II monitors against.

A ``Limits`` holds the *parameters* of a chart (centre, process sigma, options), not per-point
lines: the lines follow from them and each point's sample size, so one stored ``Limits`` serves
variable subgroup sizes in phase II. ``to_dict``/``from_dict`` (and the JSON helpers) give a
stable, versioned form the plant stores with the history of its limits.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from forgeline.quality.spc.errors import SpcInputError

FORMAT_VERSION = 1


class Chart(StrEnum):
    """The charts the engine draws; the values are the names the CLI and JSON use."""

    IMR = "i-mr"
    XBAR_R = "xbar-r"
    XBAR_S = "xbar-s"
    P = "p"
    NP = "np"
    C = "c"
    U = "u"
    EWMA = "ewma"
    CUSUM = "cusum"

    @classmethod
    def parse(cls, name: str | Chart) -> Chart:
        try:
            return cls(name)
        except ValueError:
            names = ", ".join(c.value for c in cls)
            raise SpcInputError(f"unknown chart {name!r}; choose one of {names}") from None


# Charts whose process sigma is estimated from the data (variables data).
SIGMA_CHARTS = frozenset({Chart.IMR, Chart.XBAR_R, Chart.XBAR_S, Chart.EWMA, Chart.CUSUM})
SUBGROUP_CHARTS = frozenset({Chart.XBAR_R, Chart.XBAR_S})
ATTRIBUTE_CHARTS = frozenset({Chart.P, Chart.NP, Chart.C, Chart.U})

# Chart parameters with their defaults: EWMA lambda and limit width L (qcc: 0.2, 3); CUSUM
# reference value k and decision interval h in sigma units (qcc: shift 1 sigma -> k 0.5, h 5),
# and the fast-initial-response headstart (in sigma, 0 = none).
DEFAULT_PARAMS: dict[Chart, dict[str, float]] = {
    Chart.EWMA: {"lam": 0.2, "width": 3.0},
    Chart.CUSUM: {"k": 0.5, "h": 5.0, "headstart": 0.0},
}


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpcInputError(f"limits field {name!r} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise SpcInputError(f"limits field {name!r} must be finite, got {value!r}")
    return number


@dataclass(frozen=True)
class Limits:
    """Frozen chart parameters.

    - ``center``: process mean (I-MR, X-bar, EWMA and CUSUM target mu0), p-bar (p and np),
      c-bar (c) or u-bar (u).
    - ``sigma``: process (within-subgroup) standard deviation for variables charts; None for
      attribute charts, whose sigma follows from the centre and each sample size.
    - ``sigma_method``: how sigma was estimated (None when the caller supplied it).
    - ``exact_constants``: False = qcc's d2 rounded to 3 decimals, True = exact d2.
    - ``nsigma``: limit width in sigma (3); zone rules always use 1 and 2 sigma.
    - ``sample_size``: the np chart's n (required there); elsewhere the constant subgroup size at
      estimation, if any (informational).
    - ``params``: EWMA ``lam``/``width`` and CUSUM ``k``/``h``/``headstart``.
    - ``n_points``: points (subgroups) the estimate used; ``excluded``: 0-based points left out.
    """

    chart: Chart
    center: float
    sigma: float | None = None
    sigma_method: str | None = None
    exact_constants: bool = False
    nsigma: float = 3.0
    sample_size: int | None = None
    params: dict[str, float] = field(default_factory=dict)
    n_points: int = 0
    excluded: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        chart = Chart.parse(self.chart)
        object.__setattr__(self, "chart", chart)
        center = _finite("center", self.center)
        if _finite("nsigma", self.nsigma) <= 0:
            raise SpcInputError(f"nsigma must be positive, got {self.nsigma}")
        if chart in SIGMA_CHARTS:
            if self.sigma is None or _finite("sigma", self.sigma) <= 0:
                raise SpcInputError(
                    f"{chart.value} limits need a positive process sigma, got {self.sigma!r}"
                )
        elif self.sigma is not None:
            raise SpcInputError(f"{chart.value} limits take no sigma (it follows from the centre)")
        if chart in (Chart.P, Chart.NP) and not 0.0 < center < 1.0:
            raise SpcInputError(
                f"p-bar must be strictly between 0 and 1, got {center!r}: with no (or only) "
                "defectives in phase I the limits are degenerate"
            )
        if chart in (Chart.C, Chart.U) and center <= 0:
            raise SpcInputError(
                f"the mean defect rate must be positive, got {center!r}: with no defects in "
                "phase I the limits are degenerate"
            )
        if chart is Chart.NP and (self.sample_size is None or self.sample_size < 1):
            raise SpcInputError("np limits need the constant sample size n")
        params = {**DEFAULT_PARAMS.get(chart, {}), **self.params}
        unknown = set(params) - set(DEFAULT_PARAMS.get(chart, {}))
        if unknown:
            raise SpcInputError(f"{chart.value} limits take no parameter(s) {sorted(unknown)}")
        params = {key: _finite(key, value) for key, value in params.items()}
        if chart is Chart.EWMA and not (0.0 < params["lam"] <= 1.0 and params["width"] > 0):
            raise SpcInputError("EWMA needs 0 < lam <= 1 and width > 0")
        if chart is Chart.CUSUM and not (
            params["k"] >= 0 and params["h"] > 0 and params["headstart"] >= 0
        ):
            raise SpcInputError("CUSUM needs k >= 0, h > 0 and headstart >= 0")
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "excluded", tuple(int(i) for i in self.excluded))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "chart": self.chart.value,
            "center": self.center,
            "sigma": self.sigma,
            "sigma_method": self.sigma_method,
            "exact_constants": self.exact_constants,
            "nsigma": self.nsigma,
            "sample_size": self.sample_size,
            "params": dict(self.params),
            "n_points": self.n_points,
            "excluded": list(self.excluded),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        if not isinstance(data, dict):
            raise SpcInputError("stored limits must be a JSON object")
        if data.get("format") != FORMAT_VERSION:
            raise SpcInputError(f"stored limits have format {data.get('format')!r}, expected 1")
        missing = {"chart", "center"} - data.keys()
        if missing:
            raise SpcInputError(f"stored limits lack {sorted(missing)}")
        known = set(cls.__dataclass_fields__) | {"format"}
        extra = set(data) - known
        if extra:
            raise SpcInputError(f"stored limits have unknown field(s) {sorted(extra)}")
        fields = {key: value for key, value in data.items() if key != "format"}
        if "excluded" in fields:
            fields["excluded"] = tuple(fields["excluded"])
        try:
            return cls(**fields)
        except TypeError as exc:
            raise SpcInputError(f"stored limits are malformed: {exc}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Limits:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpcInputError(f"stored limits are not JSON: {exc}") from None
        return cls.from_dict(data)
