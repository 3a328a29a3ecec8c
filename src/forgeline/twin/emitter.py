"""Simulated activity as the events a real line sends (docs/production.md), in causal order.

Event ids and timestamps are functions of the run (seed, start) and a counter, so the same
scenario gives a byte-identical stream. A few things a line does are not events but service
calls (a bath analysis, a top-up, a replacement): they appear in the stream as `Action`s, in
order, and the driver performs them through the production service between event batches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    """A service call at a point of the stream: bath_analysis / bath_top_up / bath_replace."""

    kind: str
    at: datetime
    params: dict[str, Any]


Item = Event | Action


class EventStream:
    """Collects events and actions; `drain()` hands over what has accumulated."""

    def __init__(self, start: datetime, tag: str) -> None:
        self.base = start.timestamp()
        self._base_ms = round(self.base * 1000)
        self._days: dict[int, str] = {}
        digest = hashlib.sha256(f"forgeline-twin|{tag}".encode()).hexdigest()
        # A version-4-shaped UUID: 20 fixed hex digits from the run, 12 from the counter.
        self._prefix = f"{digest[:8]}-{digest[8:12]}-4{digest[12:15]}-8{digest[15:18]}-"
        self.count = 0
        self.items: list[Item] = []

    def at(self, t: float) -> str:
        """ISO 8601 in UTC to the millisecond, formatted by hand: the twin's hottest line."""
        ms = self._base_ms + int(t * 1000.0 + 0.5)
        day, rest = divmod(ms, 86_400_000)
        prefix = self._days.get(day)
        if prefix is None:
            date = datetime.fromtimestamp(day * 86_400, UTC).date()
            prefix = self._days[day] = f"{date.isoformat()}T"
        hours, rest = divmod(rest, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        seconds, millis = divmod(rest, 1000)
        return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}+00:00"

    def when(self, t: float) -> datetime:
        return datetime.fromtimestamp(round(self.base + t, 3), UTC)

    def emit(self, kind: str, t: float, fields: dict[str, Any]) -> None:
        self.count += 1
        fields["event_id"] = f"{self._prefix}{self.count:012x}"
        fields["type"] = kind
        fields["at"] = self.at(t)
        self.items.append(fields)

    def action(self, kind: str, t: float, **params: Any) -> None:
        self.items.append(Action(kind, self.when(t), params))

    def drain(self) -> list[Item]:
        items, self.items = self.items, []
        return items


class NullStream(EventStream):
    """Counts what would be sent and keeps nothing: simulation-only runs (capacity, bench)."""

    def emit(self, kind: str, t: float, fields: dict[str, Any]) -> None:
        self.count += 1

    def action(self, kind: str, t: float, **params: Any) -> None:
        return None
