"""Charts, phases, frozen limits, variable sizes and capability details."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from forgeline.quality.spc import (
    Chart,
    Limits,
    Subgroups,
    analyze,
    anderson_darling,
    capability,
    estimate_limits,
    evaluate,
)
from forgeline.quality.spc.constants import c4, d2, d3


def test_xbar_s_variable_sizes_have_per_point_limits() -> None:
    rng = np.random.default_rng(5)
    groups = [rng.normal(20, 2, n) for n in (3, 5, 8, 4, 6, 5, 7, 3, 9, 5)]
    limits = estimate_limits("xbar-s", groups)
    sds = np.array([g.std(ddof=1) for g in groups])
    sizes = np.array([len(g) for g in groups])
    sigma = float(np.mean(sds / np.array([c4(int(n)) for n in sizes])))
    assert limits.sigma == pytest.approx(sigma, rel=1e-12)
    assert limits.center == pytest.approx(np.concatenate(groups).mean(), rel=1e-12)
    assert limits.sample_size is None
    xbar, s = evaluate("xbar-s", groups, limits).series
    np.testing.assert_allclose(xbar.ucl, limits.center + 3 * sigma / np.sqrt(sizes))
    np.testing.assert_allclose(xbar.values, [g.mean() for g in groups])
    c4s = np.array([c4(int(n)) for n in sizes])
    np.testing.assert_allclose(s.center, c4s * sigma)
    np.testing.assert_allclose(s.ucl, (c4s + 3 * np.sqrt(1 - c4s**2)) * sigma)
    np.testing.assert_allclose(s.values, sds)
    # Pooled (Minitab): sqrt(sum (n-1) s^2 / f) / c4(f + 1).
    dof = int((sizes - 1).sum())
    pooled = estimate_limits("xbar-s", groups, sigma_method="pooled")
    expected = math.sqrt(float(((sizes - 1) * sds**2).sum()) / dof) / c4(dof + 1)
    assert pooled.sigma == pytest.approx(expected, rel=1e-12)


def test_xbar_r_variable_sizes_and_labels() -> None:
    values = [1.0, 2.0, 4.0, 10.0, 11.0, 3.0, 3.5]
    labels = ["a", "a", "a", "b", "b", "a", "c"]
    groups = Subgroups.from_labels(values, labels)  # a: 1,2,4,3  b: 10,11  c: 3.5
    assert groups.sizes.tolist() == [4, 2, 1]
    with pytest.raises(ValueError, match="subgroup 2 has 1 value"):
        estimate_limits("xbar-r", groups)
    two = Subgroups.from_lists([[1.0, 2.0, 4.0, 3.0], [10.0, 11.0]])
    limits = estimate_limits("xbar-r", two)
    assert limits.sigma == pytest.approx((3 / d2(4) + 1 / d2(2)) / 2)
    _, r = evaluate("xbar-r", two, limits).series
    np.testing.assert_allclose(r.values, [3.0, 1.0])
    np.testing.assert_allclose(
        r.ucl, [(d2(4) + 3 * d3(4)) * limits.sigma, (d2(2) + 3 * d3(2)) * limits.sigma]
    )  # type: ignore[operator]


def test_phase1_exclusion_changes_the_estimate_and_is_recorded() -> None:
    x = np.array([10.0, 10.2, 9.9, 30.0, 10.1, 9.8, 10.0, 10.3, 9.7, 10.1])
    plain = estimate_limits("i-mr", x)
    limits = estimate_limits("i-mr", x, exclude=[3])
    assert limits.excluded == (3,)
    assert limits.n_points == 9
    kept = np.delete(x, 3)
    assert limits.center == pytest.approx(kept.mean())
    # Moving ranges touching the excluded point are dropped, not bridged.
    moving = np.abs(np.diff(x))
    expected = np.delete(moving, [2, 3]).mean() / 1.128
    assert limits.sigma == pytest.approx(expected)
    assert plain.sigma is not None and limits.sigma < plain.sigma
    result = evaluate("i-mr", x, limits, rules="nelson:1")
    assert result.violations[0].points.tolist() == [3]
    assert result.rules_by_point()[3] == ["nelson1", "mr:limits"]


def test_frozen_limits_roundtrip_json_and_phase2() -> None:
    rng = np.random.default_rng(9)
    history = rng.normal(50, 1, 100)
    for chart, params in (("i-mr", None), ("ewma", {"lam": 0.3}), ("cusum", {"h": 4.0})):
        limits = estimate_limits(chart, history, params=params)
        stored = json.loads(json.dumps(limits.to_dict()))
        again = Limits.from_json(limits.to_json())
        assert Limits.from_dict(stored) == limits == again
        new = rng.normal(52, 1, 30)
        a = evaluate(chart, new, limits)
        b = evaluate(chart, new, again)
        assert [v.points.tolist() for v in a.violations] == [
            v.points.tolist() for v in b.violations
        ]
        assert not a.in_control  # a 2-sigma shift is caught
    np_limits = estimate_limits("np", [3.0, 5, 4, 6], sizes=50)
    assert Limits.from_dict(np_limits.to_dict()).sample_size == 50
    assert evaluate("np", [2.0, 30.0], np_limits).violations[0].points.tolist() == [1]


def test_limits_reject_bad_stored_forms() -> None:
    good = Limits(Chart.IMR, center=1.0, sigma=0.5).to_dict()
    for change, message in (
        ({"format": 2}, "format"),
        ({"sigma": 0}, "positive process sigma"),
        ({"sigma": float("nan")}, "finite"),
        ({"chart": "pie"}, "unknown chart"),
        ({"colour": "red"}, "unknown field"),
        ({"center": "x"}, "must be a number"),
    ):
        with pytest.raises(ValueError, match=message):
            Limits.from_dict({**good, **change})
    with pytest.raises(ValueError, match="not JSON"):
        Limits.from_json("{")
    with pytest.raises(ValueError, match="for a i-mr chart, not xbar-r"):
        evaluate("xbar-r", [[1.0, 2.0]], Limits(Chart.IMR, center=1.0, sigma=0.5))
    with pytest.raises(ValueError, match="p-bar must be strictly between"):
        Limits(Chart.P, center=0.0)
    with pytest.raises(ValueError, match="EWMA needs"):
        Limits(Chart.EWMA, center=0.0, sigma=1.0, params={"lam": 1.5})


def test_ewma_and_cusum_match_their_recursions() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, 300)
    limits = Limits(Chart.EWMA, center=0.1, sigma=1.2, params={"lam": 0.25, "width": 2.8})
    main = evaluate("ewma", x, limits).main
    z, prev = [], 0.1
    for v in x:
        prev = 0.25 * v + 0.75 * prev
        z.append(prev)
    np.testing.assert_allclose(main.values, z, rtol=1e-12)
    steps = np.arange(1, 301)
    width = 2.8 * 1.2 * np.sqrt(0.25 / 1.75 * (1 - 0.75 ** (2 * steps)))
    np.testing.assert_allclose(main.ucl, 0.1 + width, rtol=1e-12)

    cl = Limits(Chart.CUSUM, center=0.0, sigma=1.0, params={"k": 0.5, "h": 4.0, "headstart": 2.0})
    upper, lower = evaluate("cusum", x + 0.3, cl).series
    cp = cn = 2.0
    ups, downs = [], []
    for v in x + 0.3:
        cp = max(0.0, v - 0.5 + cp)
        cn = max(0.0, -0.5 - v + cn)
        ups.append(cp)
        downs.append(-cn)
    np.testing.assert_allclose(upper.values, ups, atol=1e-9)
    np.testing.assert_allclose(lower.values, downs, atol=1e-9)


def test_u_and_p_charts_per_point_limits() -> None:
    counts = np.array([3.0, 8, 2, 5])
    units = np.array([10.0, 20, 5, 10])
    u = analyze("u", counts, sizes=units).result.main
    ubar = counts.sum() / units.sum()
    np.testing.assert_allclose(u.ucl, ubar + 3 * np.sqrt(ubar / units))
    np.testing.assert_allclose(u.lcl, np.maximum(0, ubar - 3 * np.sqrt(ubar / units)))
    p = analyze("p", [1.0, 0, 4, 2], sizes=[5, 5, 5, 5]).result.main
    assert (p.ucl <= 1.0).all() and (p.lcl >= 0).all()


def test_capability_one_sided_and_normality() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(5, 1, 200)
    cap = capability(x, sigma_within=1.0, usl=8.0)
    assert cap.cp is None and cap.cpl is None and cap.cpm is None and cap.pp is None
    assert cap.cpk.estimate == pytest.approx((8.0 - x.mean()) / 3)
    assert cap.expected_within == pytest.approx(stats.norm.sf((8 - x.mean()) / 1.0))
    assert cap.observed == np.count_nonzero(x > 8) / 200
    normal = cap.normality
    assert normal is not None and normal.p_value > 0.01
    assert normal.statistic == pytest.approx(
        stats.anderson(x, "norm", method="interpolate").statistic, rel=1e-9
    )
    skewed = anderson_darling(rng.exponential(1.0, 200))
    assert skewed.p_value < 0.001
    assert capability(x[:7], sigma_within=1.0, usl=8.0).normality is None
    doc = json.dumps(cap.to_dict())
    assert "NaN" not in doc and "Infinity" not in doc


@settings(max_examples=40)
@given(
    st.one_of(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=2, max_size=80
        ),
        st.builds(lambda v, n: [v] * n, st.floats(-1e3, 1e3), st.integers(2, 20)),
    ),
    st.sampled_from(["i-mr", "ewma", "cusum"]),
)
def test_outputs_are_always_finite(values: list[float], chart: str) -> None:
    if not np.diff(values).any():
        # every moving range 0: a clear error instead of limits
        with pytest.raises(ValueError, match="sigma is 0"):
            estimate_limits(chart, values)
        return
    limits = estimate_limits(chart, values)
    result = evaluate(chart, values, limits)
    for series in result.series:
        for arr in (series.values, series.center, series.lcl, series.ucl, series.sigma):
            assert np.isfinite(arr).all()
