"""Holds: quarantine a unit, carrier, lot, bath, batch run, station or station time window,
or a selection of units that a rule chose (the pieces an SPC alarm's forward trace names).

A hold resolves, once and in SQL, the units it catches (``INSERT INTO hold_unit SELECT ...``) and
raises ``unit.hold_count`` for them in one UPDATE, so "may this unit proceed" stays a single read
of the unit row. Carriers, lots, baths and batch runs also carry a ``hold_count``; a station hold
with no window has no row to count on, and `station_on_hold` answers for it. Only the quality
role releases a hold; placing and releasing are both audited. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, false, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.auth.permissions import Role
from forgeline.db.base import utcnow
from forgeline.errors import conflict, forbidden, invalid, not_found
from forgeline.plant.service import station_codes
from forgeline.production.tables import (
    BatchRun,
    Bath,
    Carrier,
    Hold,
    HoldUnit,
    LotUse,
    MaterialLot,
    OperationRecord,
    Unit,
)

MAX_REASON = 2000


class HoldTarget(StrEnum):
    UNIT = "unit"
    CARRIER = "carrier"
    LOT = "lot"
    BATH = "bath"
    BATCH = "batch"
    STATION = "station"
    # Units chosen by the code that places the hold (quality's automatic SPC holds); not a
    # target people or stations name, so `place_hold` refuses it.
    SELECTION = "selection"


# Targets that may be narrowed to a time window: the units processed there in the window.
WINDOWED = frozenset({HoldTarget.BATH, HoldTarget.STATION})
# Targets with a row of their own whose hold_count the hold raises.
COUNTED: dict[HoldTarget, type[Carrier] | type[MaterialLot] | type[Bath] | type[BatchRun]] = {
    HoldTarget.CARRIER: Carrier,
    HoldTarget.LOT: MaterialLot,
    HoldTarget.BATH: Bath,
    HoldTarget.BATCH: BatchRun,
}


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end)."""

    start: datetime
    end: datetime


def _window(start: datetime | None, end: datetime | None) -> Window | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid("hold.window_incomplete", "give both window_start and window_end, or neither")
    if start.tzinfo is None or end.tzinfo is None:
        raise invalid("hold.window_naive", "window times need a time zone (UTC offset)")
    if end <= start:
        raise invalid(
            "hold.window_invalid",
            "window_end must be after window_start",
            window_start=start.isoformat(),
            window_end=end.isoformat(),
        )
    return Window(start, end)


def _target_type(value: str) -> HoldTarget:
    try:
        return HoldTarget(value)
    except ValueError:
        raise invalid(
            "hold.unknown_target_type",
            f"cannot hold a {value!r}",
            allowed=[t.value for t in HoldTarget],
        ) from None


def _not_found(target_type: HoldTarget, target: str) -> Exception:
    return not_found(
        "hold.target_not_found",
        f"no {target_type.value} {target!r}",
        target_type=target_type.value,
        target=target,
    )


def _target_id(session: Session, target_type: HoldTarget, target: str) -> int | None:
    """The row id of the target; None for a station (it has no production row)."""
    if target_type is HoldTarget.STATION:
        if target not in station_codes(session):
            raise _not_found(target_type, target)
        return None
    model: Any = Unit if target_type is HoldTarget.UNIT else COUNTED[target_type]
    key = model.uid if target_type is HoldTarget.UNIT else model.code
    found = session.scalar(select(model.id).where(key == target))
    if found is None:
        raise _not_found(target_type, target)
    return int(found)


def _overlaps(start: Any, end: Any, window: Window) -> Any:
    """Rows whose [start, end) overlaps the window; a row still open (end NULL) overlaps it."""
    return and_(start < window.end, or_(end.is_(None), end > window.start))


def _lot_units(lot_id: int) -> Select[int]:
    """Units of the lot (made from it, or that consumed it) and every unit split from them."""
    direct = select(Unit.id.label("id")).where(
        or_(
            Unit.lot_id == lot_id,
            Unit.id.in_(select(LotUse.unit_id).where(LotUse.lot_id == lot_id)),
        )
    )
    tree = direct.cte("lot_tree", recursive=True)
    children = select(Unit.id.label("id")).join(tree, Unit.parent_id == tree.c.id)
    tree = tree.union(children)
    return select(tree.c.id)


def affected_units(
    target_type: HoldTarget, target_id: int | None, target: str, window: Window | None
) -> Select[int]:
    """The ids of the units a hold catches, as one SELECT (possibly with duplicates)."""
    record = OperationRecord
    if target_type is HoldTarget.UNIT:
        return select(literal(target_id).label("id"))
    if target_type is HoldTarget.CARRIER:
        return select(Unit.id).where(Unit.carrier_id == target_id)
    if target_type is HoldTarget.LOT:
        assert target_id is not None
        return _lot_units(target_id)
    if target_type is HoldTarget.BATCH:
        return select(record.unit_id).where(record.batch_run_id == target_id)
    if target_type is HoldTarget.BATH:
        runs = select(BatchRun.id).where(BatchRun.bath_id == target_id)
        if window is not None:
            runs = runs.where(_overlaps(BatchRun.started_at, BatchRun.ended_at, window))
        return select(record.unit_id).where(record.batch_run_id.in_(runs))
    # A station with no window stops the station; it catches no units by itself.
    if window is None:
        return select(record.unit_id).where(false())
    return select(record.unit_id).where(
        record.station_code == target,
        _overlaps(record.track_in_at, record.track_out_at, window),
    )


def place_hold(
    session: Session,
    *,
    target_type: str,
    target: str,
    reason: str,
    actor: str,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
) -> Hold:
    """Place a hold and catch its units. Refusals: see the module's error codes."""
    kind = _target_type(target_type)
    reason = reason.strip()
    if not reason:
        raise invalid("hold.reason_required", "say why the hold is placed")
    if len(reason) > MAX_REASON:
        raise invalid("hold.reason_too_long", f"the reason is over {MAX_REASON} characters")
    window = _window(window_start, window_end)
    if window is not None and kind not in WINDOWED:
        raise invalid(
            "hold.window_not_supported",
            f"a hold on a {kind.value} takes no time window",
            allowed=sorted(t.value for t in WINDOWED),
        )
    if kind is HoldTarget.SELECTION:
        raise invalid(
            "hold.selection_not_placeable",
            "a selection hold is placed by the rule that selects its units, not by hand",
            allowed=sorted(t.value for t in HoldTarget if t is not HoldTarget.SELECTION),
        )
    target_id = _target_id(session, kind, target)
    units = affected_units(kind, target_id, target, window)
    return _record(session, kind, target, target_id, window, reason, actor, units)


def place_selection_hold(
    session: Session, *, label: str, units: Select[Any], reason: str, actor: str
) -> Hold:
    """Hold the units `units` selects (one id column), under `label` (e.g. "SPC alarm 12")."""
    reason = reason.strip()
    if not reason:
        raise invalid("hold.reason_required", "say why the hold is placed")
    return _record(
        session, HoldTarget.SELECTION, label, None, None, reason[:MAX_REASON], actor, units
    )


def _record(
    session: Session,
    kind: HoldTarget,
    target: str,
    target_id: int | None,
    window: Window | None,
    reason: str,
    actor: str,
    units: Select[Any],
) -> Hold:
    """Store the hold, catch its units and raise their (and the target's) hold counts."""
    hold = Hold(
        target_type=kind.value,
        target_code=target,
        window_start=window.start if window else None,
        window_end=window.end if window else None,
        reason=reason,
        placed_by=actor,
        placed_at=utcnow(),
    )
    session.add(hold)
    session.flush()
    caught_ids = units.subquery()
    session.execute(
        insert(HoldUnit).from_select(
            ["hold_id", "unit_id"], select(literal(hold.id), caught_ids.c[0]).distinct()
        )
    )
    caught = _adjust_unit_counts(session, hold.id, +1)
    if kind in COUNTED:
        _adjust_target_count(session, kind, target_id, +1)
    append(
        session,
        actor=actor,
        action="hold.placed",
        object_type="hold",
        object_id=str(hold.id),
        after={**hold_summary(hold), "units": caught},
    )
    return hold


def _adjust_unit_counts(session: Session, hold_id: int, delta: int) -> int:
    """Move hold_count of every unit the hold caught by `delta` in one UPDATE; how many."""
    caught = select(HoldUnit.unit_id).where(HoldUnit.hold_id == hold_id)
    result = session.execute(
        update(Unit)
        .where(Unit.id.in_(caught))
        .values(hold_count=Unit.hold_count + delta)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _adjust_target_count(
    session: Session, kind: HoldTarget, target_id: int | None, delta: int
) -> None:
    model = COUNTED[kind]
    session.execute(
        update(model)
        .where(model.id == target_id)
        .values(hold_count=model.hold_count + delta)
        .execution_options(synchronize_session="fetch")
    )


def release_hold(
    session: Session, hold_id: int, *, actor: str, note: str, roles: frozenset[Role] | set[Role]
) -> Hold:
    """Release a hold (quality role only): its units and target count it no longer."""
    if Role.QUALITY not in roles:
        raise forbidden("hold.release_forbidden", "only the quality role may release a hold")
    note = note.strip()
    if not note:
        raise invalid("hold.note_required", "say why the hold is released")
    hold = get_hold(session, hold_id, lock=True)
    if hold.released_at is not None:
        raise conflict(
            "hold.already_released",
            f"hold {hold_id} was released by {hold.released_by}",
            hold_id=hold_id,
            released_at=hold.released_at.isoformat(),
        )
    before = hold_summary(hold)
    hold.released_by, hold.released_at, hold.release_note = actor, utcnow(), note
    session.flush()
    freed = _adjust_unit_counts(session, hold.id, -1)
    kind = HoldTarget(hold.target_type)
    if kind in COUNTED:
        target_id = _target_id(session, kind, hold.target_code)
        _adjust_target_count(session, kind, target_id, -1)
    append(
        session,
        actor=actor,
        action="hold.released",
        object_type="hold",
        object_id=str(hold.id),
        before=before,
        after={**hold_summary(hold), "units": freed},
    )
    return hold


def get_hold(session: Session, hold_id: int, *, lock: bool = False) -> Hold:
    """One hold; `lock` takes a row lock so two releases cannot both pass the check."""
    query = select(Hold).where(Hold.id == hold_id)
    if lock:
        query = query.with_for_update()
    hold = session.scalars(query).first()
    if hold is None:
        raise not_found("hold.not_found", f"no hold {hold_id}", hold_id=hold_id)
    return hold


def hold_summary(hold: Hold) -> dict[str, object]:
    return {
        "target_type": hold.target_type,
        "target": hold.target_code,
        "window_start": hold.window_start,
        "window_end": hold.window_end,
        "reason": hold.reason,
        "placed_by": hold.placed_by,
        "released_by": hold.released_by,
        "release_note": hold.release_note,
    }


def active_holds(
    session: Session,
    *,
    target_type: str | None = None,
    target: str | None = None,
    active: bool | None = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Hold, int]], int]:
    """Holds newest first, each with the number of units it caught; and the total count.

    `active` True: unreleased only; False: released only; None: both.
    """
    query = select(Hold)
    if target_type is not None:
        query = query.where(Hold.target_type == _target_type(target_type).value)
    if target is not None:
        query = query.where(Hold.target_code == target)
    if active is not None:
        query = query.where(Hold.released_at.is_(None) if active else Hold.released_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    holds = list(session.scalars(query.order_by(Hold.id.desc()).limit(limit).offset(offset)))
    # .all(): a Result has keys(), so dict() would take it for a mapping.
    counts = dict(
        session.execute(
            select(HoldUnit.hold_id, func.count())
            .where(HoldUnit.hold_id.in_([h.id for h in holds]))
            .group_by(HoldUnit.hold_id)
        ).all()
    )
    return [(h, int(counts.get(h.id, 0))) for h in holds], int(total)


def held_unit_count(session: Session, hold_id: int) -> int:
    return int(session.scalar(select(func.count()).where(HoldUnit.hold_id == hold_id)) or 0)


def units_on_hold(session: Session, hold_id: int, *, limit: int = 50, offset: int = 0) -> list[str]:
    """The uids of the units a hold caught, in uid order."""
    return list(
        session.scalars(
            select(Unit.uid)
            .join(HoldUnit, HoldUnit.unit_id == Unit.id)
            .where(HoldUnit.hold_id == hold_id)
            .order_by(Unit.uid)
            .limit(limit)
            .offset(offset)
        )
    )


def held_stations(session: Session, codes: Collection[str] | None = None) -> set[str]:
    """Stations stopped by an unreleased hold without a window (all of them, or among `codes`).

    A window hold quarantines what was processed in the window; only a hold without one stops
    the station itself.
    """
    query = select(Hold.target_code).where(
        Hold.target_type == HoldTarget.STATION.value,
        Hold.window_start.is_(None),
        Hold.released_at.is_(None),
    )
    if codes is not None:
        query = query.where(Hold.target_code.in_(list(codes)))
    return set(session.scalars(query))


def station_on_hold(session: Session, station_code: str) -> bool:
    return bool(held_stations(session, [station_code]))
