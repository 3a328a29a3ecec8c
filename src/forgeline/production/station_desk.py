"""The operator's station screen, as operations: who may work here, scan, and finish a visit.

Nothing here writes rows itself: a scan is a `track_in` event and a finished visit is its
measurements, an optional defect and the `track_out`, all sent through `ingest` with the
signed-in person as the operator, so the screen obeys exactly the rules a station's own
events obey (routing, holds, skills). A visit's events are applied together or not at all: they
run in a savepoint that is rolled back when any of them is refused, and the first refusal is
what the operator sees.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.auth.service import skill_expiries
from forgeline.db.base import utcnow
from forgeline.errors import DomainError
from forgeline.production.catalog import PlantCatalog, catalogs, current_revision_number
from forgeline.production.ingest import IngestReport, ingest
from forgeline.production.ingest_store import stored_events
from forgeline.production.routing import Result, Status, Step
from forgeline.production.tables import Carrier, Unit
from forgeline.production.unit_handlers import canonical_uid

# Buttons on the screen; rework is offered only where the step has a rework loop.
RESULTS = (Result.PASS.value, Result.FAIL.value, Result.SCRAP.value)


@dataclass(frozen=True)
class Desk:
    """A station as the operator's screen needs it."""

    code: str
    name: str
    station_type: str
    line_code: str
    skills: tuple[str, ...]
    missing_skills: tuple[str, ...]  # skills the signed-in person lacks (or has let expire)
    is_person: bool  # a station token cannot be an operator

    @property
    def may_work(self) -> bool:
        return self.is_person and not self.missing_skills


@dataclass(frozen=True)
class Planned:
    """A characteristic to measure at this step, with the limits in force for the product."""

    code: str
    name: str
    unit: str
    lsl: float | None
    usl: float | None
    target: float | None


@dataclass
class Visit:
    """What is on the screen after a scan: a unit (or carrier) in process here."""

    subject: str  # the uid or carrier code, as stored
    is_carrier: bool
    product_code: str
    operation: str
    units: int = 1
    measurements: list[Planned] = field(default_factory=list)
    defects: list[tuple[str, str]] = field(default_factory=list)  # (code, name), likely first
    rework_to: str | None = None
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    expected: str | None = None  # what the route expects next, when known


def desk(session: Session, code: str, principal: Principal, today: date) -> Desk:
    """The station in the current plant revision; NOT_FOUND `station.unknown` otherwise."""
    catalog = _catalog(session)
    info = catalog.station(code)
    spec = catalog.definition.station_spec(code)
    missing: tuple[str, ...] = info.skills
    is_person = principal.kind is PrincipalKind.USER and principal.user_id is not None
    if is_person and principal.user_id is not None:
        held = skill_expiries(session, [principal.user_id]).get(principal.user_id, {})
        missing = tuple(s for s in info.skills if s not in held or held[s] < today)
    return Desk(code, spec.name, info.station_type, spec.line, info.skills, missing, is_person)


def _catalog(session: Session) -> PlantCatalog:
    number = current_revision_number(session)
    return catalogs(session, [number])[number]


def _send(
    session: Session, principal: Principal, events: list[dict[str, Any]]
) -> tuple[IngestReport, Refusal | None]:
    """Apply the events together: all accepted (or duplicates), or none of them kept."""
    savepoint = session.begin_nested()
    report = ingest(session, events, principal)
    refused = next((e for e in report.events if e.outcome == "rejected"), None)
    if refused is None:
        savepoint.commit()
        return report, None
    savepoint.rollback()
    return report, Refusal(refused.code or "event.refused", refused.message or "refused")


def _event_id(token: str, name: str) -> uuid.UUID:
    # Ids derived from the screen's token: a second tap on the same form finds the first one's.
    return uuid.uuid5(uuid.UUID(token), name)


def _event(kind: str, token: str, name: str, **fields: Any) -> dict[str, Any]:
    event_id = _event_id(token, name)
    return {"event_id": str(event_id), "type": kind, "at": utcnow().isoformat(), **fields}


def _visit_for_unit(catalog: PlantCatalog, unit: Unit) -> Visit:
    operation = unit.current_operation or unit.next_operation or ""
    product = catalog.product(unit.product_code)
    step = catalog.routes[product.routing].step(operation)
    return _with_plan(catalog, Visit(unit.uid, False, unit.product_code, operation), step)


def _with_plan(catalog: PlantCatalog, visit: Visit, step: Step) -> Visit:
    plant = catalog.definition
    for code in sorted(step.measurements):
        characteristic = plant.characteristic(code)
        limits = plant.limits_for(code, visit.product_code)
        visit.measurements.append(
            Planned(
                code, characteristic.name, characteristic.unit,
                limits.lsl, limits.usl, limits.target,
            )
        )  # fmt: skip
    likely = [d for d in plant.defect_codes if step.code in d.likely_origins]
    others = [d for d in plant.defect_codes if step.code not in d.likely_origins]
    visit.defects = [(d.code, d.name) for d in likely + others]
    visit.rework_to = step.rework[0].to if step.rework else None
    return visit


def visit_here(session: Session, station: Desk, subject: str) -> Visit | None:
    """The unit's visit if it is in process at this station now (to try finishing again)."""
    unit = session.scalars(select(Unit).where(Unit.uid == subject)).first()
    if unit is None or unit.status != Status.IN_PROCESS.value:
        return None
    if unit.current_station != station.code:
        return None
    return _visit_for_unit(_catalog(session), unit)


def scan(
    session: Session, station: Desk, principal: Principal, scanned: str
) -> tuple[Visit | None, Refusal | None]:
    """Track the scanned unit or carrier in here (or pick up its visit here, if it is in one)."""
    text = scanned.strip()
    if not text:
        return None, Refusal("scan.empty", "nothing was scanned")
    catalog = _catalog(session)
    uid = canonical_uid(text)
    unit = session.scalars(select(Unit).where(Unit.uid == uid)).first()
    if unit is None:
        carrier = session.scalars(select(Carrier).where(Carrier.code == text)).first()
        if carrier is None:
            return None, Refusal("unit.unknown", f"no unit or carrier {text!r}")
        return _scan_carrier(session, catalog, station, principal, carrier)
    if unit.status == Status.IN_PROCESS.value and unit.current_station == station.code:
        return _visit_for_unit(catalog, unit), None
    token = uuid.uuid4().hex
    event = _event(
        "track_in", token, "in", uid=unit.uid, station=station.code, operator=principal.name
    )
    _, refusal = _send(session, principal, [event])
    if refusal is not None:
        return None, Refusal(refusal.code, refusal.message, unit.next_operation)
    session.refresh(unit)
    return _visit_for_unit(catalog, unit), None


def _scan_carrier(
    session: Session, catalog: PlantCatalog, station: Desk, principal: Principal, carrier: Carrier
) -> tuple[Visit | None, Refusal | None]:
    units = list(session.scalars(select(Unit).where(Unit.carrier_id == carrier.id)))
    if not units:
        return None, Refusal("carrier.empty", f"carrier {carrier.code} holds no units")
    here = all(
        u.status == Status.IN_PROCESS.value and u.current_station == station.code for u in units
    )
    if not here:
        token = uuid.uuid4().hex
        event = _event(
            "track_in", token, "in", carrier=carrier.code, station=station.code,
            operator=principal.name,
        )  # fmt: skip
        _, refusal = _send(session, principal, [event])
        if refusal is not None:
            return None, Refusal(refusal.code, refusal.message, units[0].next_operation)
        for unit in units:
            session.refresh(unit)
    first = _visit_for_unit(catalog, units[0])
    # Per-piece measurements are keyed in per unit; a carrier's visit ends with one result.
    return Visit(carrier.code, True, first.product_code, first.operation, len(units)), None


@dataclass(frozen=True)
class Finished:
    subject: str
    operation: str
    result: str
    next_operation: str | None
    out_of_spec: list[str]
    repeated: bool = False  # the same form sent twice: recorded once, by the first


def _measurement_events(
    station: Desk,
    token: str,
    uid: str,
    planned: Mapping[str, Planned],
    values: Mapping[str, str],
    events: list[dict[str, Any]],
    out_of_spec: list[str],
) -> Refusal | None:
    """A measurement event per filled-in value (appended to `events`); a refusal for a bad one."""
    for code, raw in values.items():
        if not raw.strip():
            continue
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            value = math.nan
        if code not in planned or not math.isfinite(value):
            return Refusal("measurement.invalid", f"{code}: {raw!r} is not a number")
        limits = planned[code]
        if (limits.lsl is not None and value < limits.lsl) or (
            limits.usl is not None and value > limits.usl
        ):
            out_of_spec.append(code)
        events.append(
            _event("measurement", token, f"m:{code}", uid=uid, station=station.code,
                   characteristic=code, value=value)
        )  # fmt: skip
    return None


def finish(
    session: Session,
    station: Desk,
    principal: Principal,
    *,
    subject: str,
    is_carrier: bool,
    operation: str,
    result: str,
    values: Mapping[str, str],
    defect: str | None,
    token: str,
) -> tuple[Finished | None, Refusal | None]:
    """Send the visit's measurements, defect and track-out; all of them or none."""
    if result not in (*RESULTS, Result.REWORK.value):
        return None, Refusal("result.invalid", f"unknown result {result!r}")
    try:
        uuid.UUID(token)
    except ValueError:
        return None, Refusal("scan.stale", "the screen is out of date: scan again")
    if stored_events(session, [_event_id(token, "out")]):
        # A second tap on the same screen: the visit was recorded by the first one.
        return Finished(subject, operation, result, None, [], repeated=True), None
    catalog = _catalog(session)
    events: list[dict[str, Any]] = []
    target = {"carrier": subject} if is_carrier else {"uid": subject}
    out_of_spec: list[str] = []
    unit = None
    if not is_carrier:
        unit = session.scalars(select(Unit).where(Unit.uid == subject)).first()
        if unit is None:
            return None, Refusal("unit.unknown", f"no unit {subject!r}")
        planned = {p.code: p for p in _visit_for_unit(catalog, unit).measurements}
        refusal = _measurement_events(station, token, subject, planned, values, events, out_of_spec)
        if refusal is not None:
            return None, refusal
        if defect:
            events.append(
                _event("defect", token, "defect", uid=subject, station=station.code, code=defect)
            )
    out: dict[str, Any] = {"station": station.code, "result": result, **target}
    if result == Result.REWORK.value and unit is not None:
        out["rework_to"] = _visit_for_unit(catalog, unit).rework_to
    events.append(_event("track_out", token, "out", **out))
    try:
        _, refusal = _send(session, principal, events)
    except DomainError as exc:
        return None, Refusal(exc.code, exc.message)
    if refusal is not None:
        return None, refusal
    next_op = None
    if unit is not None:
        session.refresh(unit)
        next_op = unit.next_operation
    return Finished(subject, operation, result, next_op, out_of_spec), None
