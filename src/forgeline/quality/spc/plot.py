"""A static picture of a chart (matplotlib, Agg backend): PNG or SVG for reports and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from forgeline.quality.spc.errors import SpcInputError
from forgeline.quality.spc.evaluate import ChartResult

FORMATS = {".png": "png", ".svg": "svg"}


def plot_chart(
    result: ChartResult,
    path: Path,
    *,
    title: str = "",
    phase1: NDArray[np.bool_] | None = None,
) -> None:
    """Draw every series of ``result`` (one panel each), limits as steps, flagged points red."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SpcInputError(f"a plot is written as .png or .svg, not {path.suffix or path.name!r}")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    flagged_by_series: dict[str, set[int]] = {}
    for violation in result.violations:
        flagged_by_series.setdefault(violation.series, set()).update(violation.points.tolist())
    panels = len(result.series)
    fig, axes = plt.subplots(panels, 1, figsize=(10, 3.2 * panels), sharex=True, squeeze=False)
    try:
        for ax, series in zip(axes[:, 0], result.series, strict=True):
            x = series.index + 1
            ax.plot(x, series.values, marker="o", markersize=3, linewidth=1, color="#1f4e79")
            for line, style in ((series.center, "-"), (series.lcl, "--"), (series.ucl, "--")):
                ax.step(x, line, where="mid", linestyle=style, color="#7f7f7f", linewidth=1)
            marks = np.isin(series.index, sorted(flagged_by_series.get(series.name, set())))
            ax.plot(x[marks], series.values[marks], "o", color="#c00000", markersize=6)
            if phase1 is not None and not phase1.all() and phase1.any():
                boundary = int(np.flatnonzero(phase1)[-1]) + 1.5
                ax.axvline(boundary, color="#999999", linestyle=":", linewidth=1)
            ax.set_ylabel(series.name)
            ax.grid(alpha=0.3)
        axes[0, 0].set_title(title or f"{result.chart.value} chart")
        axes[-1, 0].set_xlabel("point")
        fig.tight_layout()
        fig.savefig(path, format=fmt)
    finally:
        plt.close(fig)
