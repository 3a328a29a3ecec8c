"""Carriers: trays, racks and ion-exchange baskets that move many pieces at once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.errors import invalid, not_found
from forgeline.production.masterdata import checked_code, insert_unique
from forgeline.production.tables import Carrier, Unit

CARRIER_KINDS = frozenset({"tray", "rack", "basket"})


def register_carrier(
    session: Session, *, code: str, kind: str, capacity: int, actor: str
) -> Carrier:
    """Register a tray, rack or basket."""
    checked_code(code, "carrier")
    if kind not in CARRIER_KINDS:
        raise invalid(
            "carrier.kind_invalid", f"unknown carrier kind {kind!r}", allowed=sorted(CARRIER_KINDS)
        )
    if capacity <= 0:
        raise invalid("carrier.capacity_invalid", "capacity must be positive", capacity=capacity)
    carrier = Carrier(code=code, kind=kind, capacity=capacity, hold_count=0)
    insert_unique(
        session, carrier, "carrier.duplicate", f"carrier {code} exists already", carrier=code
    )
    append(
        session,
        actor=actor,
        action="carrier.registered",
        object_type="carrier",
        object_id=code,
        after={"kind": kind, "capacity": capacity},
    )
    return carrier


def get_carrier(session: Session, code: str) -> Carrier:
    carrier = session.scalars(select(Carrier).where(Carrier.code == code)).first()
    if carrier is None:
        raise not_found("carrier.not_found", f"no carrier {code!r}", carrier=code)
    return carrier


def carrier_loads(session: Session, carrier_ids: list[int]) -> dict[int, int]:
    """How many units each carrier holds now."""
    if not carrier_ids:
        return {}
    rows = session.execute(
        select(Unit.carrier_id, func.count())
        .where(Unit.carrier_id.in_(carrier_ids))
        .group_by(Unit.carrier_id)
    )
    return {int(cid): int(n) for cid, n in rows if cid is not None}


def list_carriers(
    session: Session, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Carrier], int]:
    query = select(Carrier)
    if kind is not None:
        query = query.where(Carrier.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Carrier.code).limit(limit).offset(offset))
    return list(rows), int(total)
