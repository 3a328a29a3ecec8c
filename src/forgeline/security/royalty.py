"""Royalty arithmetic (pure, Decimal): units by model and territory, rate, minimum, true-up.

Per licensor and calendar quarter: each (model, territory) line earns units x rate, rounded to
the cent (half up); earned is the sum of the lines; the true-up is what the minimum guarantee
adds when earned falls short of it; payable = earned + true-up.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from forgeline.errors import invalid

CENT = Decimal("0.01")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip().upper())
        if not match:
            raise invalid("royalty.bad_quarter", f"a quarter reads like 2026Q3, not {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter."""
        return (
            date(self.year + 1, 1, 1)
            if self.number == 4
            else date(self.year, 3 * self.number + 1, 1)
        )

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


@dataclass(frozen=True)
class Line:
    model: str
    territory: str
    units: int
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Statement:
    licensor: str
    quarter: Quarter
    currency: str
    rate: Decimal
    lines: list[Line]
    minimum: Decimal
    earned: Decimal
    true_up: Decimal
    payable: Decimal

    @property
    def total_units(self) -> int:
        return sum(line.units for line in self.lines)


def compute_statement(
    licensor: str,
    quarter: Quarter,
    currency: str,
    rate: Decimal,
    minimum: Decimal,
    units: dict[tuple[str, str], int],
) -> Statement:
    lines = [
        Line(model, territory, count, rate, (rate * count).quantize(CENT, ROUND_HALF_UP))
        for (model, territory), count in sorted(units.items())
        if count
    ]
    earned = sum((line.amount for line in lines), Decimal("0.00"))
    true_up = max(minimum - earned, Decimal("0.00")).quantize(CENT)
    return Statement(
        licensor, quarter, currency, rate, lines, minimum.quantize(CENT), earned, true_up,
        (earned + true_up).quantize(CENT),
    )  # fmt: skip


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["licensor", "quarter", "model", "territory", "units", "rate", "amount", "currency"]
    )
    for line in statement.lines:
        writer.writerow(
            [statement.licensor, statement.quarter, line.model, line.territory, line.units,
             line.rate, line.amount, statement.currency]
        )  # fmt: skip
    for label, value in (
        ("earned", statement.earned),
        ("minimum_guarantee", statement.minimum),
        ("true_up", statement.true_up),
        ("payable", statement.payable),
    ):
        writer.writerow(
            [
                statement.licensor,
                statement.quarter,
                label,
                "",
                statement.total_units if label == "earned" else "",
                "",
                value,
                statement.currency,
            ]
        )
    return out.getvalue()
