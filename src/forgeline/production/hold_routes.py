"""The hold API: place a hold, release it (quality only), list holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from forgeline.api.deps import SessionDep
from forgeline.api.pagination import Page, PageDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.production import holds
from forgeline.production.schemas import HoldCreate, HoldOut, HoldRelease
from forgeline.production.tables import Hold

router = APIRouter(prefix="/holds", tags=["holds"])
Reader = Annotated[Principal, Depends(require("production.read"))]
Placer = Annotated[Principal, Depends(require("hold.place"))]
Releaser = Annotated[Principal, Depends(require("hold.release"))]


def hold_out(hold: Hold, units: int) -> HoldOut:
    return HoldOut(
        id=hold.id,
        target_type=hold.target_type,
        target=hold.target_code,
        window_start=hold.window_start,
        window_end=hold.window_end,
        reason=hold.reason,
        placed_by=hold.placed_by,
        placed_at=hold.placed_at,
        released_by=hold.released_by,
        released_at=hold.released_at,
        release_note=hold.release_note,
        units=units,
    )


@router.post("", response_model=HoldOut, status_code=201)
def place_hold(body: HoldCreate, session: SessionDep, principal: Placer) -> HoldOut:
    """Hold a unit, carrier, lot, bath, batch run or station (optionally a time window)."""
    hold = holds.place_hold(session, **body.model_dump(), actor=principal.actor)
    return hold_out(hold, holds.held_unit_count(session, hold.id))


@router.post("/{hold_id}/release", response_model=HoldOut)
def release_hold(
    hold_id: int, body: HoldRelease, session: SessionDep, principal: Releaser
) -> HoldOut:
    """Release a hold: the quality role only, with a note saying why."""
    hold = holds.release_hold(
        session, hold_id, actor=principal.actor, note=body.note, roles=principal.roles
    )
    return hold_out(hold, holds.held_unit_count(session, hold.id))


@router.get("", response_model=Page[HoldOut])
def list_holds(
    session: SessionDep,
    page: PageDep,
    _p: Reader,
    active: Annotated[bool | None, Query(description="true: in force; false: released")] = True,
    target_type: str | None = None,
    target: str | None = None,
) -> Page[HoldOut]:
    """Holds newest first; by default only those in force."""
    rows, total = holds.active_holds(
        session,
        target_type=target_type,
        target=target,
        active=active,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[HoldOut](
        items=[hold_out(h, n) for h, n in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/{hold_id}", response_model=HoldOut)
def get_hold(hold_id: int, session: SessionDep, _p: Reader) -> HoldOut:
    hold = holds.get_hold(session, hold_id)
    return hold_out(hold, holds.held_unit_count(session, hold.id))
