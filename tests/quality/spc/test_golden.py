"""Every value in the SPC reference (qcc 3.0 / Montgomery) to a relative 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

from forgeline.quality.spc import Subgroups, analyze, capability, estimate_limits, evaluate
from forgeline.quality.spc.constants import c4, d2, d3
from tests.quality.spc.reference_data import column

REL = 1e-5


def close(actual: float, expected: float) -> None:
    assert actual == pytest.approx(expected, rel=REL, abs=0 if expected else 1e-12)


@pytest.fixture
def pistonrings() -> tuple[Subgroups, np.ndarray]:
    diameters = column("pistonrings.txt", "diameter")
    trial = column("pistonrings.txt", "trial").reshape(-1, 5).all(axis=1)
    return Subgroups.of_size(diameters, 5), trial


def test_pistonrings_xbar_r_phase1(pistonrings: tuple[Subgroups, np.ndarray]) -> None:
    groups, trial = pistonrings
    assert trial.sum() == 25 and trial[:25].all()
    limits = estimate_limits("xbar-r", groups, exclude=np.flatnonzero(~trial))
    result = evaluate("xbar-r", groups, limits)
    xbar, r = result.series
    close(limits.center, 74.00118)
    close(float(limits.sigma or 0), 0.009785039)
    close(xbar.lcl[0], 73.98805)
    close(xbar.ucl[0], 74.0143)
    close(r.center[0], 0.02276)
    assert r.lcl[0] == 0.0
    close(r.ucl[0], 0.04812533)


def test_pistonrings_phase2_subgroups_37_to_39_above_ucl(
    pistonrings: tuple[Subgroups, np.ndarray],
) -> None:
    groups, trial = pistonrings
    limits = estimate_limits("xbar-r", Subgroups.from_matrix(groups.values.reshape(-1, 5)[trial]))
    later = Subgroups.from_matrix(groups.values.reshape(-1, 5)[~trial])  # subgroups 26-40
    result = evaluate("xbar-r", later, limits, rules="nelson:1")
    (beyond,) = result.violations
    assert beyond.rule == "nelson1" and beyond.series == "xbar"
    assert (beyond.points + 26).tolist() == [37, 38, 39]
    assert (result.main.values[beyond.points] > result.main.ucl[beyond.points]).all()


def test_pistonrings_s_chart(pistonrings: tuple[Subgroups, np.ndarray]) -> None:
    groups, trial = pistonrings
    analysis = analyze("xbar-s", groups, phase1=trial)
    s = analysis.result.series[1]
    close(s.center[0], 0.009240037)
    close(float(analysis.result.limits.sigma or 0), 0.009829977)
    close(s.ucl[0], 0.01930242)
    assert s.lcl[0] == 0.0


def test_pistonrings_capability(pistonrings: tuple[Subgroups, np.ndarray]) -> None:
    groups, trial = pistonrings
    analysis = analyze("xbar-r", groups, phase1=trial, lsl=73.95, usl=74.05, target=74.0)
    cap = analysis.capability
    assert cap is not None and cap.n == 125
    assert cap.cp is not None and cap.cpl is not None and cap.cpu is not None
    assert cap.cpm is not None
    printed = {
        "Cp": cap.cp.estimate,
        "Cp_l": cap.cpl.estimate,
        "Cp_u": cap.cpu.estimate,
        "Cpk": cap.cpk.estimate,
        "Cpm": cap.cpm.estimate,
    }
    assert {k: round(v, 2) for k, v in printed.items()} == {
        "Cp": 1.70,
        "Cp_l": 1.74,
        "Cp_u": 1.66,
        "Cpk": 1.66,
        "Cpm": 1.69,
    }
    # And to 1e-5 against the reference formulas with the chart's centre and sigma (qcc prints
    # them rounded: 74.00118 and 0.009785039).
    mean, sigma = analysis.result.limits.center, float(analysis.result.limits.sigma or 0)
    close(mean, 74.00118)
    close(sigma, 0.009785039)
    close(cap.cp.estimate, 0.1 / (6 * sigma))
    close(cap.cpl.estimate, (mean - 73.95) / (3 * sigma))
    close(cap.cpu.estimate, (74.05 - mean) / (3 * sigma))
    close(cap.cpm.estimate, 0.1 / (6 * sigma) / np.sqrt(1 + ((mean - 74) / sigma) ** 2))


def test_viscosity_individuals() -> None:
    values = column("viscosity.txt", "viscosity")
    trial = column("viscosity.txt", "trial")
    analysis = analyze("i-mr", values, phase1=trial)
    limits = analysis.result.limits
    close(limits.center, 34.088)
    close(float(limits.sigma or 0), 0.5076521)
    close(analysis.result.main.lcl[0], 32.56504)
    close(analysis.result.main.ucl[0], 35.61096)
    # MR chart: UCL = 3.267 MR-bar (qcc's d2 + 3 d3 over d2 with its rounded d2).
    mr = analysis.result.series[1]
    mr_bar = float(np.abs(np.diff(values[trial])).mean())
    assert mr.ucl[0] == pytest.approx(3.267 * mr_bar, rel=1e-4)


def test_orangejuice_p_and_np() -> None:
    defectives = column("orangejuice.txt", "D")
    sizes = column("orangejuice.txt", "size")
    trial = column("orangejuice.txt", "trial")
    p = analyze("p", defectives, sizes=sizes, phase1=trial).result
    close(p.limits.center, 0.2313333)
    close(p.main.lcl[0], 0.05242755)
    close(p.main.ucl[0], 0.4102391)
    np_chart = analyze("np", defectives, sizes=sizes, phase1=trial).result
    close(np_chart.main.center[0], 11.56667)
    close(np_chart.main.lcl[0], 2.621377)
    close(np_chart.main.ucl[0], 20.51196)


def test_circuit_c() -> None:
    defects = column("circuit.txt", "x")
    trial = column("circuit.txt", "trial")
    c = analyze("c", defects, phase1=trial).result
    close(c.limits.center, 19.84615)
    close(c.main.lcl[0], 6.481447)
    close(c.main.ucl[0], 33.21086)


def test_formulas_named_in_the_reference() -> None:
    # A2 = 3 / (d2 sqrt(n)), A3 = 3 / (c4 sqrt(n)); the textbook tables at n = 5.
    assert round(3 / (d2(5, exact=True) * np.sqrt(5)), 3) == 0.577
    assert round(3 / (c4(5) * np.sqrt(5)), 3) == 1.427
    assert round(1 + 3 * d3(5) / d2(5, exact=True), 3) == 2.114  # D4
    assert round(1 + 3 * d3(2) / d2(2, exact=True), 3) == 3.267  # MR chart UCL factor
    assert d2(2, exact=True) == pytest.approx(2 / np.sqrt(np.pi), rel=1e-12)
    assert d3(2) == pytest.approx(np.sqrt(2 - 4 / np.pi), rel=1e-10)
    # qcc's 3-decimal d2 table.
    assert [d2(n) for n in range(2, 11)] == [
        1.128,
        1.693,
        2.059,
        2.326,
        2.534,
        2.704,
        2.847,
        2.970,
        3.078,
    ]
    assert c4(5) == pytest.approx(0.9399856, rel=1e-7)


def test_capability_formula_with_sigma_from_chart_and_defaults() -> None:
    values = column("pistonrings.txt", "diameter")[:125]
    cap = capability(values, sigma_within=0.009785039, lsl=73.95, usl=74.05, mean=74.00118)
    assert cap.target == 74.0  # mid-specification by default
    assert cap.cpk.estimate == min(cap.cpl.estimate, cap.cpu.estimate)  # type: ignore[union-attr]
