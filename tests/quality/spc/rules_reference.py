"""A slow, literal reading of the run rules: one loop per window, for checking the fast ones."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from forgeline.quality.spc import RuleSet


def reference_rules(
    values: np.ndarray, center: float, sigma: float, lcl: float, ucl: float, cfg: RuleSet
) -> dict[str, set[int]]:
    n = len(values)
    z = [(float(v) - center) / sigma for v in values]
    out: dict[str, set[int]] = {}

    def add(rule: str, window: list[int], members: list[int]) -> None:
        if cfg.flag == "completing":
            out[rule].add(window[-1])
        else:
            out[rule].update(members)

    def windows(width: int) -> list[list[int]]:
        return [list(range(end - width + 1, end + 1)) for end in range(width - 1, n)]

    def above0(i: int) -> bool:
        return z[i] > 0 if cfg.center_breaks_run else z[i] >= 0

    def below0(i: int) -> bool:
        return z[i] < 0 if cfg.center_breaks_run else z[i] <= 0

    def same_side(rule: str, width: int) -> None:
        for w in windows(width):
            for test in (above0, below0):
                if all(test(i) for i in w):
                    add(rule, w, w)

    def m_of_n(rule: str, m: int, width: int, level: float) -> None:
        for w in windows(width):
            for sign in (1, -1):
                hits = [i for i in w if sign * z[i] > level]
                if len(hits) >= m and (not cfg.last_point_must_count or w[-1] in hits):
                    add(rule, w, hits)

    for rule in cfg.rules:
        out[rule] = set()
        if rule in ("nelson1", "we1"):
            out[rule] = {i for i in range(n) if values[i] > ucl or values[i] < lcl}
        elif rule == "nelson2":
            same_side(rule, cfg.same_side_run)
        elif rule == "we4":
            same_side(rule, cfg.we_same_side_run)
        elif rule == "nelson3":
            width = cfg.trend_run + (0 if cfg.trend_counts == "points" else 1)
            for w in windows(width):
                steps = [values[b] - values[a] for a, b in pairwise(w)]
                for sign in (1, -1):
                    if cfg.ties_break_trend:
                        ok = all(sign * s > 0 for s in steps)
                    else:
                        ok = all(sign * s >= 0 for s in steps) and any(sign * s > 0 for s in steps)
                    if ok:
                        add(rule, w, w)
        elif rule == "nelson4":
            for w in windows(cfg.alternating_run):
                steps = [np.sign(values[b] - values[a]) for a, b in pairwise(w)]
                if all(s != 0 for s in steps) and all(a * b < 0 for a, b in pairwise(steps)):
                    add(rule, w, w)
        elif rule in ("nelson5", "we2"):
            m_of_n(rule, 2, 3, 2.0)
        elif rule in ("nelson6", "we3"):
            m_of_n(rule, 4, 5, 1.0)
        elif rule == "nelson7":
            for w in windows(cfg.stratification_run):
                if all(abs(z[i]) < 1 for i in w):
                    add(rule, w, w)
        elif rule == "nelson8":
            for w in windows(cfg.mixture_run):
                if all(abs(z[i]) > 1 for i in w) and (
                    not cfg.mixture_both_sides
                    or (any(z[i] > 1 for i in w) and any(z[i] < -1 for i in w))
                ):
                    add(rule, w, w)
    return out
