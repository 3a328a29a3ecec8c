"""IMEI arithmetic: Luhn check digit, TAC ranges and the allocation of consecutive serials.

An IMEI is 15 digits: the TAC (8 digits: a 2-digit reporting body and a 6-digit model id), a
6-digit serial within the TAC, and a Luhn check digit over the first 14. One TAC therefore holds
1,000,000 IMEIs. This module is pure: the ledger (`ledger.py`) keeps the counters and the rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from forgeline.errors import conflict, invalid

TAC_SIZE = 1_000_000
WARN_FRACTION = 0.90  # a range at or above 90 % used warns
CRITICAL_FRACTION = 0.99
_TAC = re.compile(r"^[0-9]{8}$")
_IMEI = re.compile(r"^[0-9]{15}$")


def luhn_check_digit(body: str) -> int:
    """The Luhn digit that makes ``body + digit`` pass: every second digit from the right of
    the full number (so every first from the right of the body) is doubled."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = ord(char) - 48
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def make_imei(tac: str, serial: int) -> str:
    """The IMEI of serial number `serial` (0..999,999) in `tac`, check digit included."""
    if not _TAC.match(tac):
        raise invalid("imei.invalid_tac", f"a TAC is 8 digits, not {tac!r}", tac=tac)
    if not 0 <= serial < TAC_SIZE:
        raise invalid("imei.serial_out_of_range", f"serial {serial} outside 0..999999")
    body = f"{tac}{serial:06d}"
    return body + str(luhn_check_digit(body))


@dataclass(frozen=True, slots=True)
class ParsedImei:
    imei: str
    tac: str
    serial: int


def parse_imei(number: str) -> ParsedImei:
    """Check the shape and check digit of an IMEI; raises a coded refusal naming the fault."""
    text = number.strip()
    if not _IMEI.match(text):
        raise invalid("imei.malformed", f"an IMEI is 15 digits, not {number!r}", imei=number)
    if luhn_check_digit(text[:14]) != int(text[14]):
        raise invalid(
            "imei.bad_check_digit",
            f"IMEI {text} fails its Luhn check digit (expected {luhn_check_digit(text[:14])})",
            imei=text,
        )
    if text[:14] == "0" * 14:
        raise invalid("imei.null", "the all-zero IMEI is never valid", imei=text)
    return ParsedImei(text, text[:8], int(text[8:14]))


@dataclass(frozen=True, slots=True)
class RangeState:
    """One TAC's counter: serials below `next_serial` have been handed out (or skipped)."""

    tac: str
    next_serial: int

    @property
    def remaining(self) -> int:
        return TAC_SIZE - self.next_serial

    @property
    def used_fraction(self) -> float:
        return self.next_serial / TAC_SIZE

    @property
    def level(self) -> str:
        """ "ok", "low" (>= 90 % used), "critical" (>= 99 %) or "exhausted"."""
        if self.remaining == 0:
            return "exhausted"
        if self.used_fraction >= CRITICAL_FRACTION:
            return "critical"
        if self.used_fraction >= WARN_FRACTION:
            return "low"
        return "ok"


@dataclass(frozen=True, slots=True)
class Block:
    """Consecutive serials taken from one TAC for `devices` devices of `per_device` IMEIs."""

    tac: str
    first_serial: int
    devices: int
    per_device: int

    @property
    def end_serial(self) -> int:
        return self.first_serial + self.devices * self.per_device

    def imeis(self) -> list[tuple[str, ...]]:
        """Each device's IMEIs (one, or a consecutive pair), in allocation order."""
        step = self.per_device
        return [
            tuple(make_imei(self.tac, self.first_serial + d * step + i) for i in range(step))
            for d in range(self.devices)
        ]


def plan_blocks(ranges: Sequence[RangeState], devices: int, per_device: int) -> list[Block]:
    """Take serials for `devices` devices from the model's TACs in order.

    A device's IMEIs never straddle two TACs: when a TAC has fewer serials left than one device
    needs, the remainder is skipped (it stays unissued forever) and the next TAC is used.
    Raises ``imei.range_exhausted`` when the TACs together cannot serve every device; the
    caller then takes nothing.
    """
    if per_device not in (1, 2):
        raise ValueError("a handset carries one or two IMEIs")
    blocks: list[Block] = []
    wanted = devices
    for state in ranges:
        if wanted == 0:
            break
        fits = min(state.remaining // per_device, wanted)
        if fits > 0:
            blocks.append(Block(state.tac, state.next_serial, fits, per_device))
            wanted -= fits
    if wanted:
        available = sum(r.remaining // per_device for r in ranges)
        raise conflict(
            "imei.range_exhausted",
            f"the TAC ranges have room for {available} more device(s), {devices} asked",
            tacs=[r.tac for r in ranges],
            available=available,
            asked=devices,
        )
    return blocks
