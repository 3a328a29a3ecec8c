"""GS1 identifiers: the (01) GTIN + (21) serial laser-marked on each glass piece, and SSCCs.

Pure. A piece's identity arrives in two forms: the human-readable element string people type or
print, "(01)08901234500019(21)ABC123", and the data a 2D scanner sends, "0108901234500019" +
"21ABC123" with GS (ASCII 29, the FNC1 separator) ending a variable-length value and an optional
symbology identifier such as "]d2" in front. Both parse to the same `Gs1Id`, whose
`element_string` is the canonical uid.

Decisions:
- In the bracketed form "(" starts the next AI, so a "(" inside a serial (character set 82
  allows it) is written "\\(", as the GS1 Barcode Syntax Engine does; `element_string` escapes it.
- Only the AIs a caller asks for are accepted; anything else, or an AI twice, is refused rather
  than ignored, because a silently dropped AI (a lot, an expiry) is lost traceability.
- A GTIN-8, -12 or -13 is widened to the 14 digits that AI (01) always carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from forgeline.errors import invalid
from forgeline.plant.definition.types import gs1_check_digit

ERROR_CODE = "gs1.malformed"
GS = "\x1d"  # what a scanner sends for FNC1 between elements
AI_SSCC, AI_GTIN, AI_SERIAL = "00", "01", "21"
# Symbology identifiers (ISO/IEC 15424) of the GS1 symbols: DataMatrix, QR, GS1-128, DataBar.
SYMBOLOGY_IDS = ("]d2", "]Q3", "]C1", "]e0")
GTIN_LENGTHS = (8, 12, 13, 14)
SERIAL_MAX = 20

_FIXED = {AI_SSCC: 18, AI_GTIN: 14}  # predefined length: no separator needed after them
_VARIABLE = {AI_SERIAL: SERIAL_MAX}  # ends at GS or at the end of the data
_NAMES = {AI_SSCC: "SSCC", AI_GTIN: "GTIN", AI_SERIAL: "serial"}
# GS1 AI encodable character set 82 (General Specifications, figure 7.11-1).
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")
_ESCAPED_PAREN = "\\("
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts "٣" and "²"
# The form nearly every ingest event carries: a GTIN-14 and a serial of ASCII letters and digits.
# It is checked without the general parser, which costs ten times more; anything else, or a
# wrong check digit, goes through the general parser, which alone says what is wrong.
_PLAIN_ID = re.compile(r"\(01\)([0-9]{14})\(21\)([0-9A-Za-z]{1,20})")


def _malformed(message: str, **details: object) -> NoReturn:
    raise invalid(ERROR_CODE, message, **details)


def gtin_check_digit(body: str) -> int:
    """The mod-10 check digit for a GTIN or SSCC without its last digit (up to 17 digits)."""
    if not 1 <= len(body) <= 17 or not _DIGITS.fullmatch(body):
        _malformed(f"{body!r} is not 1 to 17 digits; no check digit can be computed", value=body)
    return gs1_check_digit(body)


def is_valid_gtin(code: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 with the right check digit."""
    return (
        len(code) in GTIN_LENGTHS
        and _DIGITS.fullmatch(code) is not None
        and gs1_check_digit(code[:-1]) == int(code[-1])
    )


def to_gtin14(code: str) -> str:
    """A valid GTIN of any length as the 14 digits of AI (01): "8901234500019" -> "0890..."."""
    if len(code) not in GTIN_LENGTHS or not _DIGITS.fullmatch(code):
        _malformed(f"GTIN {code!r} must be 8, 12, 13 or 14 digits", gtin=code)
    expected = gs1_check_digit(code[:-1])
    if int(code[-1]) != expected:
        _malformed(f"GTIN {code} has a wrong check digit; it should end in {expected}", gtin=code)
    return code.zfill(14)


def check_serial(serial: str) -> str:
    """A serial (AI 21): 1 to 20 characters of GS1 character set 82."""
    if not 1 <= len(serial) <= SERIAL_MAX:
        _malformed(f"serial {serial!r} must be 1 to {SERIAL_MAX} characters", serial=serial)
    if not _CSET82.fullmatch(serial):
        bad = sorted({c for c in serial if not _CSET82.fullmatch(c)})
        _malformed(
            f"serial {serial!r} has characters outside GS1 character set 82: {bad}; allowed are "
            "A-Z a-z 0-9 and !\"%&'()*+,-./:;<=>?_",
            serial=serial,
        )
    return serial


@dataclass(frozen=True, slots=True)
class Gs1Id:
    """A serialised trade item: GTIN-14 plus serial. Construction validates and normalises."""

    gtin: str
    serial: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", to_gtin14(self.gtin))
        check_serial(self.serial)

    @property
    def element_string(self) -> str:
        """The canonical uid, "(01)08901234500019(21)ABC123"."""
        serial = self.serial.replace("(", _ESCAPED_PAREN)
        return f"({AI_GTIN}){self.gtin}({AI_SERIAL}){serial}"

    @property
    def barcode_data(self) -> str:
        """What to encode after FNC1: fixed-length GTIN first, so no separator is needed."""
        return f"{AI_GTIN}{self.gtin}{AI_SERIAL}{self.serial}"

    def __str__(self) -> str:
        return self.element_string


def parse_gs1_id(text: str) -> Gs1Id:
    """A glass piece's ID from an element string, bracketed or as a scanner sends it."""
    plain = _PLAIN_ID.fullmatch(text)
    if plain is not None:
        gtin, serial = plain.groups()
        if gs1_check_digit(gtin[:13]) == ord(gtin[13]) - 48:
            # Both values are valid by the match and the check digit: no need to check again.
            found = object.__new__(Gs1Id)
            object.__setattr__(found, "gtin", gtin)
            object.__setattr__(found, "serial", serial)
            return found
    elements = parse_element_string(text, allowed=(AI_GTIN, AI_SERIAL))
    missing = [f"({ai}) {_NAMES[ai]}" for ai in (AI_GTIN, AI_SERIAL) if ai not in elements]
    if missing:
        _malformed(f"{text!r} lacks {' and '.join(missing)}", value=text)
    return Gs1Id(elements[AI_GTIN], elements[AI_SERIAL])


def is_valid_sscc(code: str) -> bool:
    """True for 18 digits with the right check digit."""
    return (
        len(code) == 18
        and _DIGITS.fullmatch(code) is not None
        and gs1_check_digit(code[:-1]) == int(code[-1])
    )


def make_sscc(extension: int, company_prefix: str, serial_reference: int) -> str:
    """An SSCC: extension digit, GS1 company prefix, serial reference, check digit."""
    if not 0 <= extension <= 9:
        _malformed(f"SSCC extension digit {extension} must be 0 to 9", extension=extension)
    if not 4 <= len(company_prefix) <= 12 or not _DIGITS.fullmatch(company_prefix):
        _malformed(f"company prefix {company_prefix!r} must be 4 to 12 digits")
    room = 16 - len(company_prefix)
    if not 0 <= serial_reference < 10**room:
        _malformed(
            f"serial reference {serial_reference} must have at most {room} digits with "
            f"company prefix {company_prefix}",
            serial_reference=serial_reference,
        )
    body = f"{extension}{company_prefix}{serial_reference:0{room}d}"
    return body + str(gs1_check_digit(body))


def format_sscc(sscc: str) -> str:
    """The element string of an SSCC, "(00)106141411234567897"."""
    return f"({AI_SSCC}){_checked_sscc(sscc)}"


def parse_sscc(text: str) -> str:
    """The 18 digits from "(00)...", from scanner data "00..." or from the bare digits."""
    stripped = text.strip(" \r\n\t")
    if len(stripped) == 18 and _DIGITS.fullmatch(stripped):
        return _checked_sscc(stripped)
    elements = parse_element_string(text, allowed=(AI_SSCC,))
    if AI_SSCC not in elements:
        _malformed(f"{text!r} lacks (00) SSCC", value=text)
    return elements[AI_SSCC]


def parse_element_string(text: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """The AI -> value pairs of a bracketed or scanner element string, each value validated."""
    data = text.strip(" \r\n\t")
    if data.startswith("]"):
        if data[:3] not in SYMBOLOGY_IDS:
            _malformed(
                f"symbology identifier {data[:3]!r} is not a GS1 one ({', '.join(SYMBOLOGY_IDS)})",
                value=text,
            )
        data = data[3:]
    if not data:
        _malformed("the element string is empty", value=text)
    pairs = _bracketed(data, allowed) if data.startswith("(") else _scanned(data, allowed)
    elements: dict[str, str] = {}
    for ai, value in pairs:
        if ai in elements:
            _malformed(f"AI ({ai}) appears twice in {text!r}", value=text, ai=ai)
        elements[ai] = _checked_value(ai, value)
    return elements


def _bracketed(data: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(data):
        close = data.find(")", i)
        ai = data[i + 1 : close] if data[i] == "(" and close > 0 else ""
        if not _DIGITS.fullmatch(ai) or not 2 <= len(ai) <= 4:
            _malformed(f"expected an AI in brackets at position {i} of {data!r}", value=data)
        _check_allowed(ai, allowed)
        value: list[str] = []
        i = close + 1
        while i < len(data) and data[i] != "(":
            escaped = data.startswith(_ESCAPED_PAREN, i)
            value.append("(" if escaped else data[i])
            i += 2 if escaped else 1
        pairs.append((ai, "".join(value)))
    return pairs


def _scanned(data: str, allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    i = 1 if data.startswith(GS) else 0  # some readers send the leading FNC1 as GS too
    while i < len(data):
        ai = data[i : i + 2]
        if ai not in _FIXED and ai not in _VARIABLE:
            names = " or ".join(f"({a}) {_NAMES[a]}" for a in allowed)
            _malformed(
                f"unexpected data {data[i : i + 10]!r} at position {i}; expected {names}",
                value=data,
            )
        _check_allowed(ai, allowed)
        if ai in _FIXED:
            end = i + 2 + _FIXED[ai]
            after = end + 1 if data.startswith(GS, end) else end  # a needless GS is harmless
        else:
            found = data.find(GS, i + 2)
            end = len(data) if found < 0 else found
            after = end + 1
        pairs.append((ai, data[i + 2 : end]))
        i = after
    return pairs


def _check_allowed(ai: str, allowed: tuple[str, ...]) -> None:
    if ai not in allowed:
        names = ", ".join(f"({a}) {_NAMES[a]}" for a in allowed)
        _malformed(f"AI ({ai}) is not allowed here; only {names}", ai=ai)


def _checked_value(ai: str, value: str) -> str:
    if ai == AI_SERIAL:
        return check_serial(value)
    length = _FIXED[ai]
    if len(value) != length or not _DIGITS.fullmatch(value):
        _malformed(f"AI ({ai}) {_NAMES[ai]} must be {length} digits, not {value!r}", ai=ai)
    if ai == AI_GTIN:
        return to_gtin14(value)
    return _checked_sscc(value)


def _checked_sscc(sscc: str) -> str:
    if not is_valid_sscc(sscc):
        _malformed(f"SSCC {sscc!r} must be 18 digits with a valid check digit", sscc=sscc)
    return sscc
