"""The recall set as CSV, for the quality engineer's spreadsheet and the brand's recall notice."""

from __future__ import annotations

import csv
import io

from forgeline.trace.schemas import AffectedUnit, ForwardTrace

CSV_COLUMNS = (
    "role",
    "uid",
    "kind",
    "product_code",
    "status",
    "next_operation",
    "current_station",
    "hold_count",
    "handset_uid",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection); quote it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(role: str, unit: AffectedUnit) -> list[str]:
    return [
        role,
        *(_cell(getattr(unit, name)) for name in CSV_COLUMNS[1:]),
    ]


def forward_csv(trace: ForwardTrace) -> str:
    """One line per affected piece (role "piece") then per containing handset ("handset")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_row("piece", unit) for unit in trace.pieces)
    writer.writerows(_row("handset", unit) for unit in trace.handsets)
    return out.getvalue()
