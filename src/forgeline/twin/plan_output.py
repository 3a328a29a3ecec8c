"""The capacity plan as a terminal table, a CSV file and a chart (matplotlib, Agg backend)."""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console
from rich.table import Table

from forgeline.errors import invalid
from forgeline.twin.plan import CapacityPlan

CSV_COLUMNS = (
    "year", "share", "good_per_year", "starts_per_day", "rolled_yield", "simulated_yield",
    "group", "station_type", "placed", "needed", "utilisation", "bottleneck",
    "check_share", "check_stations", "check_analytic", "check_simulated", "agrees",
)  # fmt: skip


def rows(result: CapacityPlan) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for y in result.years:
        for g in y.groups:
            out.append({
                "year": y.year, "share": y.share, "good_per_year": round(y.good_per_year),
                "starts_per_day": round(y.starts_per_day), "rolled_yield": round(y.rolled_yield, 4),
                "simulated_yield": _r(y.simulated_yield), "group": g.key,
                "station_type": g.station_type, "placed": g.placed, "needed": g.needed,
                "utilisation": round(g.utilisation, 4), "bottleneck": g.key == y.bottleneck.key,
                "check_share": _r(y.check_share), "check_stations": g.check_stations,
                "check_analytic": _r(g.check_analytic), "check_simulated": _r(g.check_simulated),
                "agrees": g.agrees,
            })  # fmt: skip
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def write_csv(result: CapacityPlan, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows(result))


def print_plan(result: CapacityPlan, console: Console) -> None:
    for y in result.years:
        sim = "-" if y.simulated_yield is None else f"{y.simulated_yield:.1%}"
        table = Table(
            "station group",
            "placed",
            "needed",
            "utilisation",
            "check: analytic",
            "simulated",
            title=(
                f"Year {y.year}: {y.share:g} x nameplate = {y.good_per_year / 1e6:.1f} M good "
                f"a year, {y.starts_per_day:,.0f} starts a day, rolled yield {y.rolled_yield:.1%}"
                f" (simulated {sim}); bottleneck {y.bottleneck.key}"
            ),
        )
        for g in y.groups:
            more = " [bold red]buy[/]" if g.needed > g.placed else ""
            check = "-" if g.check_analytic is None else f"{g.check_analytic:.1%}"
            simulated = "-" if g.check_simulated is None else f"{g.check_simulated:.1%}"
            if not g.agrees:
                simulated += " [bold red]off[/]"
            table.add_row(g.key, str(g.placed), f"{g.needed}{more}", f"{g.utilisation:.1%}",
                          check, simulated)  # fmt: skip
        console.print(table)
    verdict = "agree" if result.agrees else "DO NOT agree"
    console.print(
        f"Analytic and simulated utilisation {verdict} within +/-{result.tolerance:.0%} "
        f"(absolute) at {result.utilisation_target:.0%} target utilisation."
    )


def write_chart(result: CapacityPlan, path: Path) -> None:
    """Stations needed per group and year (bars) against those placed (markers)."""
    if path.suffix.lower() not in (".png", ".svg"):
        raise invalid("plan.chart_format", f"{path.name}: write the chart as .png or .svg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g.key for g in result.years[0].groups]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(11, 8), height_ratios=[3, 2])
    width = 0.8 / len(result.years)
    for i, y in enumerate(result.years):
        needed = [next(g.needed for g in y.groups if g.key == k) for k in groups]
        xs = [j + (i - (len(result.years) - 1) / 2) * width for j in range(len(groups))]
        ax.bar(xs, needed, width, label=f"year {y.year} ({y.share:g}x)")
    placed = [result.years[0].groups[j].placed for j in range(len(groups))]
    ax.scatter(range(len(groups)), placed, marker="_", s=400, color="black", label="placed now")
    ax.set_xticks(range(len(groups)), [k.replace("ultrasonic_clean:", "clean ") for k in groups],
                  rotation=35, ha="right", fontsize=8)  # fmt: skip
    ax.set_ylabel("stations needed")
    ax.set_title(f"Equipment by ramp year at {result.nameplate / 1e6:g} M pieces/year nameplate")
    ax.legend(fontsize=8, ncol=3)
    years = [f"Y{y.year}" for y in result.years]
    ax2.plot(years, [y.bottleneck.utilisation for y in result.years], "o-",
             label="bottleneck utilisation (analytic)")  # fmt: skip
    ax2.plot(years, [y.rolled_yield for y in result.years], "s-", label="rolled yield (analytic)")
    sim = [y.simulated_yield for y in result.years]
    if all(v is not None for v in sim):
        ax2.plot(years, sim, "x--", label="rolled yield (simulated)")
    ax2.set_ylim(0.5, 1.0)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
