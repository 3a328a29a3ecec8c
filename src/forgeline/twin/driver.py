"""Driving Forgeline with the twin: master data through the production and auth services, then
the simulated events through the public ingest service, in batches, exactly as a line gateway
sends them. Nothing here writes a table itself.

`prepare` gives the run what a real plant has before it starts: trained operators on every
shift, baskets and racks for the batch equipment, received material lots, fresh baths, and a
service account for the twin. `Submitter` is the sink `run.simulate` streams into.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic_core import to_json
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.auth.permissions import Role
from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.auth.service import create_user, get_user, grant_skill
from forgeline.config import Settings
from forgeline.db.session import SessionFactory, session_scope
from forgeline.errors import DomainError, invalid
from forgeline.production import baths
from forgeline.production.carriers import register_carrier
from forgeline.production.ingest import MAX_BATCH, EventOutcome, ingest
from forgeline.production.masterdata import (
    create_work_order,
    get_lot,
    receive_lot,
    release_work_order,
)
from forgeline.production.tables import Hold, HoldUnit, Unit
from forgeline.twin.emitter import Action, Item
from forgeline.twin.model import Twin
from forgeline.twin.provisioning import Provisioned, check_eol, prepare_security, provision

SERVICE_ACCOUNT = "twin"
SKILLS_VALID_UNTIL = date(2099, 12, 31)
SHOWN_REJECTIONS = 20


def _user_exists(session: Session, username: str) -> bool:
    try:
        get_user(session, username)
    except DomainError:
        return False
    return True


def replayed(session: Session, twin: Twin) -> bool:
    """Whether this very run (same seed, start and load) was driven into the database before:
    its master data exists, and its events will answer as duplicates."""
    try:
        get_lot(session, twin.lots[0]["code"])
    except DomainError:
        return False
    return True


def prepare(
    session: Session, twin: Twin, actor: str, settings: Settings | None = None
) -> Principal:
    """Operators, carriers, lots and baths for the run (and, with a handset line, the PKI and
    licence pools: `settings` then holds the key that protects the CA keys); the principal its
    events come from. For a replay of a run only the principal: everything else is there."""
    if replayed(session, twin):
        user = get_user(session, SERVICE_ACCOUNT)
        roles = frozenset({Role.OPERATOR, Role.QUALITY})
        return Principal(PrincipalKind.USER, SERVICE_ACCOUNT, user.full_name, roles, user.id)
    for name, skills in twin.crews().items():
        if not _user_exists(session, name):
            create_user(session, username=name, full_name=f"Twin crew {name[5:]}",
                        roles=["operator"], actor=actor)  # fmt: skip
        for skill in skills:
            grant_skill(session, name, skill, SKILLS_VALID_UNTIL, actor)
    if not _user_exists(session, SERVICE_ACCOUNT):
        create_user(session, username=SERVICE_ACCOUNT, full_name="Plant twin (simulation)",
                    roles=["operator", "quality"], actor=actor)  # fmt: skip
    user = get_user(session, SERVICE_ACCOUNT)
    for station in twin.in_use():
        if station.spec.mode != "batch":
            continue
        kind = "basket" if twin.plant.station_type(station.spec.station_type).bath else "rack"
        for k in range(station.capacity):
            register_carrier(session, code=f"BSK-{station.code}-{twin.tag}-{k + 1}", kind=kind,
                             capacity=station.batch_size, actor=actor)  # fmt: skip
        if twin.plant.station_type(station.spec.station_type).bath:
            _fresh_bath(session, twin, station.code, actor)
    _orders_and_lots(session, twin, actor)
    if twin.handset_line is not None:
        if settings is None:
            raise invalid("twin.settings_needed", "a run with a handset line needs the settings")
        twin.handset_line.releases = prepare_security(session, settings, twin, actor)
    roles = frozenset({Role.OPERATOR, Role.QUALITY})
    return Principal(PrincipalKind.USER, SERVICE_ACCOUNT, user.full_name, roles, user.id)


def _orders_and_lots(session: Session, twin: Twin, actor: str) -> None:
    """The run's work orders, released, and the lots it consumes."""
    for order in twin.work_orders():
        create_work_order(session, code=order["code"], product_code=order["product"],
                          quantity=order["quantity"], due_date=order["due_date"],
                          actor=actor)  # fmt: skip
        release_work_order(session, order["code"], line_code=order["line"], actor=actor)
    for lot in twin.lots:
        receive_lot(session, code=lot["code"], kind=lot["kind"], quantity=1_000_000,
                    actor=actor, supplier="twin", received_at=twin.start)  # fmt: skip


def _fresh_bath(session: Session, twin: Twin, station: str, actor: str) -> None:
    code = twin.bath_code(station, 0)
    current = baths.active_bath(session, station)
    if current is None:
        baths.start_bath(session, code=code, station_code=station, actor=actor,
                         started_at=twin.start)  # fmt: skip
    elif current.code != code:
        baths.replace_bath(session, current.code, new_code=code, actor=actor, at=twin.start)


def last_hold_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Hold.id))) or 0)


def held_since(session: Session, after: int) -> tuple[int, set[str]]:
    """Units caught by holds placed after hold `after` (by anyone: SPC, people, the twin)."""
    rows = session.execute(
        select(HoldUnit.hold_id, Unit.uid)
        .join(Unit, Unit.id == HoldUnit.unit_id)
        .where(HoldUnit.hold_id > after)
    ).all()
    return max((int(r[0]) for r in rows), default=after), {str(r[1]) for r in rows}


@dataclass
class Submitter:
    """Ingests the stream in batches of `batch_size`, one transaction each, and performs the
    stream's actions in order between batches.

    Forgeline answers like a real MES: a hold placed while the twin runs (SPC holds the pieces
    of a violating chart's context) stops those pieces. After each batch the units of new holds
    go to `on_held`, which takes them out of the simulated flow; events the twin had already
    sent for them are refused (`unit.on_hold` and what follows from it) and counted as
    `refused_held`, not as errors."""

    factory: SessionFactory
    principal: Principal
    batch_size: int = MAX_BATCH
    on_batch: Callable[[int], None] | None = None
    on_held: Callable[[set[str]], None] | None = None
    held: set[str] = field(default_factory=set)
    last_hold: int = 0
    # Send at least every this many simulated hours, so holds are seen soon after they happen.
    flush_every: int = 4
    totals: dict[str, int] = field(
        default_factory=lambda: {"accepted": 0, "duplicate": 0, "rejected": 0, "refused_held": 0}
    )
    rejections: list[EventOutcome] = field(default_factory=list)
    actions: int = 0
    replay: bool = False  # a replay's actions were performed the first time: skip them
    settings: Settings | None = None  # for provisioning (the CA key's protection)
    provisioned: Provisioned = field(default_factory=Provisioned)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _calls: int = 0

    def __call__(self, items: list[Item], done: float) -> None:
        self.take(items)
        self._calls += 1
        if done >= 1.0 or self._calls % self.flush_every == 0:
            self.flush()

    def take(self, items: list[Item]) -> None:
        """Queue events (sent when a batch is full or at the next flush), perform actions."""
        for item in items:
            if isinstance(item, Action):
                self.flush()
                self._perform(item)
            else:
                self._pending.append(item)
                if len(self._pending) >= self.batch_size:
                    self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        events, self._pending = self._pending, []
        with session_scope(self.factory, write=True) as session:
            report = ingest(session, to_json(events), self.principal)
            self.last_hold, caught = held_since(session, self.last_hold)
        if caught:
            self.held |= caught
            if self.on_held is not None:
                self.on_held(caught)
        for event, outcome in zip(events, report.events, strict=True):
            kind = outcome.outcome
            if kind == "rejected" and self._held_refusal(event, outcome):
                kind = "refused_held"
            self.totals[kind] += 1
            if kind == "rejected" and len(self.rejections) < SHOWN_REJECTIONS:
                self.rejections.append(outcome)
        if self.on_batch is not None:
            self.on_batch(len(events))

    def _held_refusal(self, event: dict[str, Any], outcome: EventOutcome) -> bool:
        if outcome.code == "unit.on_hold":
            return True
        return event.get("uid") in self.held or any(u in self.held for u in event.get("uids", ()))

    def _perform(self, action: Action) -> None:
        if self.replay:
            return
        actor = self.principal.actor
        params = action.params
        with session_scope(self.factory, write=True) as session:
            if action.kind == "bath_analysis":
                baths.record_analysis(session, params["bath"], actor=actor, at=action.at,
                                      na_wt_pct=params["na_wt_pct"], ca_ppm=params["ca_ppm"],
                                      temperature_c=params["temperature_c"])  # fmt: skip
            elif action.kind == "bath_top_up":
                note = "sodium above the top-up threshold"
                baths.record_top_up(session, params["bath"], actor=actor, at=action.at,
                                    salt_kg=params["salt_kg"], note=note)  # fmt: skip
            elif action.kind == "bath_replace":
                baths.replace_bath(session, params["bath"], new_code=params["new_bath"],
                                   actor=actor, at=action.at)  # fmt: skip
            elif action.kind == "provision":
                if self.settings is None:
                    raise ValueError("provisioning needs the settings (the CA key)")
                provision(session, self.settings, params, actor, self.provisioned)
                return
            elif action.kind == "eol_check":
                check_eol(session, params, actor, self.provisioned)
                return
            else:
                raise ValueError(f"unknown twin action {action.kind!r}")
        self.actions += 1
