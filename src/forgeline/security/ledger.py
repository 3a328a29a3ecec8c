"""The IMEI ledger: atomic allocation from each model's TAC ranges, voiding on scrap, checks.

Allocation locks the model's counter rows (`imei_range`) before reading them - ``SELECT ... FOR
UPDATE`` on PostgreSQL, the boundary's ``BEGIN IMMEDIATE`` on SQLite - so two allocators can
never read the same free serial; the taken IMEIs go into `imei_record`, whose primary key is the
IMEI itself (a second issue could not commit even if the counter were wrong). A unit's IMEIs are
allocated once: asking again answers the same IMEIs. Serials below the counter are never free
again, so a voided IMEI (its handset scrapped) is never reissued.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, conflict, not_found
from forgeline.production.bulk import driver_values, insert_rows
from forgeline.production.tables import Unit
from forgeline.security.handsets import HandsetModel, HandsetUnit, current_models
from forgeline.security.imei import RangeState, parse_imei, plan_blocks
from forgeline.security.tables import ImeiRange, ImeiRecord

_IMEI_COLUMNS = ("imei", "tac", "model_code", "unit_uid", "slot", "status", "issued_at")


@dataclass
class Allocation:
    """Each unit's IMEIs (new or already held), and the ranges that are running low."""

    imeis: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # With partial=True: units a range could not serve, and why (nothing taken for them).
    refused: dict[str, DomainError] = field(default_factory=dict)


def _ensure_ranges(session: Session, model: HandsetModel) -> None:
    rows = [
        {"tac": tac, "model_code": model.code, "position": i, "next_serial": 0}
        for i, tac in enumerate(model.tacs)
    ]
    if session.get_bind().dialect.name == "postgresql":
        statement: Any = postgresql.insert(ImeiRange).on_conflict_do_nothing(index_elements=["tac"])
    else:
        statement = sqlite.insert(ImeiRange).on_conflict_do_nothing(index_elements=["tac"])
    session.execute(statement, rows)


def lock_ranges(session: Session, model: HandsetModel) -> list[tuple[int, RangeState]]:
    """The model's TAC counters in the model's order, locked until the transaction ends."""
    _ensure_ranges(session, model)
    rows = session.execute(
        select(ImeiRange.id, ImeiRange.tac, ImeiRange.next_serial)
        .where(ImeiRange.tac.in_(model.tacs))
        .order_by(ImeiRange.id)
        .with_for_update()
    ).all()
    by_tac = {r.tac: (int(r.id), RangeState(r.tac, int(r.next_serial))) for r in rows}
    return [by_tac[tac] for tac in model.tacs]


def issued_imeis(session: Session, uids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The IMEIs each unit holds now (voided ones excluded), by SIM slot."""
    held: dict[str, list[tuple[int, str]]] = {}
    for uid, slot, imei in session.execute(
        select(ImeiRecord.unit_uid, ImeiRecord.slot, ImeiRecord.imei).where(
            ImeiRecord.unit_uid.in_(list(uids)), ImeiRecord.status == "issued"
        )
    ):
        held.setdefault(uid, []).append((slot, imei))
    return {uid: tuple(imei for _, imei in sorted(pairs)) for uid, pairs in held.items()}


def range_warnings(model: HandsetModel, states: Sequence[RangeState]) -> list[dict[str, Any]]:
    """A warning per TAC at or above 90 % used, with what the whole model still has."""
    devices_left = sum(s.remaining // model.imeis_per_device for s in states)
    return [
        {
            "model": model.code,
            "tac": s.tac,
            "level": s.level,
            "used_fraction": round(s.used_fraction, 4),
            "model_devices_left": devices_left,
        }
        for s in states
        if s.level != "ok"
    ]


def allocate(
    session: Session, units: Sequence[HandsetUnit], now: datetime, *, partial: bool = False
) -> Allocation:
    """Give every unit without IMEIs its one IMEI or consecutive pair: all or nothing, or with
    `partial` as many as the ranges hold, the others listed in `refused`."""
    for unit in units:
        if unit.status == "scrapped":
            raise conflict("imei.unit_scrapped", f"handset {unit.uid} is scrapped", unit=unit.uid)
    result = Allocation(imeis=issued_imeis(session, [u.uid for u in units]))
    wanting: dict[str, list[HandsetUnit]] = {}
    for unit in units:
        if unit.uid not in result.imeis:
            wanting.setdefault(unit.model.code, []).append(unit)
    values = driver_values(session)
    issued_at = values.time(now)
    records: list[tuple[Any, ...]] = []
    for code in sorted(wanting):  # one lock order everywhere: no deadlock between allocators
        group = wanting[code]
        model = group[0].model
        locked = lock_ranges(session, model)
        states = [s for _, s in locked]
        if partial:
            room = sum(s.remaining // model.imeis_per_device for s in states)
            for unit in group[room:]:
                result.refused[unit.uid] = conflict(
                    "imei.range_exhausted",
                    f"the TAC ranges of {code} are exhausted",
                    model=code,
                    tacs=list(model.tacs),
                )
            group = group[:room]
            if not group:
                continue
        blocks = plan_blocks(states, len(group), model.imeis_per_device)
        ids = {s.tac: range_id for range_id, s in locked}
        after = {s.tac: s for _, s in locked}
        devices = iter(group)
        for block in blocks:
            session.execute(
                update(ImeiRange)
                .where(ImeiRange.id == ids[block.tac])
                .values(next_serial=block.end_serial)
            )
            after[block.tac] = RangeState(block.tac, block.end_serial)
            for imeis in block.imeis():
                unit = next(devices)
                result.imeis[unit.uid] = imeis
                result.fresh.add(unit.uid)
                records.extend(
                    (imei, block.tac, code, unit.uid, slot, "issued", issued_at)
                    for slot, imei in enumerate(imeis, start=1)
                )
        result.warnings.extend(range_warnings(model, list(after.values())))
    insert_rows(session, "imei_record", _IMEI_COLUMNS, records)
    return result


def allocate_for_units(
    session: Session, units: Sequence[HandsetUnit], actor: str, station: str | None = None
) -> Allocation:
    """`allocate`, audited as ``imei.allocated`` when anything new was issued."""
    result = allocate(session, units, utcnow())
    if result.fresh:
        append(
            session,
            actor=actor,
            action="imei.allocated",
            object_type="imei_batch",
            object_id=",".join(sorted(result.fresh))[:200],
            after={
                "station": station,
                "units": {uid: list(result.imeis[uid]) for uid in sorted(result.fresh)},
                "warnings": result.warnings,
            },
        )
    return result


def _void(session: Session, uids: Sequence[str], reason: str, actor: str) -> dict[str, list[str]]:
    held = issued_imeis(session, uids)
    if not held:
        return {}
    now = utcnow()
    session.execute(
        update(ImeiRecord)
        .where(ImeiRecord.unit_uid.in_(list(held)), ImeiRecord.status == "issued")
        .values(status="voided", voided_at=now, void_reason=reason[:200])
    )
    voided = {uid: list(imeis) for uid, imeis in sorted(held.items())}
    append(
        session,
        actor=actor,
        action="imei.voided",
        object_type="imei_batch",
        object_id=",".join(voided)[:200],
        after={"reason": reason, "units": voided},
    )
    return voided


def void_unit(session: Session, unit: HandsetUnit, reason: str, actor: str) -> list[str]:
    """Void a scrapped handset's IMEIs: they stay in the ledger and are never issued again."""
    if unit.status != "scrapped":
        raise conflict(
            "imei.unit_not_scrapped",
            f"handset {unit.uid} is {unit.status}; only a scrapped handset's IMEIs are voided",
            unit=unit.uid,
            status=unit.status,
        )
    voided = _void(session, [unit.uid], reason, actor)
    if not voided:
        raise not_found("imei.none_issued", f"handset {unit.uid} holds no IMEI", unit=unit.uid)
    return voided[unit.uid]


def void_scrapped(session: Session, actor: str) -> dict[str, list[str]]:
    """Void the IMEIs of every scrapped handset still holding some (a sweep after scrap)."""
    uids = session.scalars(
        select(ImeiRecord.unit_uid)
        .join(Unit, Unit.uid == ImeiRecord.unit_uid)
        .where(Unit.status == "scrapped", ImeiRecord.status == "issued")
        .distinct()
    ).all()
    return _void(session, list(uids), "unit scrapped", actor) if uids else {}


def check_imei(session: Session, number: str) -> dict[str, Any]:
    """What the ledger knows of an IMEI: refused if malformed, of a bad check digit or a TAC
    that is none of ours; else issued (to which unit), voided, or never issued."""
    parsed = parse_imei(number)
    model = session.scalar(select(ImeiRange.model_code).where(ImeiRange.tac == parsed.tac))
    if model is None:
        model = next(
            (m.code for m in current_models(session).values() if parsed.tac in m.tacs), None
        )
    if model is None:
        raise not_found(
            "imei.unknown_tac", f"TAC {parsed.tac} belongs to no handset model", tac=parsed.tac
        )
    record = session.get(ImeiRecord, parsed.imei)
    return {
        "imei": parsed.imei,
        "tac": parsed.tac,
        "model": model,
        "status": record.status if record else "not_issued",
        "unit": record.unit_uid if record else None,
        "issued_at": record.issued_at if record else None,
        "voided_at": record.voided_at if record else None,
    }


def range_usage(session: Session) -> list[dict[str, Any]]:
    """Every TAC range of the plant's models: used, left and warning level (for the console)."""
    models = current_models(session)
    rows_ = session.execute(select(ImeiRange.tac, ImeiRange.next_serial))
    counters = {row[0]: row[1] for row in rows_}
    rows = []
    for model in models.values():
        for tac in model.tacs:
            state = RangeState(tac, int(counters.get(tac, 0)))
            rows.append(
                {
                    "model": model.code,
                    "tac": tac,
                    "used": state.next_serial,
                    "remaining": state.remaining,
                    "used_fraction": round(state.used_fraction, 6),
                    "level": state.level,
                }
            )
    return rows
