"""Random data against the independent `shewhart` package (MIT, test-only) where it computes the
same thing. shewhart uses exact d2 (as Minitab), so these run with ``exact_constants=True``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shewhart as sw
from hypothesis import given, settings
from hypothesis import strategies as st

from forgeline.quality.spc import RuleSet, Subgroups, capability, estimate_limits, evaluate

REL = 1e-9


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL, abs=1e-12)


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(20, 300))
def test_individuals_limits_and_all_nelson_rules(seed: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, count) + np.where(rng.random(count) < 0.1, 5.0, 0.0)
    theirs = sw.imr(x, rules="nelson")
    limits = estimate_limits("i-mr", x, exact_constants=True)
    # shewhart's conventions: every point of a pattern, rule 8 on either side.
    rules = RuleSet(flag="pattern", mixture_both_sides=False)
    ours = evaluate("i-mr", x, limits, rules=rules)
    i, mr = ours.series
    assert limits.center == approx(theirs.stats["i_center"])
    assert limits.sigma == approx(theirs.stats["sigma_within"])
    assert i.lcl[0] == approx(theirs.stats["i_lcl"])
    assert i.ucl[0] == approx(theirs.stats["i_ucl"])
    assert mr.ucl[0] == approx(theirs.stats["mr_ucl"])
    for number in range(1, 9):
        expected = {p for s in theirs.signals if s.rule == f"nelson_{number}" for p in s.points}
        got = {int(p) for v in ours.violations if v.rule == f"nelson{number}" for p in v.points}
        assert got == expected, number
    mr_expected = {p for s in theirs.signals if s.chart == "mr" for p in s.points}
    mr_got = {int(p) for v in ours.violations if v.series == "mr" for p in v.points}
    assert mr_got == mr_expected


@pytest.mark.parametrize(
    ("chart", "size", "method"),
    [
        ("xbar-r", 5, "uwave-r"),
        ("xbar-r", 8, "uwave-r"),
        ("xbar-s", 4, "uwave-sd"),
        ("xbar-s", 10, "uwave-sd"),
        ("xbar-s", 6, "pooled"),
    ],
)
def test_subgroup_charts(chart: str, size: int, method: str) -> None:
    rng = np.random.default_rng(size)
    values = rng.normal(100.0, 3.0, 30 * size)
    frame = pd.DataFrame({"v": values, "g": np.arange(len(values)) // size})
    their_method = {"uwave-r": "rbar", "uwave-sd": "sbar", "pooled": "pooled"}[method]
    fn = sw.xbar_r if chart == "xbar-r" else sw.xbar_s
    theirs = fn(frame, value="v", subgroup="g", rules="none", method=their_method)
    groups = Subgroups.of_size(values, size)
    limits = estimate_limits(chart, groups, sigma_method=method, exact_constants=True)
    xbar, spread = evaluate(chart, groups, limits, rules="none").series
    p = "r" if chart == "xbar-r" else "s"
    assert limits.sigma == approx(theirs.stats["sigma_within"])
    assert xbar.lcl[0] == approx(theirs.stats["xbar_lcl"])
    assert xbar.ucl[0] == approx(theirs.stats["xbar_ucl"])
    assert spread.ucl[0] == pytest.approx(theirs.stats[f"{p}_ucl"], rel=1e-7)
    assert spread.lcl[0] == pytest.approx(theirs.stats[f"{p}_lcl"], rel=1e-7, abs=1e-12)
    if method != "pooled":
        assert spread.center[0] == approx(theirs.stats[f"{p}_center"])


def test_attribute_charts_with_variable_sizes() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.integers(40, 120, 60).astype(float)
    defectives = rng.binomial(sizes.astype(int), 0.08).astype(float)
    defects = rng.poisson(sizes / 10).astype(float)
    cases = [
        ("p", sw.p_chart(defectives, size=sizes, rules="none"), defectives, sizes),
        ("u", sw.u_chart(defects, size=sizes, rules="none"), defects, sizes),
        ("c", sw.c_chart(defects, rules="none"), defects, None),
        ("np", sw.np_chart(defectives, size=50, rules="none"), defectives, 50.0),
    ]
    for chart, theirs, counts, n in cases:
        limits = estimate_limits(chart, counts, sizes=n)
        main = evaluate(chart, counts, limits, sizes=n, rules="none").main
        table = theirs.table
        if "lcl" in table:
            np.testing.assert_allclose(main.lcl, table["lcl"].to_numpy(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(main.ucl, table["ucl"].to_numpy(), rtol=1e-12)
        key = {"p": "p_center", "u": "u_center", "c": "c_center", "np": "np_center"}[chart]
        centre = main.center[0]
        assert centre == approx(theirs.stats[key]), chart


@pytest.mark.parametrize("lam", [0.1, 0.2, 0.4])
def test_ewma_and_cusum(lam: float) -> None:
    rng = np.random.default_rng(int(lam * 10))
    x = rng.normal(0.0, 1.0, 400)
    x[300:] += 0.8
    theirs = sw.ewma(x, lam=lam)
    limits = estimate_limits("ewma", x, exact_constants=True, params={"lam": lam})
    ours = evaluate("ewma", x, limits)
    np.testing.assert_allclose(ours.main.values, theirs.table["ewma"], rtol=1e-10)
    np.testing.assert_allclose(ours.main.ucl, theirs.table["ucl"], rtol=1e-10)
    np.testing.assert_allclose(ours.main.lcl, theirs.table["lcl"], rtol=1e-10)
    flagged = ours.violations[0].points.tolist() if ours.violations else []
    assert flagged == np.flatnonzero(theirs.table["signal"]).tolist()

    theirs_c = sw.cusum(x, k=0.5, h=4.0)
    limits_c = estimate_limits("cusum", x, exact_constants=True, params={"h": 4.0})
    upper, lower = evaluate("cusum", x, limits_c).series
    np.testing.assert_allclose(upper.values, theirs_c.table["cusum_pos"], atol=1e-9)
    np.testing.assert_allclose(lower.values, theirs_c.table["cusum_neg"], atol=1e-9)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_capability_indices_and_intervals() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(10.2, 0.5, 250)
    theirs = sw.capability(x, lsl=8.0, usl=12.0, target=10.0)
    sigma = float(np.abs(np.diff(x)).mean()) / (2 / np.sqrt(np.pi))
    # shewhart gives a moving-range sigma Minitab's effective 0.62 (n - 1) degrees of freedom.
    ours = capability(
        x, sigma_within=sigma, lsl=8.0, usl=12.0, target=10.0, within_dof=0.62 * (len(x) - 1)
    )
    stats = theirs.stats
    assert ours.cp is not None and ours.pp is not None and ours.cpu is not None
    assert ours.cp.estimate == approx(stats["cp"])
    assert ours.cpk.estimate == approx(stats["cpk"])
    assert ours.pp.estimate == approx(stats["pp"])
    assert ours.ppk.estimate == approx(stats["ppk"])
    assert ours.cpk.lower == pytest.approx(stats["cpk_lci"], rel=1e-9)
    assert ours.cpk.upper == pytest.approx(stats["cpk_uci"], rel=1e-9)
    assert ours.cp.lower == pytest.approx(stats["cp_lci"], rel=1e-9)
    assert ours.pp.lower == pytest.approx(stats["pp_lci"], rel=1e-9)
    assert ours.pp.upper == pytest.approx(stats["pp_uci"], rel=1e-9)
    assert ours.ppk.lower == pytest.approx(stats["ppk_lci"], rel=1e-9)
    assert ours.expected_within * 1e6 == pytest.approx(stats["ppm_within"], rel=1e-9)
    assert ours.expected_overall * 1e6 == pytest.approx(stats["ppm_overall"], rel=1e-9)
