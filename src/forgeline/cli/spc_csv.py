"""Reading the CSV (or whitespace-separated text) that `forgeline spc analyze` charts.

The delimiter is taken from the header line: a comma, semicolon or tab if there is one, else
runs of whitespace (the classic textbook data files). Every problem names the file's line and
the column, so an engineer can fix the file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


class CsvError(ValueError):
    """The file or a column cannot be used; the message says where."""


@dataclass(frozen=True)
class Table:
    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]  # the file line of each row (1-based, header is line 1 or later)

    def column(self, name: str) -> list[str]:
        if name not in self.columns:
            raise CsvError(
                f"{self.path.name} has no column {name!r}; its columns are "
                + ", ".join(repr(c) for c in self.columns)
            )
        at = self.columns.index(name)
        return [row[at] for row in self.rows]

    def numbers(self, name: str) -> NDArray[np.float64]:
        out = np.empty(len(self.rows), dtype=np.float64)
        for i, text in enumerate(self.column(name)):
            where = f"{self.path.name} line {self.lines[i]}, column {name!r}"
            if not text.strip() or text.strip().upper() in {"NA", "NAN", "NULL"}:
                raise CsvError(f"{where}: the value is missing")
            try:
                out[i] = float(text)
            except ValueError:
                raise CsvError(f"{where}: {text!r} is not a number") from None
            if not np.isfinite(out[i]):
                raise CsvError(f"{where}: {text!r} is not a finite number")
        return out

    def flags(self, name: str) -> NDArray[np.bool_]:
        out = np.empty(len(self.rows), dtype=bool)
        for i, text in enumerate(self.column(name)):
            word = text.strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise CsvError(
                    f"{self.path.name} line {self.lines[i]}, column {name!r}: "
                    f"{text!r} is not true/false"
                )
            out[i] = word in TRUE_WORDS
        return out


def read_table(path: Path) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CsvError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CsvError(f"cannot read {path}: {exc}") from None
    numbered = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not numbered:
        raise CsvError(f"{path.name} is empty")
    header = numbered[0][1]
    delimiter = next((d for d in (",", ";", "\t") if d in header), None)
    if delimiter is None:
        records = [re.split(r"\s+", line.strip()) for _, line in numbered]
    else:
        records = list(csv.reader([line for _, line in numbered], delimiter=delimiter))
    columns = [c.strip() for c in records[0]]
    if len(set(columns)) != len(columns):
        raise CsvError(f"{path.name} has repeated column names: {columns}")
    rows, lines = [], []
    for (line_no, _), record in zip(numbered[1:], records[1:], strict=True):
        if len(record) != len(columns):
            raise CsvError(
                f"{path.name} line {line_no} has {len(record)} fields, the header has "
                f"{len(columns)}"
            )
        rows.append([field.strip() for field in record])
        lines.append(line_no)
    if not rows:
        raise CsvError(f"{path.name} has a header but no data rows")
    return Table(path, columns, rows, lines)


def parse_points(spec: str, count: int, option: str) -> list[int]:
    """``1-25,31,40-45`` (1-based, inclusive) as sorted 0-based indices below ``count``."""
    picked: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not match:
            raise CsvError(f"{option}: {part!r} is not a point number or range like 1-25")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first < 1 or last < first or last > count:
            raise CsvError(f"{option}: {part!r} is outside points 1 to {count}")
        picked.update(range(first - 1, last))
    return sorted(picked)
