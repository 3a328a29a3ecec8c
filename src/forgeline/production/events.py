"""The events machines send: one pydantic model per type, a union discriminated on `type`.

Every event carries a sender-chosen `event_id` (the idempotency key) and `at`, when it happened,
timezone-aware. A batch is validated in one call; only when that fails is each item validated
alone, so one malformed event is rejected by itself and the fast path stays fast.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Uid = Annotated[str, StringConstraints(min_length=1, max_length=80)]
# NaN and infinity are refused here: a measurement that is not a number must never reach SPC.
Finite = Annotated[float, Field(allow_inf_nan=False)]
Reason = Annotated[str, StringConstraints(max_length=2000)]
UnitKind = Literal["sheet", "glass", "handset"]
Outcome = Literal["pass", "fail", "rework", "scrap"]
# SEMI E10 states (IPC-CFX ResourceState 1000..6000).
E10State = Literal[
    "productive", "standby", "engineering", "scheduled_down", "unscheduled_down", "non_scheduled"
]
HoldTarget = Literal["unit", "carrier", "lot", "bath", "batch", "station"]
LotRole = Literal["pcba", "battery"]
# Material consumed at an operation (ink at PRINT, AR/AF coating material at COAT, ...).
ConsumedLotRole = Literal["ink", "coating", "pcba", "battery", "other"]


def new_event_id() -> UUID:
    """A time-ordered event id (UUID version 7, RFC 9562): 48 bits of Unix milliseconds, then
    74 random bits. Any UUID is accepted as an event id; ids that grow with time land at the end
    of the `ingested_event` index instead of on random pages in it (`bench/ingest.py
    --time-ordered-ids` measures it; on a 2-core VM the difference was within the noise)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # variant RFC 9562
    return UUID(int=value)


class EventBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: UUID
    at: AwareDatetime


class Start(EventBase):
    """A unit enters production at the start of its product's routing."""

    type: Literal["start"]
    uid: Uid
    product: Code
    kind: UnitKind
    work_order: Code | None = None
    lot: Code | None = None


class Split(EventBase):
    """A cut sheet becomes glass pieces, each with its own GS1 ID."""

    type: Literal["split"]
    parent: Uid
    children: list[Uid] = Field(min_length=1, max_length=1000)


class _UnitOrCarrier(EventBase):
    uid: Uid | None = None
    carrier: Code | None = None

    @model_validator(mode="after")
    def _one_target(self) -> _UnitOrCarrier:
        if (self.uid is None) == (self.carrier is None):
            raise ValueError("give exactly one of uid and carrier")
        return self


class TrackIn(_UnitOrCarrier):
    type: Literal["track_in"]
    station: Code
    operator: Code
    operation: Code | None = None
    batch: Code | None = None
    lots: dict[ConsumedLotRole, Code] = Field(default_factory=dict)


class TrackOut(_UnitOrCarrier):
    type: Literal["track_out"]
    station: Code
    result: Outcome
    rework_to: Code | None = None


class MeasurementEvent(EventBase):
    type: Literal["measurement"]
    uid: Uid
    station: Code
    characteristic: Code
    value: Finite


class DefectEvent(EventBase):
    type: Literal["defect"]
    uid: Uid
    station: Code
    code: Code
    zone: Literal["A", "B", "C"] | None = None
    x_mm: Finite | None = None
    y_mm: Finite | None = None
    size_mm: Finite | None = None
    origin: Code | None = None


class EquipmentStateEvent(EventBase):
    type: Literal["equipment_state"]
    station: Code
    state: E10State
    reason: Annotated[str, StringConstraints(max_length=64)] = ""


class Assemble(EventBase):
    """A finished cover glass (and PCBA and battery lots) go into a handset."""

    type: Literal["assemble"]
    handset: Uid
    glass: Uid
    lots: dict[LotRole, Code] = Field(default_factory=dict)


class CarrierLoad(EventBase):
    type: Literal["carrier_load"]
    carrier: Code
    uids: list[Uid] = Field(min_length=1, max_length=10_000)


class CarrierUnload(EventBase):
    type: Literal["carrier_unload"]
    carrier: Code
    uids: list[Uid] = Field(min_length=1, max_length=10_000)


class BatchStart(EventBase):
    """A cycle of batch equipment begins: an IOX cycle, a cleaning or coating load."""

    type: Literal["batch_start"]
    batch: Code
    station: Code
    operation: Code
    carriers: list[Code] = Field(default_factory=list, max_length=100)
    bath: Code | None = None
    parameters: dict[str, Any] | None = None


class BatchEnd(EventBase):
    type: Literal["batch_end"]
    batch: Code


class HoldEvent(EventBase):
    type: Literal["hold"]
    target_type: HoldTarget
    target: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ReleaseEvent(EventBase):
    type: Literal["release"]
    hold_id: int = Field(gt=0)
    note: Reason = ""


Event = Annotated[
    Start
    | Split
    | TrackIn
    | TrackOut
    | MeasurementEvent
    | DefectEvent
    | EquipmentStateEvent
    | Assemble
    | CarrierLoad
    | CarrierUnload
    | BatchStart
    | BatchEnd
    | HoldEvent
    | ReleaseEvent,
    Field(discriminator="type"),
]
EVENT_TYPES = (
    *("start", "split", "track_in", "track_out", "measurement", "defect", "equipment_state"),
    *("assemble", "carrier_load", "carrier_unload", "batch_start", "batch_end", "hold", "release"),
)

_ONE = TypeAdapter[Event](Event)
_MANY = TypeAdapter[list[Event]](list[Event])


@dataclass(frozen=True)
class Invalid:
    """Why one item of a batch is not a valid event: a stable code, a sentence, the problems."""

    code: str
    message: str
    problems: list[dict[str, str]]


def validate_json_array(body: bytes) -> list[Event] | None:
    """The events of a JSON array body whose every item is valid, else None (then decode it and
    use `validate_events`, which says what is wrong with each item). Parsing straight from JSON
    skips building the batch as Python objects first, which costs as much as validating it."""
    if not body.lstrip().startswith(b"["):
        return None
    try:
        return _MANY.validate_json(body)
    except ValidationError:
        return None


def validate_events(items: list[Any]) -> list[Event | Invalid]:
    """Each item as an event, or why it is not one, in order."""
    try:
        return list(_MANY.validate_python(items))
    except ValidationError:
        pass
    parsed: list[Event | Invalid] = []
    for item in items:
        try:
            parsed.append(_ONE.validate_python(item))
        except ValidationError as exc:
            parsed.append(_invalid(item, exc.errors(include_url=False, include_input=False)))
    return parsed


def _invalid(item: Any, errors: list[ErrorDetails]) -> Invalid:
    problems = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or "event", "problem": e["msg"]}
        for e in errors
    ]
    kind = item.get("type") if isinstance(item, dict) else None
    first = errors[0]
    code = "event.invalid"
    if not isinstance(item, dict):
        code = "event.not_an_object"
    elif first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        code = "event.unknown_type"
    elif first["type"] == "finite_number":
        code = f"{kind}.not_finite"
    elif first["type"] == "timezone_aware":
        code = "event.naive_time"
    where = problems[0]["field"]
    message = f"{where}: {problems[0]['problem']}"
    if code == "event.unknown_type":
        message = f"type {kind!r} is not one of: {', '.join(EVENT_TYPES)}"
    return Invalid(code, message, problems)
