"""SPC engine speed: every chart on 10 million points and all eight Nelson rules, against the
`shewhart` package (MIT, test-only dependency) measured in the same run.

Run: .venv/bin/python bench/spc.py [--points 10000000] [--subset 100000] [--repeat 3]

Ours (one process, best of --repeat): phase I limits (`estimate_limits`) plus phase II evaluation
(`evaluate`) of each chart on the full data:
- i-mr on the N values with all eight Nelson rules (the headline rule cost);
- xbar-r and xbar-s on the N values as N/5 subgroups of 5, all eight Nelson rules on the means;
- p, np (n = 50), c and u (variable n, per-point limits) on N points, limit check (rule 1);
- ewma and cusum on the N values, limit check (run rules do not apply to them).
`shewhart` runs the same charts with its rules on a subset (its run rules loop in Python: a
10-million-point run would take minutes) and its time is scaled linearly to N, which favours it:
its X-bar charts split subgroups with one pandas filter per subgroup, which grows faster than
linearly, so those run on --subset/10 values and are also scaled linearly. Our engine also runs
on the same subsets, for a like-for-like ratio at equal size.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shewhart as sw

from forgeline.quality.spc import Subgroups, estimate_limits, evaluate

SUBGROUP = 5


CPU_SECONDS: dict[int, float] = {}


def best_of(repeat: int, work: Callable[[], Any]) -> float:
    """Best wall time of ``repeat`` runs; that run's CPU time is kept in CPU_SECONDS[id(work)]
    (on a shared machine wall time includes waiting for a core, CPU time does not)."""
    best, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        wall = time.perf_counter() - start
        if wall < best:
            best, cpu = wall, time.process_time() - start_cpu
    CPU_SECONDS[id(work)] = cpu
    return best


def make_data(points: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(10.0, 1.0, points)
    x[points // 2 : points // 2 + 50] += 1.5  # a shift for the rules to find
    return {
        "x": x,
        "defectives": rng.binomial(50, 0.1, points).astype(np.float64),
        "defects": rng.poisson(4.0, points).astype(np.float64),
        "units": rng.integers(40, 61, points).astype(np.float64),
    }


def ours(data: dict[str, np.ndarray]) -> dict[str, Callable[[], Any]]:
    x, d, c, n = data["x"], data["defectives"], data["defects"], data["units"]
    fifty = np.full(len(x), 50.0)
    flat = x[: len(x) // SUBGROUP * SUBGROUP]
    u_counts = np.round(c * n / 10.0)

    def chart(kind: str, values: Any, rules: str, sizes: Any = None) -> Callable[[], Any]:
        def run() -> Any:
            if kind.startswith("xbar"):
                # A fresh Subgroups every run: it caches its means, ranges and SDs (shared by
                # estimate_limits and evaluate), which must not carry over between repeats.
                values_ = Subgroups.of_size(values, SUBGROUP)
                limits = estimate_limits(kind, values_)
                return evaluate(kind, values_, limits, rules=rules)
            limits = estimate_limits(kind, values, sizes=sizes)
            return evaluate(kind, values, limits, sizes=sizes, rules=rules)

        return run

    return {
        "i-mr (8 Nelson rules)": chart("i-mr", x, "nelson"),
        "xbar-r (8 rules on means)": chart("xbar-r", flat, "nelson"),
        "xbar-s (8 rules on means)": chart("xbar-s", flat, "nelson"),
        "p (n=50)": chart("p", d, "nelson:1", fifty),
        "np (n=50)": chart("np", d, "nelson:1", 50.0),
        "c": chart("c", c, "nelson:1"),
        "u (variable n)": chart("u", u_counts, "nelson:1", n),
        "ewma": chart("ewma", x, "nelson:1"),
        "cusum": chart("cusum", x, "nelson:1"),
    }


def theirs(data: dict[str, np.ndarray], size: int) -> dict[str, tuple[int, Callable[[], Any]]]:
    """shewhart on the first ``size`` points (X-bar charts: size / 10 values)."""
    x, d, c, n = (data[k][:size] for k in ("x", "defectives", "defects", "units"))
    small = size // 10 // SUBGROUP * SUBGROUP
    frame = pd.DataFrame({"v": data["x"][:small], "g": np.arange(small) // SUBGROUP})
    u_counts = np.round(c * n / 10.0)
    return {
        "i-mr (8 Nelson rules)": (size, lambda: sw.imr(x, rules="nelson")),
        "xbar-r (8 rules on means)": (
            small,
            lambda: sw.xbar_r(frame, value="v", subgroup="g", rules="nelson"),
        ),
        "xbar-s (8 rules on means)": (
            small,
            lambda: sw.xbar_s(frame, value="v", subgroup="g", rules="nelson"),
        ),
        "p (n=50)": (size, lambda: sw.p_chart(d, size=50, rules="none")),
        "np (n=50)": (size, lambda: sw.np_chart(d, size=50, rules="none")),
        "c": (size, lambda: sw.c_chart(c, rules="none")),
        "u (variable n)": (size, lambda: sw.u_chart(u_counts, size=n, rules="none")),
        "ewma": (size, lambda: sw.ewma(x)),
        "cusum": (size, lambda: sw.cusum(x, h=5.0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--subset", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("columns: ours on N points (wall s, CPU s); shewhart on m points (s); ours on m points;")
    print("x@m: shewhart / ours at m; shewhart->N: its time scaled linearly to N; x@N: that / ours")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    # shewhart integrates its constants on first use (seconds for d3): not part of a chart's cost.
    for n in (2, SUBGROUP):
        sw.constants.d2(n), sw.constants.d3(n), sw.constants.c4(n)
    data = make_data(args.points, args.seed)
    subset_data = {key: value[: args.subset] for key, value in data.items()}
    full_runs = ours(data)
    full = {name: best_of(args.repeat, run) for name, run in full_runs.items()}
    full_cpu = {name: CPU_SECONDS[id(run)] for name, run in full_runs.items()}
    small_ours = ours(subset_data)
    print(
        f"\n{'chart':28} {'ours N':>9} {'cpu':>6} {'shewhart@m':>11} {'m':>7} {'ours@m':>9} "
        f"{'x@m':>7} {'shewhart->N':>12} {'x@N':>7}"
    )
    total_ours = total_theirs = 0.0
    for name, (size, run) in theirs(data, args.subset).items():
        theirs_time = best_of(1, run)
        if size == args.subset:
            ours_small = best_of(args.repeat, small_ours[name])
        else:
            scaled = {k: v[:size] for k, v in data.items()}
            ours_small = best_of(args.repeat, ours(scaled)[name])
        projected = theirs_time * args.points / size
        total_ours += full[name]
        total_theirs += projected
        print(
            f"{name:28} {full[name]:9.3f} {full_cpu[name]:6.3f} {theirs_time:11.3f} {size:7d} "
            f"{ours_small:9.4f} "
            f"{theirs_time / ours_small:7.0f} {projected:12.1f} {projected / full[name]:7.0f}"
        )
    print(
        f"\nall charts, N = {args.points:,}: ours {total_ours:.3f} s wall, "
        f"{sum(full_cpu.values()):.3f} s CPU (target <= 1.5 s); "
        f"shewhart scaled to N {total_theirs:.1f} s; ratio {total_theirs / total_ours:.0f}x "
        f"(target >= 50x)"
    )


if __name__ == "__main__":
    main()
