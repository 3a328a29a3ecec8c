"""Ion-exchange (and cleaning) baths: a consumable that ages, is analysed, topped up, replaced.

A station holds at most one active bath (``replaced_at`` NULL). Replacing closes the old bath and
starts a new one under a new code on the same station, so every batch run keeps pointing at the
chemistry it actually saw. Analyses keep the latest values on the bath row (what SPC and the
pages read) and the full history in ``bath_event``. Writes are audited; nothing here commits.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.errors import conflict, invalid, not_found
from forgeline.plant.service import current_revision
from forgeline.production.masterdata import aware, checked_code, insert_unique
from forgeline.production.tables import Bath, BathEvent

ANALYSIS_LIMITS = {  # plausible ranges; outside them the value is a typo, not a bad bath
    "na_wt_pct": (0.0, 100.0),
    "ca_ppm": (0.0, 1_000_000.0),
    "mg_ppm": (0.0, 1_000_000.0),
    "temperature_c": (-50.0, 1000.0),
}
MAX_TOP_UP_KG = 100_000.0


def _bath_station_types(session: Session) -> dict[str, bool]:
    """Station code -> whether its type holds a tracked bath, in the current revision."""
    definition = current_revision(session).definition
    with_bath = {t.code for t in definition.station_types if t.bath}
    return {spec.code: spec.station_type in with_bath for spec in definition.station_specs()}


def bath_summary(bath: Bath) -> dict[str, object]:
    return {
        "code": bath.code,
        "station": bath.station_code,
        "salt": bath.salt,
        "started_at": bath.started_at,
        "replaced_at": bath.replaced_at,
    }


def active_bath(session: Session, station_code: str) -> Bath | None:
    """The bath now in a station; None when it has none. Ingest stamps batch runs with it."""
    return session.scalars(
        select(Bath).where(Bath.station_code == station_code, Bath.replaced_at.is_(None))
    ).first()


def start_bath(
    session: Session,
    *,
    code: str,
    station_code: str,
    actor: str,
    salt: str = "KNO3",
    started_at: datetime | None = None,
) -> Bath:
    """Start a fresh bath on a station whose type holds one (ion exchange, cleaning tanks)."""
    checked_code(code, "bath")
    stations = _bath_station_types(session)
    if station_code not in stations:
        raise not_found(
            "bath.unknown_station", f"no station {station_code!r}", station=station_code
        )
    if not stations[station_code]:
        raise invalid(
            "bath.station_has_no_bath",
            f"station {station_code} holds no tracked bath",
            station=station_code,
        )
    current = active_bath(session, station_code)
    if current is not None:
        raise conflict(
            "bath.station_busy",
            f"station {station_code} already has bath {current.code}; replace it instead",
            station=station_code,
            bath=current.code,
        )
    salt = salt.strip()
    if not salt or len(salt) > 60:
        raise invalid("bath.salt_invalid", "name the salt in 1-60 characters")
    bath = Bath(
        code=code,
        station_code=station_code,
        salt=salt,
        started_at=aware(started_at, "bath.time_naive"),
        cycles=0,
        hours=0.0,
        hold_count=0,
    )
    insert_unique(session, bath, "bath.duplicate", f"bath {code} exists already", bath=code)
    append(
        session,
        actor=actor,
        action="bath.started",
        object_type="bath",
        object_id=code,
        after=bath_summary(bath),
    )
    return bath


def get_bath(session: Session, code: str) -> Bath:
    bath = session.scalars(select(Bath).where(Bath.code == code)).first()
    if bath is None:
        raise not_found("bath.not_found", f"no bath {code!r}", bath=code)
    return bath


def _active(session: Session, code: str) -> Bath:
    bath = get_bath(session, code)
    if bath.replaced_at is not None:
        raise conflict(
            "bath.replaced", f"bath {code} was replaced; record against the new bath", bath=code
        )
    return bath


def _event(
    session: Session, bath: Bath, kind: str, at: datetime, values: dict[str, object], actor: str
) -> BathEvent:
    if at < bath.started_at:
        raise invalid("bath.time_before_start", f"bath {bath.code} started after {at.isoformat()}")
    event = BathEvent(bath_id=bath.id, kind=kind, at=at, values=values)
    session.add(event)
    session.flush()
    append(
        session,
        actor=actor,
        action=f"bath.{kind}",
        object_type="bath",
        object_id=bath.code,
        after={"at": at, **values},
    )
    return event


def record_analysis(
    session: Session,
    code: str,
    *,
    actor: str,
    na_wt_pct: float | None = None,
    ca_ppm: float | None = None,
    mg_ppm: float | None = None,
    temperature_c: float | None = None,
    at: datetime | None = None,
) -> BathEvent:
    """A chemistry analysis: any of Na wt %, Ca and Mg ppm, and the bath temperature."""
    given = {
        "na_wt_pct": na_wt_pct,
        "ca_ppm": ca_ppm,
        "mg_ppm": mg_ppm,
        "temperature_c": temperature_c,
    }
    values = {name: value for name, value in given.items() if value is not None}
    if not values:
        raise invalid("bath.analysis_empty", "give at least one analysed value")
    for name, value in values.items():
        low, high = ANALYSIS_LIMITS[name]
        if not math.isfinite(value) or not low <= value <= high:
            raise invalid(
                "bath.analysis_invalid",
                f"{name} must be a number from {low} to {high}",
                field=name,
                value=str(value),
            )
    bath = _active(session, code)
    event = _event(session, bath, "analysis", aware(at, "bath.time_naive"), dict(values), actor)
    if na_wt_pct is not None:
        bath.na_wt_pct = na_wt_pct
    if ca_ppm is not None:
        bath.ca_ppm = ca_ppm
    if mg_ppm is not None:
        bath.mg_ppm = mg_ppm
    session.flush()
    return event


def record_top_up(
    session: Session,
    code: str,
    *,
    actor: str,
    salt_kg: float,
    note: str = "",
    at: datetime | None = None,
) -> BathEvent:
    """Fresh salt added to an active bath."""
    if not math.isfinite(salt_kg) or not 0 < salt_kg <= MAX_TOP_UP_KG:
        raise invalid("bath.top_up_invalid", f"salt_kg must be above 0 and at most {MAX_TOP_UP_KG}")
    if len(note) > 2000:
        raise invalid("bath.note_too_long", "the note is over 2000 characters")
    bath = _active(session, code)
    values: dict[str, object] = {"salt_kg": salt_kg, "note": note.strip()}
    return _event(session, bath, "top_up", aware(at, "bath.time_naive"), values, actor)


def replace_bath(
    session: Session,
    code: str,
    *,
    new_code: str,
    actor: str,
    salt: str | None = None,
    at: datetime | None = None,
) -> Bath:
    """Close the bath (replaced_at) and start `new_code` on the same station at the same time."""
    checked_code(new_code, "bath")
    old = _active(session, code)
    when = aware(at, "bath.time_naive")
    _event(session, old, "replaced", when, {"new_bath": new_code}, actor)
    old.replaced_at = when
    session.flush()
    return start_bath(
        session,
        code=new_code,
        station_code=old.station_code,
        actor=actor,
        salt=salt or old.salt,
        started_at=when,
    )


def bath_events(session: Session, bath_id: int, *, limit: int = 200) -> list[BathEvent]:
    """A bath's analyses, top-ups and replacement, newest first."""
    return list(
        session.scalars(
            select(BathEvent)
            .where(BathEvent.bath_id == bath_id)
            .order_by(BathEvent.at.desc(), BathEvent.id.desc())
            .limit(limit)
        )
    )


def list_baths(
    session: Session,
    *,
    station_code: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Bath], int]:
    """Baths by station, newest first; and the total count."""
    query = select(Bath)
    if station_code is not None:
        query = query.where(Bath.station_code == station_code)
    if active is not None:
        query = query.where(Bath.replaced_at.is_(None) if active else Bath.replaced_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Bath.station_code, Bath.started_at.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total)


def age_baths(session: Session, usage: dict[int, list[float]]) -> None:
    """Add the cycles and hours of the batch runs that ended to their baths (increments, so a
    concurrent analysis or top-up of the same bath is not overwritten)."""
    if not usage:
        return
    table = cast(Table, Bath.__table__)
    # A Core statement: executemany of increments (an ORM update would want whole rows by key).
    session.execute(
        update(table)
        .where(table.c.id == bindparam("bath"))
        .values(
            cycles=table.c.cycles + bindparam("add_cycles"),
            hours=table.c.hours + bindparam("add_hours"),
        ),
        [{"bath": b, "add_cycles": int(c), "add_hours": h} for b, (c, h) in usage.items()],
    )
