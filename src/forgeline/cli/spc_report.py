"""What `forgeline spc analyze` prints: the JSON document (docs/spc.md) and the Rich tables."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from forgeline.quality.spc import DESCRIPTIONS, Analysis, Series

# Beyond this many points the terminal table lists only the flagged ones (JSON has them all).
MAX_LISTED = 300


def _constant(values: np.ndarray[Any, Any]) -> float | None:
    if len(values) and bool(np.all(values == values[0])):
        return float(values[0])
    return None


def series_summary(series: Series) -> dict[str, Any]:
    return {
        "name": series.name,
        "center": _constant(series.center),
        "lcl": _constant(series.lcl),
        "ucl": _constant(series.ucl),
        "varies_by_point": _constant(series.lcl) is None or _constant(series.ucl) is None,
    }


def payload(analysis: Analysis, labels: list[str], meta: dict[str, Any]) -> dict[str, Any]:
    result = analysis.result
    excluded = set(result.limits.excluded)
    by_point = result.rules_by_point()
    points: list[dict[str, Any]] = []
    for i, label in enumerate(labels):
        points.append(
            {
                "point": i + 1,
                "label": label,
                "phase": "I" if analysis.phase1[i] else "II",
                "excluded": i in excluded,
                "rules": by_point.get(i, []),
            }
        )
    for series in result.series:
        for at, value, centre, low, high in zip(
            series.index.tolist(),
            series.values.tolist(),
            series.center.tolist(),
            series.lcl.tolist(),
            series.ucl.tolist(),
            strict=True,
        ):
            points[at][series.name] = value
            points[at][f"{series.name}_center"] = centre
            points[at][f"{series.name}_lcl"] = low
            points[at][f"{series.name}_ucl"] = high
        for point in points:
            for key in ("", "_center", "_lcl", "_ucl"):
                point.setdefault(f"{series.name}{key}", None)
    return {
        **meta,
        "chart": result.chart.value,
        "points_total": len(labels),
        "points_phase1": int(analysis.phase1.sum()),
        "sigma": result.limits.sigma,
        "sigma_method": result.limits.sigma_method,
        "limits": result.limits.to_dict(),
        "series": [series_summary(s) for s in result.series],
        "in_control": result.in_control,
        "violations": [
            {
                "rule": v.rule,
                "series": v.series,
                "description": DESCRIPTIONS[v.rule],
                "points": [int(p) + 1 for p in v.points.tolist()],
            }
            for v in result.violations
        ],
        "points": points,
        "capability": None if analysis.capability is None else analysis.capability.to_dict(),
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def print_tables(console: Console, data: dict[str, Any]) -> None:
    limits = Table(title=f"{data['chart']} chart of {data['column']} ({data['file']})")
    for heading in ("series", "centre", "LCL", "UCL"):
        limits.add_column(heading, justify="left" if heading == "series" else "right")
    for s in data["series"]:
        note = " (per point)" if s["varies_by_point"] else ""
        limits.add_row(s["name"] + note, _fmt(s["center"]), _fmt(s["lcl"]), _fmt(s["ucl"]))
    console.print(limits)
    sigma = data["sigma"]
    if sigma is not None:
        console.print(f"sigma {sigma:.7g} ({data['sigma_method']})")
    console.print(
        f"{data['points_total']} points, {data['points_phase1']} in phase I; "
        + ("[green]in control[/]" if data["in_control"] else "[bold red]out of control[/]")
    )
    names = [s["name"] for s in data["series"]]
    listed = data["points"]
    if len(listed) > MAX_LISTED:
        listed = [p for p in listed if p["rules"]]
        console.print(f"{len(data['points'])} points: listing only the {len(listed)} flagged")
    table = Table()
    for heading in ("point", "label", "phase", *names, "rules"):
        table.add_column(heading, justify="right" if heading in names else "left")
    for p in listed:
        phase = p["phase"] + (" (excluded)" if p["excluded"] else "")
        style = "red" if p["rules"] else None
        table.add_row(
            str(p["point"]),
            p["label"],
            phase,
            *[_fmt(p[n]) for n in names],
            ", ".join(p["rules"]),
            style=style,
        )
    console.print(table)
    for v in data["violations"]:
        console.print(
            f"[red]{v['rule']}[/] on {v['series']}: {v['description']}: points {v['points']}"
        )
    if data["capability"] is not None:
        print_capability(console, data["capability"])


def print_capability(console: Console, cap: dict[str, Any]) -> None:
    level = f"{cap['confidence'] * 100:g}%"
    table = Table(title=f"Capability (n = {cap['n']}, {level} confidence intervals)")
    for heading in ("index", "estimate", "lower", "upper"):
        table.add_column(heading, justify="left" if heading == "index" else "right")
    for name in ("cp", "cpl", "cpu", "cpk", "cpm", "pp", "ppl", "ppu", "ppk"):
        interval = cap[name]
        if interval is not None:
            table.add_row(
                name.capitalize(),
                f"{interval['estimate']:.3f}",
                f"{interval['lower']:.3f}",
                f"{interval['upper']:.3f}",
            )
    console.print(table)
    ppm = cap["ppm"]
    console.print(
        f"mean {cap['mean']:.6g}, sigma within {cap['sigma_within']:.6g}, overall "
        f"{cap['sigma_overall']:.6g}; out of spec ppm: expected within "
        f"{ppm['expected_within']:.1f}, expected overall {ppm['expected_overall']:.1f}, "
        f"observed {ppm['observed']:.1f}"
    )
    normal = cap["normality"]
    if normal is not None:
        console.print(
            f"Anderson-Darling A2 = {normal['statistic']:.4f}, p = {normal['p_value']:.4f}"
        )
