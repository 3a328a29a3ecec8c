"""The textbook data sets of /work/shared/reference/spc-data (copied here as the reference says)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


def rows(name: str) -> tuple[list[str], list[list[str]]]:
    lines = (DATA / name).read_text().split("\n")
    records = [line.split() for line in lines if line.strip()]
    return records[0], records[1:]


def column(name: str, field: str) -> np.ndarray:
    header, records = rows(name)
    at = header.index(field)
    if field == "trial":
        return np.array([r[at] == "TRUE" for r in records])
    return np.array([float(r[at]) for r in records])
