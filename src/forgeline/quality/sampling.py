"""ISO 2859-1 single sampling plans for normal inspection (pure: no database, no web).

Lot size and inspection level give a sample size code letter (Table 1); the code letter and the
AQL give a sample size and acceptance / rejection numbers Ac, Re (Table 2-A), following the
table's arrows to the first plan above or below. `decide` turns the number of nonconforming
items (or nonconformities) found in the sample into accept / reject.

Table 2-A is regular: an entry depends only on the diagonal d = letter index + AQL index
(A = 0 ... R = 15; 0.010 = 0 ... 1000 = 25). d < 14: arrow down; 14: Ac 0; 15: arrow up;
16: arrow down; 17..24: Ac 1, 2, 3, 5, 7, 10, 14, 21; above that the columns for AQL <= 10
(percent nonconforming) point up, while the columns for AQL >= 15 (nonconformities per hundred
units only) go on with Ac 30 and 44 before pointing up. Re = Ac + 1 in single sampling.

Decisions where the printed arrows have nowhere to go (documented in docs/quality.md):
- Row A, AQL 10 (d = 15, an up arrow with no row above) is followed down, as row A's other
  arrows are.
- Row R, AQL 0.015 (d = 16, a down arrow with no row below) takes R's next plan to the right
  (Ac 1, Re 2 at n = 2000).
- When the sample size reaches the lot size, every item is inspected (the standard's 100 %
  rule); Ac and Re stay those of the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from forgeline.errors import invalid

LETTERS = "ABCDEFGHJKLMNPQR"
SAMPLE_SIZES = (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000)
AQLS = tuple(
    Decimal(v)
    for v in [
        "0.010",
        "0.015",
        "0.025",
        "0.040",
        "0.065",
        "0.10",
        "0.15",
        "0.25",
        "0.40",
        "0.65",
        "1.0",
        "1.5",
        "2.5",
        "4.0",
        "6.5",
        "10",
        "15",
        "25",
        "40",
        "65",
        "100",
        "150",
        "250",
        "400",
        "650",
        "1000",
    ]
)
# AQLs above 10 apply to nonconformities per hundred units only (ISO 2859-1, 5.2).
MAX_PERCENT_AQL = Decimal(10)
MAX_LOT_SIZE = 10**12


class Level(StrEnum):
    S1 = "S-1"
    S2 = "S-2"
    S3 = "S-3"
    S4 = "S-4"
    I = "I"  # noqa: E741 (the standard's name)
    II = "II"
    III = "III"


# Table 1: upper bound of each lot-size range, then the code letter for S-1..S-4, I, II, III.
_TABLE_1: tuple[tuple[int, str], ...] = (
    (8, "AAAAAAB"),
    (15, "AAAAABC"),
    (25, "AABBBCD"),
    (50, "ABBCCDE"),
    (90, "BBCCCEF"),
    (150, "BBCDDFG"),
    (280, "BCDEEGH"),
    (500, "BCDEFHJ"),
    (1200, "CCEFGJK"),
    (3200, "CDEGHKL"),
    (10000, "CDFGJLM"),
    (35000, "CDFHKMN"),
    (150000, "DEGJLNP"),
    (500000, "DEGJMPQ"),
    (MAX_LOT_SIZE, "DEHKNQR"),
)
_LEVEL_COLUMN = {level: i for i, level in enumerate(Level)}
_ACCEPT_BY_DIAGONAL = {14: 0, 17: 1, 18: 2, 19: 3, 20: 5, 21: 7, 22: 10, 23: 14, 24: 21}
_HIGH_AQL_ACCEPT = {25: 30, 26: 44}
_UP, _DOWN = "up", "down"


class Decision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


@dataclass(frozen=True)
class Plan:
    """A single sampling plan, and how it was reached from the lot."""

    lot_size: int
    level: Level
    aql: Decimal
    code_letter: str  # from Table 1
    plan_letter: str  # after following the arrows of Table 2-A
    sample_size: int  # items to inspect (the lot size when the plan's n reaches it)
    accept: int  # Ac: accept with this many nonconforming or fewer
    reject: int  # Re: reject with this many or more
    hundred_percent: bool  # the plan's n reached the lot size: inspect every item

    def decide(self, nonconforming: int) -> Decision:
        return decide(self, nonconforming)


def parse_level(value: str) -> Level:
    text = value.strip().upper().replace("G-", "").replace("S", "S-").replace("S--", "S-")
    try:
        return Level(text)
    except ValueError:
        raise invalid(
            "sampling.unknown_level",
            f"{value!r} is not an inspection level",
            allowed=[lv.value for lv in Level],
        ) from None


def parse_aql(value: str | float | Decimal) -> Decimal:
    """One of the standard's preferred AQLs (0.010 ... 1000), compared by value."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    for aql in AQLS:
        if number == aql:
            return aql
    raise invalid(
        "sampling.unknown_aql",
        f"{value!r} is not one of ISO 2859-1's preferred AQLs",
        allowed=[str(a) for a in AQLS],
    )


def code_letter(lot_size: int, level: Level) -> str:
    """Table 1: the sample size code letter of a lot."""
    if isinstance(lot_size, bool) or not isinstance(lot_size, int):
        raise invalid("sampling.invalid_lot_size", "the lot size must be a whole number")
    if not 2 <= lot_size <= MAX_LOT_SIZE:
        raise invalid(
            "sampling.invalid_lot_size",
            f"a lot of {lot_size} cannot be sampled: ISO 2859-1 starts at 2 items",
            lot_size=lot_size,
        )
    for upper, letters in _TABLE_1:
        if lot_size <= upper:
            return letters[_LEVEL_COLUMN[level]]
    raise AssertionError("unreachable: the last range is open-ended")


def table_2a(letter: str, aql: Decimal) -> tuple[int, int] | str:
    """One cell of Table 2-A as printed: (Ac, Re), or "up" / "down" for an arrow."""
    row, column = LETTERS.index(letter), AQLS.index(aql)
    diagonal = row + column
    accept = _ACCEPT_BY_DIAGONAL.get(diagonal)
    if accept is None and aql > MAX_PERCENT_AQL:
        accept = _HIGH_AQL_ACCEPT.get(diagonal)
    if accept is not None:
        return accept, accept + 1
    if diagonal < 14 or diagonal == 16:
        return _DOWN
    return _UP


def plan(lot_size: int, aql: str | float | Decimal, level: str | Level = Level.II) -> Plan:
    """The single sampling plan for normal inspection of a lot."""
    kind = level if isinstance(level, Level) else parse_level(level)
    quality = parse_aql(aql)
    letter = code_letter(lot_size, kind)
    row = LETTERS.index(letter)
    column = AQLS.index(quality)
    cell = table_2a(letter, quality)
    while isinstance(cell, str):
        if cell == _UP and row == 0:
            cell = _DOWN  # row A: nothing above; its arrows lead down
        if cell == _DOWN and row == len(LETTERS) - 1:
            column += 1  # row R: nothing below; its next plan to the right
        else:
            row += 1 if cell == _DOWN else -1
        cell = table_2a(LETTERS[row], AQLS[column])
    accept, reject = cell
    n = SAMPLE_SIZES[row]
    return Plan(
        lot_size=lot_size,
        level=kind,
        aql=quality,
        code_letter=letter,
        plan_letter=LETTERS[row],
        sample_size=min(n, lot_size),
        accept=accept,
        reject=reject,
        hundred_percent=n >= lot_size,
    )


def decide(sampling_plan: Plan, nonconforming: int) -> Decision:
    """Accept when the count found is at most Ac; reject when it reaches Re."""
    if isinstance(nonconforming, bool) or not isinstance(nonconforming, int) or nonconforming < 0:
        raise invalid(
            "sampling.invalid_count",
            "the number of nonconforming items found must be a whole number, 0 or more",
        )
    if sampling_plan.aql <= MAX_PERCENT_AQL and nonconforming > sampling_plan.sample_size:
        raise invalid(
            "sampling.count_exceeds_sample",
            f"{nonconforming} nonconforming items found in a sample of {sampling_plan.sample_size}",
            nonconforming=nonconforming,
            sample_size=sampling_plan.sample_size,
        )
    return Decision.ACCEPT if nonconforming <= sampling_plan.accept else Decision.REJECT
