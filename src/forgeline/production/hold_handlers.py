"""Hold and release events: placed through `forgeline.production.holds`, mirrored in memory.

A hold resolves its units in SQL, so the batch's buffered writes are flushed first (units started
earlier in the batch must be there to be caught); the placement runs in a savepoint, so a refused
hold writes nothing; then the batch's loaded rows take the new hold counts, and later events in
the same batch see the hold. Placing and releasing each append their own audit entry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from forgeline.production.events import HoldEvent, ReleaseEvent
from forgeline.production.holds import place_hold, release_hold, station_on_hold
from forgeline.production.ingest_state import BatchState, Coded
from forgeline.production.ingest_store import flush
from forgeline.production.tables import Hold, HoldUnit
from forgeline.production.unit_handlers import canonical_uid


def hold(state: BatchState, event: HoldEvent) -> dict[str, Any]:
    session = state.session
    flush(session, state)
    target = canonical_uid(event.target) if event.target_type == "unit" else event.target
    with session.begin_nested():
        placed = place_hold(
            session,
            target_type=event.target_type,
            target=target,
            reason=event.reason,
            actor=state.principal.actor,
        )
    caught = _mirror(state, placed, +1)
    return {"hold_id": placed.id, "units": caught}


def release(state: BatchState, event: ReleaseEvent) -> dict[str, Any]:
    session = state.session
    flush(session, state)
    with session.begin_nested():
        released = release_hold(
            session,
            event.hold_id,
            actor=state.principal.actor,
            note=event.note,
            roles=state.principal.roles,
        )
    freed = _mirror(state, released, -1)
    return {"hold_id": released.id, "units": freed}


def _mirror(state: BatchState, hold: Hold, delta: int) -> int:
    """Apply a placed (+1) or released (-1) hold to the rows this batch holds in memory."""
    unit_ids = list(
        state.session.scalars(select(HoldUnit.unit_id).where(HoldUnit.hold_id == hold.id))
    )
    for unit_id in unit_ids:
        unit = state.units_by_id.get(unit_id)
        if unit is not None:
            unit.hold_count += delta
            unit.state = replace(unit.state, held=unit.hold_count > 0)
    code, kind = hold.target_code, hold.target_type
    if kind == "carrier" and code in state.carriers:
        state.carriers[code].hold_count += delta
    elif kind == "batch" and code in state.batches:
        state.batches[code].hold_count += delta
    elif kind in ("lot", "bath"):
        rows: dict[str, Coded] = state.lots if kind == "lot" else state.baths
        if code in rows:
            rows[code] = replace(rows[code], hold_count=rows[code].hold_count + delta)
    elif kind == "station" and hold.window_start is None:
        if delta > 0:
            state.held_stations.add(code)
        elif not station_on_hold(state.session, code):
            state.held_stations.discard(code)
    return len(unit_ids)
