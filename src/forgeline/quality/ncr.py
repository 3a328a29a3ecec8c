"""Nonconformance records: open, contain, disposition (material review), close. Never commits.

An NCR names the units it concerns. Containment is a production hold on exactly those units
(one selection hold per NCR, `production.holds`), so a suspect piece cannot move on while
material review decides. The disposition acts on production through its hold service:

- use as is, rework: the NCR's containment hold is released (rework is then done at the station:
  production has no way to send a unit round a rework loop except a track-out there);
- scrap, return to supplier: the units are held (the containment hold, or one placed now) and
  the NCR never releases it. Production has no transition to mark a unit scrapped outside a
  track-out, so the unit's status is unchanged; `production_effect` says so on the record.

Every change is audited (`ncr.opened`, `ncr.updated`, `ncr.dispositioned`, `ncr.closed`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.auth.permissions import Role, is_allowed
from forgeline.db.base import utcnow
from forgeline.errors import conflict, forbidden, invalid, not_found
from forgeline.production import holds
from forgeline.production.tables import Hold, MaterialLot, Measurement, Unit
from forgeline.quality import spc_service
from forgeline.quality.tables import Ncr, NcrUnit
from forgeline.quality.units import unit_ids

MAX_TITLE = 200
MAX_TEXT = 10_000


class Source(StrEnum):
    MEASUREMENT = "measurement"  # an out-of-spec measurement
    ALARM = "alarm"  # an SPC alarm
    INSPECTION = "inspection"
    FIELD_RETURN = "field_return"
    MANUAL = "manual"


class Status(StrEnum):
    OPEN = "open"
    DISPOSITIONED = "dispositioned"
    CLOSED = "closed"


class Disposition(StrEnum):
    USE_AS_IS = "use_as_is"
    REWORK = "rework"
    SCRAP = "scrap"
    RETURN_TO_SUPPLIER = "return_to_supplier"


RELEASING = frozenset({Disposition.USE_AS_IS, Disposition.REWORK})
NOT_DONE = {
    Disposition.REWORK: (
        "production cannot send a unit to a rework operation outside a station track-out; "
        "the hold is released so the station can rework it"
    ),
    Disposition.SCRAP: (
        "production has no scrap transition outside a station track-out: unit status is "
        "unchanged, and the units stay on hold so they can never proceed"
    ),
    Disposition.RETURN_TO_SUPPLIER: (
        "returning material is a logistics step not yet available; the units stay on hold"
    ),
}


def _choice(enum: type[StrEnum], value: str, code: str, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise invalid(
            code, f"{value!r} is not a known {what}", allowed=[e.value for e in enum]
        ) from None


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise invalid(f"ncr.{field}_required", f"the {field.replace('_', ' ')} may not be empty")
    if len(text) > limit:
        raise invalid(f"ncr.{field}_too_long", f"the {field} is over {limit} characters")
    return text


def summary(ncr: Ncr) -> dict[str, Any]:
    """What the audit log records of an NCR."""
    return {
        "code": ncr.code,
        "source": ncr.source,
        "title": ncr.title,
        "status": ncr.status,
        "alarm_id": ncr.alarm_id,
        "measurement_id": ncr.measurement_id,
        "lot_id": ncr.lot_id,
        "disposition": ncr.disposition,
        "disposition_note": ncr.disposition_note,
        "production_effect": ncr.production_effect,
        "closure_note": ncr.closure_note,
    }


def open_ncr(
    session: Session,
    *,
    source: str,
    title: str,
    description: str,
    actor: str,
    roles: frozenset[Role] | set[Role],
    units: Sequence[str] = (),
    alarm_id: int | None = None,
    measurement_id: int | None = None,
    lot: str | None = None,
    contain: bool = False,
) -> Ncr:
    """Open an NCR; with `contain`, hold its units at once (needs a role that places holds)."""
    kind: Source = _choice(Source, source, "ncr.unknown_source", "NCR source")
    if kind is not Source.FIELD_RETURN and not roles & {Role.QUALITY, Role.OPERATOR}:
        raise forbidden(
            "ncr.source_forbidden",
            "support opens NCRs from field returns only; quality and inspection open the rest",
        )
    uids = list(units)
    if kind is Source.ALARM and alarm_id is None:
        raise invalid("ncr.alarm_required", "an NCR from an alarm names the alarm (alarm_id)")
    if alarm_id is not None:  # the pieces the alarm held are the nonconforming candidates
        uids = [*uids, *spc_service.alarm_unit_uids(session, alarm_id)]
    if kind is Source.MEASUREMENT:
        if measurement_id is None:
            raise invalid(
                "ncr.measurement_required", "an NCR from a measurement names it (measurement_id)"
            )
        uid = session.scalar(
            select(Unit.uid)
            .join(Measurement, Measurement.unit_id == Unit.id)
            .where(Measurement.id == measurement_id)
        )
        if uid is None:
            raise not_found(
                "ncr.measurement_not_found", f"no measurement {measurement_id}", id=measurement_id
            )
        uids = [uid, *uids]
    lot_id = _lot_id(session, lot)
    found = unit_ids(session, uids)
    if contain and not found:
        raise invalid("ncr.nothing_to_contain", "containment needs at least one unit")
    if contain and not is_allowed(roles, "hold.place"):
        raise forbidden("ncr.contain_forbidden", "your role may not place holds")
    ncr = Ncr(
        code=f"NCR-new-{secrets.token_hex(8)}",
        source=kind.value,
        title=_text(title, "title", MAX_TITLE),
        description=_text(description, "description", MAX_TEXT),
        alarm_id=alarm_id,
        measurement_id=measurement_id,
        lot_id=lot_id,
        status=Status.OPEN.value,
        opened_by=actor,
        opened_at=utcnow(),
    )
    session.add(ncr)
    session.flush()
    ncr.code = f"NCR-{ncr.id:06d}"
    _link_units(session, ncr.id, list(found.values()))
    held = _contain(session, ncr, actor) if contain else None
    append(
        session,
        actor=actor,
        action="ncr.opened",
        object_type="ncr",
        object_id=ncr.code,
        after={**summary(ncr), "units": len(found), "containment_hold": held},
    )
    return ncr


def _link_units(session: Session, ncr_id: int, units: list[int]) -> None:
    if units:
        session.execute(insert(NcrUnit), [{"ncr_id": ncr_id, "unit_id": i} for i in units])


def _lot_id(session: Session, lot: str | None) -> int | None:
    if lot is None or not lot.strip():
        return None
    found = session.scalar(select(MaterialLot.id).where(MaterialLot.code == lot.strip()))
    if found is None:
        raise not_found("lot.unknown", f"no material lot {lot!r}", lot=lot)
    return int(found)


def _uncontained(ncr_id: int) -> ColumnElement[bool]:
    """The NCR's units it does not hold now: never held by it, or its hold was released."""
    released = select(Hold.id).where(Hold.released_at.is_not(None))
    return and_(
        NcrUnit.ncr_id == ncr_id,
        or_(NcrUnit.hold_id.is_(None), NcrUnit.hold_id.in_(released)),
    )


def _contain(session: Session, ncr: Ncr, actor: str) -> int | None:
    """Hold the NCR's uncontained units in one selection hold; its id (None: nothing to hold)."""
    if not session.scalar(select(func.count()).where(_uncontained(ncr.id))):
        return None
    hold = holds.place_selection_hold(
        session,
        label=ncr.code,
        units=select(NcrUnit.unit_id).where(_uncontained(ncr.id)),
        reason=f"{ncr.code}: {ncr.title}",
        actor=actor,
    )
    session.execute(
        update(NcrUnit)
        .where(_uncontained(ncr.id))
        .values(hold_id=hold.id)
        .execution_options(synchronize_session=False)
    )
    return hold.id


def get_ncr(session: Session, code: str, *, lock: bool = False) -> Ncr:
    query = select(Ncr).where(Ncr.code == code)
    if lock:
        query = query.with_for_update()
    ncr = session.scalars(query).first()
    if ncr is None:
        raise not_found("ncr.not_found", f"no NCR {code!r}", ncr=code)
    return ncr


def list_ncrs(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Ncr, int]], int]:
    """NCRs newest first, each with its number of units; and the total count."""
    query = select(Ncr)
    if status:
        query = query.where(Ncr.status == _choice(Status, status, "ncr.unknown_status", "status"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(Ncr.id.desc()).limit(limit).offset(offset)))
    counts = dict(
        session.execute(
            select(NcrUnit.ncr_id, func.count())
            .where(NcrUnit.ncr_id.in_([n.id for n in rows]))
            .group_by(NcrUnit.ncr_id)
        ).all()
    )
    return [(n, int(counts.get(n.id, 0))) for n in rows], int(total)


def ncr_units(session: Session, ncr_id: int) -> list[dict[str, Any]]:
    """The NCR's units: uid, product, status, the NCR's hold on it and whether it is in force."""
    rows = session.execute(
        select(Unit.uid, Unit.product_code, Unit.status, NcrUnit.hold_id, Hold.released_at)
        .join(NcrUnit, NcrUnit.unit_id == Unit.id)
        .outerjoin(Hold, Hold.id == NcrUnit.hold_id)
        .where(NcrUnit.ncr_id == ncr_id)
        .order_by(Unit.uid)
    )
    return [
        {
            "uid": uid,
            "product_code": product,
            "status": status,
            "hold_id": hold_id,
            "held": hold_id is not None and released is None,
        }
        for uid, product, status, hold_id, released in rows
    ]


def update_ncr(
    session: Session,
    code: str,
    *,
    actor: str,
    title: str | None = None,
    description: str | None = None,
    add_units: Sequence[str] = (),
    contain: bool = False,
) -> Ncr:
    """Edit an open NCR: title, description, more units (contained too when asked)."""
    ncr = get_ncr(session, code, lock=True)
    if ncr.status != Status.OPEN:
        raise conflict(
            "ncr.not_open", f"{code} is {ncr.status}; only an open NCR can be edited", ncr=code
        )
    before = summary(ncr)
    if title is not None:
        ncr.title = _text(title, "title", MAX_TITLE)
    if description is not None:
        ncr.description = _text(description, "description", MAX_TEXT)
    found = unit_ids(session, add_units)
    known = set(session.scalars(select(NcrUnit.unit_id).where(NcrUnit.ncr_id == ncr.id)))
    new = [i for i in found.values() if i not in known]
    _link_units(session, ncr.id, new)
    held = _contain(session, ncr, actor) if contain and new else None
    append(
        session,
        actor=actor,
        action="ncr.updated",
        object_type="ncr",
        object_id=ncr.code,
        before=before,
        after={**summary(ncr), "units_added": len(new), "containment_hold": held},
    )
    return ncr


def disposition_ncr(
    session: Session,
    code: str,
    *,
    disposition: str,
    note: str,
    actor: str,
    roles: frozenset[Role] | set[Role],
) -> Ncr:
    """Material review's decision; acts on production's holds (see the module docstring)."""
    choice: Disposition = _choice(
        Disposition, disposition, "ncr.unknown_disposition", "disposition"
    )
    text = _text(note, "note", MAX_TEXT)
    ncr = get_ncr(session, code, lock=True)
    if ncr.status != Status.OPEN:
        raise conflict(
            "ncr.already_dispositioned",
            f"{code} is {ncr.status}; a disposition is decided once",
            ncr=code,
            disposition=ncr.disposition,
        )
    before = summary(ncr)
    active = _active_holds(session, ncr.id)
    effect: dict[str, Any] = {"holds_released": [], "holds_placed": [], "holds_kept": []}
    if choice in RELEASING:
        for hold_id in active:
            holds.release_hold(
                session, hold_id, actor=actor, note=f"{code} {choice.value}: {text}", roles=roles
            )
            effect["holds_released"].append(hold_id)
    else:
        effect["holds_kept"] = active
        placed = _contain(session, ncr, actor)
        if placed is not None:
            effect["holds_placed"].append(placed)
    if choice in NOT_DONE:
        effect["not_done"] = NOT_DONE[choice]
    ncr.status = Status.DISPOSITIONED.value
    ncr.disposition, ncr.disposition_note = choice.value, text
    ncr.dispositioned_by, ncr.dispositioned_at = actor, utcnow()
    ncr.production_effect = effect
    session.flush()
    append(
        session,
        actor=actor,
        action="ncr.dispositioned",
        object_type="ncr",
        object_id=ncr.code,
        before=before,
        after=summary(ncr),
    )
    return ncr


def _active_holds(session: Session, ncr_id: int) -> list[int]:
    return sorted(
        session.scalars(
            select(Hold.id)
            .where(
                Hold.id.in_(select(NcrUnit.hold_id).where(NcrUnit.ncr_id == ncr_id)),
                Hold.released_at.is_(None),
            )
            .distinct()
        )
    )


def close_ncr(session: Session, code: str, *, note: str, actor: str) -> Ncr:
    """Close a dispositioned NCR with a note (the disposition was carried out)."""
    text = _text(note, "note", MAX_TEXT)
    ncr = get_ncr(session, code, lock=True)
    if ncr.status != Status.DISPOSITIONED:
        raise conflict(
            "ncr.not_dispositioned",
            f"{code} is {ncr.status}; an NCR is closed after its disposition",
            ncr=code,
        )
    before = summary(ncr)
    ncr.status, ncr.closure_note = Status.CLOSED.value, text
    ncr.closed_by, ncr.closed_at = actor, utcnow()
    session.flush()
    append(
        session,
        actor=actor,
        action="ncr.closed",
        object_type="ncr",
        object_id=ncr.code,
        before=before,
        after=summary(ncr),
    )
    return ncr
