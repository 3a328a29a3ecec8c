"""Licence entitlements: pools of units per model and territory, consumed once per device.

A device takes exactly one unit from a valid pool of its model and intended territory (earliest
expiry first). Pools are locked before they are read (``FOR UPDATE`` on PostgreSQL, the
boundary's ``BEGIN IMMEDIATE`` on SQLite) and the counter moves with a conditional UPDATE
(``consumed + k <= granted``, also a CHECK constraint), so a pool is never over-allocated;
`licence_consumption.unit_uid` is unique, so a device never takes two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, conflict, invalid
from forgeline.production.bulk import driver_values, insert_rows
from forgeline.security.handsets import HandsetModel, check_territory
from forgeline.security.tables import LicenceConsumption, LicencePool

Key = tuple[str, str]  # (model, territory)


@dataclass(frozen=True, slots=True)
class Demand:
    unit: str
    model: str
    territory: str

    @property
    def key(self) -> Key:
        return (self.model, self.territory)


@dataclass
class PoolSlot:
    id: int
    code: str
    free: int
    taken: int = 0


def grant_pool(
    session: Session,
    *,
    code: str,
    licensor: str,
    model: HandsetModel,
    territory: str,
    valid_from: date,
    valid_until: date,
    units: int,
    actor: str,
) -> LicencePool:
    """Record a licensor's grant of `units` for one model and territory in a window."""
    check_territory(model, territory)
    if valid_until < valid_from:
        raise invalid("licence.bad_window", f"the window ends ({valid_until}) before it starts")
    if units <= 0:
        raise invalid("licence.bad_units", "a pool grants at least one unit", units=units)
    if session.scalar(select(LicencePool.id).where(LicencePool.code == code)) is not None:
        raise conflict("licence.pool_exists", f"pool {code!r} already exists", pool=code)
    pool = LicencePool(
        code=code,
        licensor=licensor,
        model_code=model.code,
        territory=territory,
        valid_from=valid_from,
        valid_until=valid_until,
        granted=units,
        consumed=0,
    )
    session.add(pool)
    session.flush()
    append(
        session,
        actor=actor,
        action="licence.granted",
        object_type="licence_pool",
        object_id=code,
        after=pool_view(pool),
    )
    return pool


def pool_view(pool: LicencePool) -> dict[str, Any]:
    return {
        "code": pool.code,
        "licensor": pool.licensor,
        "model": pool.model_code,
        "territory": pool.territory,
        "valid_from": pool.valid_from.isoformat(),
        "valid_until": pool.valid_until.isoformat(),
        "granted": pool.granted,
        "consumed": pool.consumed,
        "remaining": pool.granted - pool.consumed,
    }


def consumed_by(session: Session, uids: Sequence[str]) -> dict[str, str]:
    """Units that already took a licence unit, and the pool's code."""
    rows = session.execute(
        select(LicenceConsumption.unit_uid, LicencePool.code)
        .join(LicencePool, LicencePool.id == LicenceConsumption.pool_id)
        .where(LicenceConsumption.unit_uid.in_(list(uids)))
    )
    return {row[0]: row[1] for row in rows}


def lock_pools(session: Session, keys: set[Key], today: date) -> dict[Key, list[PoolSlot]]:
    """The pools valid today for these (model, territory) keys, earliest expiry first, locked."""
    if not keys:
        return {}
    rows = session.execute(
        select(
            LicencePool.id,
            LicencePool.code,
            LicencePool.model_code,
            LicencePool.territory,
            LicencePool.granted - LicencePool.consumed,
        )
        .where(
            tuple_(LicencePool.model_code, LicencePool.territory).in_(sorted(keys)),
            LicencePool.valid_from <= today,
            LicencePool.valid_until >= today,
        )
        .order_by(LicencePool.id)
        .with_for_update()
    ).all()
    found: dict[Key, list[PoolSlot]] = {key: [] for key in keys}
    for pool_id, code, model, territory, free in rows:
        found[(model, territory)].append(PoolSlot(int(pool_id), code, int(free)))
    return found


def _no_unit_left(session: Session, key: Key, today: date) -> DomainError:
    model, territory = key
    windows = session.execute(
        select(
            func.count(), func.max(LicencePool.valid_until), func.min(LicencePool.valid_from)
        ).where(LicencePool.model_code == model, LicencePool.territory == territory)
    ).one()
    count, last_until, first_from = windows
    details = {"model": model, "territory": territory}
    if not count:
        return conflict("licence.no_pool", f"no licence pool for {model} in {territory}", **details)
    if last_until is not None and last_until < today:
        return conflict(
            "licence.pool_expired",
            f"every licence pool for {model} in {territory} expired (last {last_until})",
            **details,
        )
    if first_from is not None and first_from > today:
        return conflict(
            "licence.pool_not_yet_valid",
            f"the licence pools for {model} in {territory} start {first_from}",
            **details,
        )
    return conflict(
        "licence.pool_exhausted",
        f"the licence pools for {model} in {territory} have no unit left",
        **details,
    )


def assign(
    session: Session, demands: Sequence[Demand], pools: dict[Key, list[PoolSlot]], today: date
) -> tuple[dict[str, PoolSlot], dict[str, DomainError]]:
    """Which pool serves each demand, in order; demands no pool can serve are refused."""
    granted: dict[str, PoolSlot] = {}
    refused: dict[str, DomainError] = {}
    for demand in demands:
        slot = next((p for p in pools.get(demand.key, []) if p.free > p.taken), None)
        if slot is None:
            refused[demand.unit] = _no_unit_left(session, demand.key, today)
            continue
        slot.taken += 1
        granted[demand.unit] = slot
    return granted, refused


def record(
    session: Session, demands: Sequence[Demand], granted: dict[str, PoolSlot], now: datetime
) -> None:
    """Write what `assign` decided: each pool's counter once, one row per device."""
    slots = {id(s): s for s in granted.values()}.values()
    for slot in sorted(slots, key=lambda s: s.id):
        moved = session.execute(
            update(LicencePool)
            .where(
                LicencePool.id == slot.id,
                LicencePool.consumed + slot.taken <= LicencePool.granted,
            )
            .values(consumed=LicencePool.consumed + slot.taken)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise conflict("licence.pool_exhausted", f"pool {slot.code} has no unit left")
    at = driver_values(session).time(now)
    rows = [
        (granted[d.unit].id, d.unit, d.model, d.territory, at) for d in demands if d.unit in granted
    ]
    insert_rows(
        session, "licence_consumption",
        ("pool_id", "unit_uid", "model_code", "territory", "consumed_at"), rows,
    )  # fmt: skip


def consume(session: Session, model: HandsetModel, unit: str, territory: str, actor: str) -> str:
    """Take one licence unit for a device (or answer the pool it already took from)."""
    check_territory(model, territory)
    already = consumed_by(session, [unit])
    if unit in already:
        return already[unit]
    now = utcnow()
    demand = Demand(unit, model.code, territory)
    pools = lock_pools(session, {demand.key}, now.date())
    granted, refused = assign(session, [demand], pools, now.date())
    if unit in refused:
        raise refused[unit]
    record(session, [demand], granted, now)
    append(
        session,
        actor=actor,
        action="licence.consumed",
        object_type="unit",
        object_id=unit,
        after={"pool": granted[unit].code, "model": model.code, "territory": territory},
    )
    return granted[unit].code


def pools_status(session: Session) -> list[dict[str, Any]]:
    pools = session.scalars(
        select(LicencePool).order_by(LicencePool.model_code, LicencePool.territory, LicencePool.id)
    )
    today = utcnow().date()
    return [{**pool_view(p), "valid_today": p.valid_from <= today <= p.valid_until} for p in pools]
