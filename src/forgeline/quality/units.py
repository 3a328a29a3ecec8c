"""Looking up production units by identifier for quality records (NCRs, 8Ds, certificates)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.errors import invalid, not_found
from forgeline.production.tables import Unit

# An NCR, 8D or certificate names at most this many units (an ion-exchange basket is ~3,000).
MAX_UNITS = 10_000
_SHOWN = 20


def clean_uids(uids: Iterable[str]) -> list[str]:
    """The identifiers, stripped, blank ones dropped, duplicates removed, order kept."""
    seen: dict[str, None] = {}
    for uid in uids:
        text = uid.strip()
        if text:
            seen.setdefault(text, None)
    if len(seen) > MAX_UNITS:
        raise invalid(
            "quality.too_many_units",
            f"{len(seen)} units named; at most {MAX_UNITS} per record",
            max=MAX_UNITS,
        )
    return list(seen)


def unit_ids(session: Session, uids: Sequence[str]) -> dict[str, int]:
    """uid -> unit id for every identifier; refuses the lot if any names no unit."""
    wanted = clean_uids(uids)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        found.update(
            {
                uid: int(i)
                for uid, i in session.execute(select(Unit.uid, Unit.id).where(Unit.uid.in_(chunk)))
            }
        )
    missing = [uid for uid in wanted if uid not in found]
    if missing:
        raise not_found(
            "unit.unknown",
            f"{len(missing)} identifier(s) name no unit: {', '.join(missing[:_SHOWN])}",
            missing=missing[:_SHOWN],
        )
    return {uid: found[uid] for uid in wanted}
