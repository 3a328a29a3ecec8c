"""Bad input: a clear SpcInputError (a ValueError) naming the problem, never NaN out."""

from __future__ import annotations

import numpy as np
import pytest

from forgeline.quality.spc import SpcInputError, Subgroups, capability, estimate_limits


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: estimate_limits("i-mr", [1.0, "x", 3.0]), r"values\[1\] is not a number: 'x'"),
        (lambda: estimate_limits("i-mr", [1.0, float("nan"), 3.0]), r"values\[1\] is missing"),
        (lambda: estimate_limits("i-mr", [1.0, np.inf]), r"values\[1\] is infinite"),
        (lambda: estimate_limits("i-mr", [1.0]), "at least 2 points, got 1"),
        (lambda: estimate_limits("i-mr", [4.0] * 10), "do not vary"),
        (lambda: estimate_limits("xbar-r", [[1.0, 1.0], [2.0, 2.0]]), "do not vary"),
        (lambda: estimate_limits("xbar-r", [[1.0], [2.0]]), "subgroup 0 has 1 value"),
        (lambda: estimate_limits("xbar-s", [[1.0, 2.0], [3.0]]), "subgroup 1 has 1 value"),
        (lambda: Subgroups.of_size([1.0, 2.0, 3.0], 2), "do not split into subgroups of 2"),
        (lambda: estimate_limits("p", [1.0, 2.0], sizes=[10, 0]), "sample size at point 1 is 0"),
        (lambda: estimate_limits("u", [1.0, 2.0], sizes=[0, 3]), "sample size at point 0 is 0"),
        (lambda: estimate_limits("p", [1.0, 20.0], sizes=[10, 10]), "20 defectives in a sample"),
        (lambda: estimate_limits("p", [1.0, 2.0]), "needs the sample size"),
        (lambda: estimate_limits("p", [0.0, 0.0], sizes=10), "p-bar must be strictly between"),
        (lambda: estimate_limits("c", [0.0, 0.0]), "mean defect rate must be positive"),
        (lambda: estimate_limits("c", [-1.0, 2.0]), r"counts\[0\] is negative"),
        (lambda: estimate_limits("np", [1.0, 2.0], sizes=[10, 12]), "one constant sample size"),
        (lambda: estimate_limits("i-mr", [1.0, 2.0, 3.0], exclude=[5]), "excluded point 5"),
        (lambda: estimate_limits("i-mr", [1.0, 2.0, 3.0], exclude=[0, 1]), "after exclusions"),
        (lambda: estimate_limits("i-mr", [1.0, 2, 3], sigma_method="pooled"), "does not apply"),
        (lambda: estimate_limits("c", [1.0, 2], sigma_method="mr"), "takes no sigma method"),
        (lambda: estimate_limits("bar", [1.0, 2]), "unknown chart 'bar'"),
        (lambda: capability([1.0, 2, 3], sigma_within=1, lsl=5, usl=5), r"LSL \(5\) must be below"),
        (lambda: capability([1.0, 2, 3], sigma_within=1, lsl=6, usl=5), "must be below USL"),
        (lambda: capability([1.0, 2, 3], sigma_within=1), "at least one specification limit"),
        (lambda: capability([2.0, 2, 2], sigma_within=1, usl=5), "do not vary"),
        (lambda: capability([2.0], sigma_within=1, usl=5), "at least 2 values"),
        (lambda: capability([1.0, 2], sigma_within=0, usl=5), "sigma_within must be positive"),
    ],
)
def test_clear_errors(call: object, message: str) -> None:
    with pytest.raises(SpcInputError, match=message):
        call()  # type: ignore[operator]


def test_error_is_a_value_error() -> None:
    assert issubclass(SpcInputError, ValueError)
