"""What the ingest engine asks of holds: may this station, unit, carrier or bath proceed.

Placing and releasing holds is `forgeline.production.holds`; these are the cheap checks on the
hot path (a unit's or carrier's hold_count is already on the row it loaded) and the one write
ingest needs: new units inherit the holds of the sheet or lot they came from.
"""

from __future__ import annotations

from sqlalchemy import exists, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from forgeline.errors import conflict
from forgeline.production.holds import HoldTarget
from forgeline.production.tables import BatchRun, Bath, Carrier, Hold, HoldUnit, MaterialLot, Unit


def station_on_hold(session: Session, station_code: str) -> bool:
    """True while an unreleased hold without a window stops the station."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Hold.target_type == HoldTarget.STATION.value,
                    Hold.target_code == station_code,
                    Hold.window_start.is_(None),
                    Hold.released_at.is_(None),
                )
            )
        )
    )


def ensure_may_process(
    session: Session,
    *,
    station_code: str,
    units: list[Unit] | tuple[Unit, ...] = (),
    carrier: Carrier | None = None,
    lot: MaterialLot | None = None,
    bath: Bath | None = None,
    batch: BatchRun | None = None,
) -> None:
    """Refuse processing when the station, a unit, the carrier, lot, bath or batch run is held.

    For the ingest engine: call it before a track-in or a batch start. Units are checked by
    their hold_count (already loaded rows: no query); the station costs one indexed EXISTS.
    """
    held = [u.uid for u in units if u.hold_count > 0]
    if held:
        raise conflict("unit.on_hold", f"{len(held)} unit(s) on hold", units=held[:100])
    rows = (("carrier", carrier), ("lot", lot), ("bath", bath), ("batch", batch))
    for code, row in rows:
        if row is not None and row.hold_count > 0:
            raise conflict(f"{code}.on_hold", f"{code} {row.code} is on hold", target=row.code)
    if station_on_hold(session, station_code):
        raise conflict(
            "station.on_hold", f"station {station_code} is on hold", station=station_code
        )


def inherit_holds(
    session: Session,
    unit_ids: list[int],
    *,
    from_unit_id: int | None = None,
    lot_code: str | None = None,
) -> int:
    """Put new units under the active holds of their parent unit and of their lot.

    For the ingest engine: a piece split from a held sheet, or a blank made from a held lot after
    the hold was placed, is as suspect as its source. Returns how many (hold, unit) pairs it added.
    """
    if not unit_ids or (from_unit_id is None and lot_code is None):
        return 0
    sources = []
    if from_unit_id is not None:
        sources.append(select(HoldUnit.hold_id).where(HoldUnit.unit_id == from_unit_id))
    if lot_code is not None:
        sources.append(
            select(Hold.id).where(
                Hold.target_type == HoldTarget.LOT.value, Hold.target_code == lot_code
            )
        )
    holds = select(Hold.id).where(
        Hold.released_at.is_(None), or_(*(Hold.id.in_(s) for s in sources))
    )
    pairs = (
        select(Hold.id, Unit.id)
        .select_from(Hold)
        .join(Unit, true())  # every active hold x every new unit, on purpose
        .where(Hold.id.in_(holds), Unit.id.in_(unit_ids))
        .where(~exists().where(HoldUnit.hold_id == Hold.id, HoldUnit.unit_id == Unit.id))
    )
    # RETURNING, not rowcount: drivers disagree on rowcount for INSERT ... SELECT.
    added = session.execute(
        insert(HoldUnit).from_select(["hold_id", "unit_id"], pairs).returning(HoldUnit.id)
    ).all()
    active = (
        select(func.count())
        .select_from(HoldUnit)
        .join(Hold, Hold.id == HoldUnit.hold_id)
        .where(HoldUnit.unit_id == Unit.id, Hold.released_at.is_(None))
        .scalar_subquery()
    )
    # Recounting (rather than adding) keeps hold_count exact whatever the unit held before.
    session.execute(
        update(Unit)
        .where(Unit.id.in_(unit_ids))
        .values(hold_count=active)
        .execution_options(synchronize_session="fetch")
    )
    return len(added)
