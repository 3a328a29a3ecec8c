"""Field types shared by the plant-definition models: codes, names, GS1 GTINs and TACs.

Strings are strict on purpose: YAML 1.1 turns `NO` into False and `14:00` into 840, and a
definition that silently changes meaning is worse than one that is refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, Strict, StringConstraints
from pydantic import BaseModel as _PydanticModel

# Upper-case codes for master data people type and scan (IOX-01, CG-STD, CS).
Code = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_.-]{0,39}$")]
# Lower-case identifiers for kinds (station types, skills): they read like words in code.
Slug = Annotated[str, Strict(), StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Name = Annotated[str, Strict(), StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, Strict(), StringConstraints(max_length=2000)]
ClockTime = Annotated[str, Strict(), StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
# ISO 3166-1 alpha-2, e.g. IN, LK, NP, BD.
Territory = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z]{2}$")]
PositiveSeconds = Annotated[float, Field(gt=0, description="seconds")]
Fraction = Annotated[float, Field(gt=0, le=1)]
ZoneCode = Literal["A", "B", "C"]
SamplingUnit = Literal["piece", "carrier", "batch", "shift"]
StationMode = Literal["piece", "batch"]
ProductKind = Literal["cover_glass", "handset"]
Severity = Literal["critical", "major", "minor"]
DefectCategory = Literal[
    "surface",
    "edge",
    "structure",
    "contamination",
    "dimension",
    "ink",
    "coating",
    "film",
    "assembly",
    "functional",
    "label",
]


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (weights 3,1,3,... from the right)."""
    digits = body[::-1]
    total = 3 * sum(map(int, digits[::2])) + sum(map(int, digits[1::2]))
    return (10 - total % 10) % 10


def _valid_gtin(value: str) -> str:
    if len(value) not in (8, 12, 13, 14) or not value.isdigit():
        raise ValueError("a GTIN is 8, 12, 13 or 14 digits")
    expected = gs1_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise ValueError(f"GTIN check digit should be {expected}")
    return value


def _valid_tac(value: str) -> str:
    # An IMEI is TAC (8) + serial (6) + Luhn; the TAC's first two digits name the reporting body.
    if len(value) != 8 or not value.isdigit():
        raise ValueError("a TAC is exactly 8 digits")
    return value


Gtin = Annotated[str, Strict(), AfterValidator(_valid_gtin)]
Tac = Annotated[str, Strict(), AfterValidator(_valid_tac)]


class DefinitionModel(_PydanticModel):
    """Base of every definition model: unknown fields are errors and loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
