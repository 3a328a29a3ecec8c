"""`forgeline spc analyze FILE`: a control chart, run rules and capability for any CSV.

No database: engineers who just have data get qcc's numbers (docs/spc.md). Bad files, columns
or options exit with code 2 and a message naming the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import typer
from numpy.typing import NDArray
from rich.markup import escape

from forgeline.cli.context import JsonOption, console, err_console, print_json
from forgeline.cli.spc_csv import CsvError, Table, parse_points, read_table
from forgeline.cli.spc_report import payload, print_tables
from forgeline.quality.spc import Chart, Limits, SpcInputError, Subgroups, analyze
from forgeline.quality.spc.limits import ATTRIBUTE_CHARTS, SUBGROUP_CHARTS
from forgeline.quality.spc.plot import plot_chart

app = typer.Typer(help="Statistical process control on a CSV file.", no_args_is_help=True)
BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error[/] {escape(message)}")
    raise typer.Exit(code=BAD_INPUT)


def _data(
    table: Table,
    kind: Chart,
    column: str,
    size: int | None,
    group_column: str | None,
    size_column: str | None,
) -> tuple[Any, Any, list[str], list[NDArray[np.int64]]]:
    """The chart's data, sizes, one label per point and the rows of each point."""
    values = table.numbers(column)
    rows = np.arange(len(values), dtype=np.int64)
    if kind in SUBGROUP_CHARTS:
        if (size is None) == (group_column is None):
            raise CsvError(f"a {kind.value} chart needs --subgroup-size or --subgroup-column")
        if group_column is not None:
            labels = np.asarray(table.column(group_column))
            groups = Subgroups.from_labels(rows.astype(np.float64), labels)
            order = groups.values.astype(np.int64)
            splits = np.split(order, np.cumsum(groups.sizes)[:-1])
            names = [str(labels[part[0]]) for part in splits]
            return Subgroups(values[order], groups.sizes), None, names, splits
        assert size is not None
        groups = Subgroups.of_size(values, size)
        splits = np.split(rows, np.cumsum(groups.sizes)[:-1])
        return groups, None, [str(i + 1) for i in range(len(groups))], splits
    if group_column is not None:
        raise CsvError(f"--subgroup-column applies to xbar-r and xbar-s charts, not {kind.value}")
    sizes: Any = None
    if kind in ATTRIBUTE_CHARTS and kind is not Chart.C:
        if size_column is not None:
            sizes = table.numbers(size_column)
        elif size is not None:
            sizes = float(size)
        else:
            raise CsvError(f"a {kind.value} chart needs --size-column (or --subgroup-size for all)")
    elif size_column is not None:
        raise CsvError(f"--size-column applies to p, np and u charts, not {kind.value}")
    elif size is not None:
        raise CsvError(f"--subgroup-size does not apply to a {kind.value} chart")
    names = [str(i + 1) for i in range(len(values))]
    return values, sizes, names, [rows[i : i + 1] for i in range(len(values))]


def _phase1(
    table: Table, spec: str | None, column: str | None, point_rows: list[NDArray[np.int64]]
) -> NDArray[np.bool_]:
    count = len(point_rows)
    if spec is not None and column is not None:
        raise CsvError("give --phase1-rows or --phase1-column, not both")
    mask = np.ones(count, dtype=bool)
    if spec is not None:
        mask[:] = False
        mask[parse_points(spec, count, "--phase1-rows")] = True
    elif column is not None:
        flags = table.flags(column)
        for i, rows in enumerate(point_rows):
            if flags[rows].any() != flags[rows].all():
                raise CsvError(f"--phase1-column {column!r} disagrees within point {i + 1}")
            mask[i] = bool(flags[rows][0])
    return mask


@app.command("analyze")
def analyze_command(
    file: Path = typer.Argument(..., help="CSV (or whitespace-separated) file with a header row"),
    chart: str = typer.Option(
        ..., "--chart", help="i-mr, xbar-r, xbar-s, p, np, c, u, ewma, cusum"
    ),
    column: str = typer.Option(..., "--column", help="measurements (or counts for p/np/c/u)"),
    subgroup_size: int | None = typer.Option(None, "--subgroup-size", help="rows per subgroup"),
    subgroup_column: str | None = typer.Option(None, "--subgroup-column", help="subgroup label"),
    size_column: str | None = typer.Option(None, "--size-column", help="sample size (p, np, u)"),
    phase1_rows: str | None = typer.Option(None, "--phase1-rows", help="points like 1-25"),
    phase1_column: str | None = typer.Option(None, "--phase1-column", help="true = phase I"),
    exclude: str | None = typer.Option(None, "--exclude", help="phase I points to leave out: 3,7"),
    lsl: float | None = typer.Option(None, "--lsl", help="lower specification limit"),
    usl: float | None = typer.Option(None, "--usl", help="upper specification limit"),
    target: float | None = typer.Option(None, "--target", help="target (Cpm)"),
    rules: str = typer.Option("nelson", "--rules", help="nelson | we | nelson:1,2,5 | none"),
    sigma_method: str | None = typer.Option(None, "--sigma-method", help="see docs/spc.md"),
    exact_constants: bool = typer.Option(False, "--exact-constants", help="exact d2, not qcc's"),
    lam: float | None = typer.Option(None, "--lambda", help="EWMA weight (0.2)"),
    width: float | None = typer.Option(None, "--ewma-width", help="EWMA limit width L (3)"),
    cusum_k: float | None = typer.Option(None, "--cusum-k", help="CUSUM k in sigma (0.5)"),
    cusum_h: float | None = typer.Option(None, "--cusum-h", help="CUSUM h in sigma (5)"),
    limits_file: Path | None = typer.Option(None, "--limits", help="frozen limits (phase II)"),
    save_limits: Path | None = typer.Option(None, "--save-limits", help="write the limits JSON"),
    plot: Path | None = typer.Option(None, "--plot", help="write the chart as .png or .svg"),
    as_json: bool = JsonOption,
) -> None:
    """Chart COLUMN of FILE: centre, limits, sigma, every point and the rules it breaks."""
    try:
        kind = Chart.parse(chart)
        table = read_table(file)
        data, sizes, labels, point_rows = _data(
            table, kind, column, subgroup_size, subgroup_column, size_column
        )
        phase1 = _phase1(table, phase1_rows, phase1_column, point_rows)
        dropped = parse_points(exclude, len(labels), "--exclude") if exclude else []
        params = {
            key: value
            for key, value in (("lam", lam), ("width", width), ("k", cusum_k), ("h", cusum_h))
            if value is not None
        }
        frozen = None
        if limits_file is not None:
            try:
                frozen = Limits.from_json(limits_file.read_text(encoding="utf-8"))
            except OSError as exc:
                raise CsvError(f"cannot read {limits_file}: {exc}") from None
            phase1 = np.zeros(len(labels), dtype=bool)
        analysis = analyze(
            kind,
            data,
            sizes=sizes,
            phase1=phase1,
            exclude=dropped,
            limits=frozen,
            sigma_method=sigma_method,
            exact_constants=exact_constants,
            params=params or None,
            rules=rules,
            lsl=lsl,
            usl=usl,
            target=target,
        )
        if plot is not None:
            plot_chart(analysis.result, plot, title=f"{kind.value}: {column}", phase1=phase1)
    except (CsvError, SpcInputError) as exc:
        _fail(str(exc))
    if save_limits is not None:
        save_limits.write_text(
            json.dumps(analysis.result.limits.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
    doc = payload(analysis, labels, {"file": str(file), "column": column})
    if as_json:
        print_json(doc)
    else:
        print_tables(console, doc)
