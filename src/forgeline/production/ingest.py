"""The one write path for machines: a batch of events in, each event's outcome out.

`ingest` validates the batch in bulk, answers replays from `ingested_event` (same body: the
stored result; other body: `event.conflict`), reads every row the batch names in a few queries,
applies the events in order to that in-memory state, and writes everything in one bulk statement
per table. A refused event changes nothing; the others go ahead. The caller's transaction is the
batch: an event is durable once the boundary commits, which it does before answering.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any
from uuid import UUID

from pydantic_core import to_json
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.auth.principal import Principal
from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, ErrorKind, invalid
from forgeline.production import (
    hold_handlers,
    material_handlers,
    track_handlers,
    unit_handlers,
)
from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.events import (
    Assemble,
    BatchEnd,
    BatchStart,
    CarrierLoad,
    CarrierUnload,
    DefectEvent,
    Event,
    HoldEvent,
    Invalid,
    MeasurementEvent,
    Split,
    Start,
    TrackIn,
    TrackOut,
    validate_events,
    validate_json_array,
)
from forgeline.production.ingest_state import BatchState
from forgeline.production.ingest_store import (
    Refs,
    fill_pool,
    flush,
    load_master_data,
    load_units,
    split_parent_records,
    stored_events,
)
from forgeline.production.observers import notify
from forgeline.production.unit_handlers import canonical_uid

MAX_BATCH = 10_000
Handler = Callable[[BatchState, Any], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    "start": unit_handlers.start,
    "split": unit_handlers.split,
    "track_in": track_handlers.track_in,
    "track_out": track_handlers.track_out,
    "measurement": unit_handlers.measurement,
    "defect": unit_handlers.defect,
    "assemble": material_handlers.assemble,
    "carrier_load": material_handlers.carrier_load,
    "carrier_unload": material_handlers.carrier_unload,
    "batch_start": material_handlers.batch_start,
    "batch_end": material_handlers.batch_end,
    "equipment_state": material_handlers.equipment_state,
    "hold": hold_handlers.hold,
    "release": hold_handlers.release,
}


class EventOutcome:
    """One event's outcome: accepted / duplicate / rejected, with its result or refusal."""

    __slots__ = ("_event_id", "code", "details", "message", "outcome", "result")

    def __init__(
        self,
        event_id: UUID | str | None,
        outcome: str,
        code: str | None = None,
        message: str | None = None,
        result: Any = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        # The UUID is turned into text only when asked for: str(UUID) is a microsecond, as
        # much as the rest of the outcome, and most callers only count outcomes.
        self._event_id = event_id
        self.outcome = outcome  # accepted / duplicate / rejected
        self.code = code
        self.message = message
        self.result = result
        self.details = details

    @property
    def event_id(self) -> str | None:
        value = self._event_id
        return value if value is None or isinstance(value, str) else str(value)

    def __repr__(self) -> str:
        return f"EventOutcome({self.event_id!r}, {self.outcome!r}, {self.code!r})"

    def to_dict(self) -> dict[str, Any]:
        return self.fields(self.event_id)

    def fields(self, event_id: UUID | str | None) -> dict[str, Any]:
        """The outcome's keys with `event_id` as given; keys whose value is None are left out."""
        out: dict[str, Any] = {"event_id": event_id, "outcome": self.outcome}
        if self.code is not None:
            out["code"] = self.code
        if self.message is not None:
            out["message"] = self.message
        if self.result is not None:
            out["result"] = self.result
        if self.details is not None:
            out["details"] = self.details
        return out


OUTCOMES = ("accepted", "duplicate", "rejected")


@dataclass
class IngestReport:
    events: list[EventOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for e in self.events if e.outcome == outcome)

    def totals(self) -> dict[str, int]:
        counts = Counter(e.outcome for e in self.events)
        return {key: counts[key] for key in OUTCOMES}

    def to_dict(self) -> dict[str, Any]:
        return {**self.totals(), "events": [e.to_dict() for e in self.events]}

    def to_json(self) -> bytes:
        """`to_dict()` as JSON, built for a 10,000-event answer: pydantic-core writes the event
        ids' text itself, where `str(UUID)` costs a microsecond each in Python, and the
        collector waits (as during `ingest`) while the 10^4 short-lived dicts exist."""
        with _collector_paused():
            events = [e.fields(e._event_id) for e in self.events]
            return to_json({**self.totals(), "events": events})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a block that allocates some 10^4-10^5 short-lived,
    acyclic objects (events, rows, outcomes): reference counting frees them anyway, and left
    on, the collector runs many passes over them and over the old heap (measured: validation
    alone 5x slower; a batch's answer 2.5x)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def decode_batch(body: bytes | list[Any] | dict[str, Any]) -> list[Any]:
    """The list of raw events from a JSON array or `{"events": [...]}`, as bytes or parsed."""
    data: Any = body
    if isinstance(body, bytes | bytearray):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid("events.malformed_json", f"the body is not JSON: {exc}") from exc
    if isinstance(data, dict) and set(data) == {"events"}:
        data = data["events"]
    if not isinstance(data, list):
        raise invalid("events.not_a_list", 'send a JSON array of events, or {"events": [...]}')
    _check_size(len(data))
    return data


def _check_size(count: int) -> None:
    if count > MAX_BATCH:
        raise DomainError(
            "events.batch_too_large",
            f"{count} events in one batch; at most {MAX_BATCH}",
            {"max": MAX_BATCH, "given": count},
            ErrorKind.TOO_LARGE,
        )


def _validate(body: bytes | list[Any] | dict[str, Any]) -> tuple[list[Any], list[Event | Invalid]]:
    """The raw items (needed only to answer for invalid ones) and each one validated."""
    if isinstance(body, bytes | bytearray):
        events = validate_json_array(bytes(body))
        if events is not None:  # a valid array: the common case, straight from the bytes
            _check_size(len(events))
            return [], list(events)
    items = decode_batch(body)
    return items, validate_events(items)


def body_hash(event: Event) -> bytes:
    """First 16 bytes of SHA-256 over the event's canonical JSON: the validated event serialised
    with its fields in schema order and defaults filled in, so that key order, spacing or an
    explicit default does not make a replay look like a different event."""
    # The bytes model_dump_json() would encode, without its str round trip.
    return sha256(event.__pydantic_serializer__.to_json(event)).digest()[:16]


def ingest(
    session: Session,
    events_raw: bytes | list[Any] | dict[str, Any],
    principal: Principal,
    settings: Settings | None = None,
) -> IngestReport:
    """Apply a batch of events in order; each is accepted, answered as a duplicate, or refused."""
    with _collector_paused():
        return _ingest(session, events_raw, principal)


def _ingest(
    session: Session, events_raw: bytes | list[Any] | dict[str, Any], principal: Principal
) -> IngestReport:
    items, parsed = _validate(events_raw)
    valid = [e for e in parsed if not isinstance(e, Invalid)]
    # Events already stored, then each one accepted in this batch: (body hash, result) by id.
    known = stored_events(session, (e.event_id for e in valid))
    state = _prepare(session, principal, valid)
    report = IngestReport()
    for index, event in enumerate(parsed):
        if isinstance(event, Invalid):
            item = items[index]
            event_id = item.get("event_id") if isinstance(item, dict) else None
            report.events.append(
                EventOutcome(
                    str(event_id) if event_id is not None else None,
                    "rejected",
                    event.code,
                    event.message,
                    details={"problems": event.problems},
                )
            )
            continue
        report.events.append(_apply(state, event, known))
    flush(session, state)
    notify(session, state.observed)
    totals = report.totals()
    if totals["accepted"]:
        append(
            session,
            actor=principal.actor,
            action="events.ingested",
            object_type="event_batch",
            object_id=str(report.events[0].event_id),
            after=totals,
        )
    return report


def _apply(state: BatchState, event: Event, known: dict[UUID, tuple[bytes, Any]]) -> EventOutcome:
    event_id = event.event_id
    own = state.own_station
    if own is not None:
        station = getattr(event, "station", None)
        if station is not None and station != own:
            # A station's token speaks for that station only: a stolen or misconfigured one
            # must not move units, or log measurements, anywhere else in the plant.
            return EventOutcome(
                event_id,
                "rejected",
                "event.wrong_station",
                f"this sender is station {own}; it may not send events for {station}",
                details={"station": station, "sender": own},
            )
    digest = body_hash(event)
    prior = known.get(event_id)
    if prior is not None:
        if prior[0] == digest:
            return EventOutcome(event_id, "duplicate", result=prior[1])
        return EventOutcome(
            event_id,
            "rejected",
            "event.conflict",
            "this event_id was already used for an event with a different body",
        )
    try:
        result = HANDLERS[event.type](state, event)
    except DomainError as exc:
        return EventOutcome(
            event_id, "rejected", exc.code, exc.message, details=exc.details or None
        )
    known[event_id] = (digest, result)
    # INGESTED_COLUMNS order.
    state.writes.ingested.append(
        (
            state.values.uuid(event_id), event.type, digest, state.sender, state.now_value,
            to_json(result).decode(),
        )
    )  # fmt: skip
    return EventOutcome(event_id, "accepted", result=result)


def _prepare(session: Session, principal: Principal, events: list[Event]) -> BatchState:
    """Read every row the batch names, and reserve keys for the rows it may create."""
    current = current_revision_number(session)
    refs = _references(events)
    state = BatchState(session, principal, utcnow(), catalogs(session, [current])[current], {})
    load_master_data(session, state, refs)
    load_units(session, state, refs.uids)
    revisions = {u.plant_revision for u in state.units.values()} | {current}
    state.catalogs = catalogs(session, revisions)
    parents = [state.units[uid] for uid in refs.split_parents if uid in state.units]
    state.split_records = split_parent_records(
        session, [p.current_record_id for p in parents if p.current_record_id is not None]
    )
    carrier_units = sum(len(c.units) for c in state.carriers.values())
    for pool, count in (
        (state.unit_ids, refs.new_units),
        (state.record_ids, refs.new_records + carrier_units + refs.split_children),
        (state.batch_ids, refs.new_batches),
    ):
        fill_pool(session, pool, count)
        pool.refill = lambda more_for, n: fill_pool(session, more_for, n)
    return state


def _references(events: list[Event]) -> Refs:
    """The codes the batch names, and how many units, records and batch runs it may create."""
    refs = Refs()
    uids = refs.uids
    for event in events:
        match event:  # the commonest first: this runs once per event
            case MeasurementEvent() | DefectEvent():
                uids.add(canonical_uid(event.uid))
            case TrackIn():
                refs.new_records += 1
                refs.operators.add(event.operator)
                _unit_or_carrier(refs, event)
                if event.lots:
                    refs.lots.update(event.lots.values())
                if event.batch is not None:
                    refs.batches.add(event.batch)
            case TrackOut():
                _unit_or_carrier(refs, event)
            case Start():
                uids.add(canonical_uid(event.uid))
                refs.new_units += 1
                if event.lot is not None:
                    refs.lots.add(event.lot)
                if event.work_order is not None:
                    refs.work_orders.add(event.work_order)
            case _:
                _other_references(refs, event)
    return refs


def _unit_or_carrier(refs: Refs, event: TrackIn | TrackOut) -> None:
    if event.uid is not None:
        refs.uids.add(canonical_uid(event.uid))
    elif event.carrier is not None:
        refs.carriers.add(event.carrier)


def _other_references(refs: Refs, event: Event) -> None:
    match event:
        case Split():
            parent = canonical_uid(event.parent)
            refs.uids.add(parent)
            refs.split_parents.add(parent)
            refs.uids.update(canonical_uid(c) for c in event.children)
            refs.new_units += len(event.children)
            refs.split_children += len(event.children)
        case Assemble():
            refs.uids.update((canonical_uid(event.handset), canonical_uid(event.glass)))
            refs.lots.update(event.lots.values())
        case CarrierLoad() | CarrierUnload():
            refs.carriers.add(event.carrier)
            refs.uids.update(canonical_uid(u) for u in event.uids)
        case BatchStart():
            refs.new_batches += 1
            refs.batches.add(event.batch)
            refs.carriers.update(event.carriers)
            if event.bath is not None:
                refs.baths.add(event.bath)
        case BatchEnd():
            refs.batches.add(event.batch)
        case HoldEvent():
            _hold_reference(refs, event.target_type, event.target)


def _hold_reference(refs: Refs, target_type: str, target: str) -> None:
    found: dict[str, set[str]] = {
        "unit": refs.uids,
        "carrier": refs.carriers,
        "lot": refs.lots,
        "bath": refs.baths,
        "batch": refs.batches,
    }
    if target_type in found:
        found[target_type].add(canonical_uid(target) if target_type == "unit" else target)
