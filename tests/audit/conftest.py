"""Helpers for audit tests: fill a log with plausible entries."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forgeline.audit.log import append


def fill(session: Session, count: int, *, start: int = 1) -> None:
    """Append `count` entries that look like a day on the line (non-ASCII included)."""
    for n in range(start, start + count):
        append(
            session,
            actor=f"station:CNC-{n % 3:02d}",
            action="unit.track_in" if n % 2 else "unit.track_out",
            object_type="unit",
            object_id=f"CG-{n:06d}",
            before={"step": n - 1, "note": "Glas geschnitten ✓"},
            after={"step": n, "yield": 0.5 + n / 1000, "flags": ["a", None]},
        )
