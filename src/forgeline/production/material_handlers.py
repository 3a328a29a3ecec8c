"""Applying the events around the units: assembly, carriers, batch runs, equipment states.

Same contract as `forgeline.production.unit_handlers`: check everything, then change the batch's
in-memory state; a `DomainError` means the event is refused and nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from forgeline.errors import conflict, invalid, not_found
from forgeline.production import routing
from forgeline.production.events import (
    Assemble,
    BatchEnd,
    BatchStart,
    CarrierLoad,
    CarrierUnload,
    EquipmentStateEvent,
)
from forgeline.production.ingest_state import BatchState, LiveBatch, LiveCarrier
from forgeline.production.routing import Status
from forgeline.production.unit_handlers import unit_of

_ACTIVE = frozenset({Status.WAITING, Status.IN_PROCESS})


def checked_lots(state: BatchState, lots: Iterable[tuple[str, str]]) -> list[tuple[str, int]]:
    """(role, lot id) for each lot an event consumes: known, of the role's kind, not held."""
    found: list[tuple[str, int]] = []
    for role, code in lots:
        lot = state.lots.get(code)
        if lot is None:
            raise not_found("lot.unknown", f"no material lot {code!r}", lot=code)
        if role not in ("other", lot.detail):
            raise invalid("lot.wrong_kind", f"lot {code} is {lot.detail}, not {role}", lot=code)
        if lot.hold_count > 0:
            raise conflict("lot.on_hold", f"lot {code} is on hold", lot=code)
        found.append((role, lot.id))
    return found


def assemble(state: BatchState, event: Assemble) -> dict[str, Any]:
    handset = unit_of(state, event.handset)
    glass = unit_of(state, event.glass)
    if handset.kind != "handset":
        raise invalid("assemble.not_a_handset", f"{handset.uid} is a {handset.kind}")
    if glass.kind != "glass":
        raise invalid("assemble.not_glass", f"{glass.uid} is a {glass.kind}, not a glass piece")
    if handset.state.status not in _ACTIVE:
        raise invalid(
            "assemble.handset_not_active",
            f"handset {handset.uid} is {handset.state.status.value}",
            status=handset.state.status.value,
        )
    if handset.hold_count > 0:
        raise conflict("unit.on_hold", f"handset {handset.uid} is on hold", uid=handset.uid)
    model = state.catalog_of(handset).product(handset.product_code)
    if model.cover_glass != glass.product_code:
        raise invalid(
            "assemble.wrong_glass",
            f"{model.code} is built with {model.cover_glass}, not {glass.product_code}",
            expected=model.cover_glass,
        )
    if glass.state.status in _ACTIVE:
        raise invalid(
            "assemble.glass_not_finished",
            f"glass {glass.uid} has not finished its routing",
            status=glass.state.status.value,
        )
    consumed = routing.consume(glass.state)  # refuses a held, failed or consumed piece
    lot_ids = checked_lots(state, event.lots.items())
    glass.state, glass.assembled_into_id = consumed, handset.id
    state.writes.touch(glass)
    record = handset.current_record_id if handset.state.status is Status.IN_PROCESS else None
    at = state.values.time(event.at)
    for lot_role, lot_id in lot_ids:  # rows in LOT_USE_COLUMNS order
        state.writes.lot_uses.append((handset.id, lot_id, lot_role, record, at))
    return {"handset": handset.uid, "glass": glass.uid}


def _carrier(state: BatchState, code: str) -> LiveCarrier:
    carrier = state.carriers.get(code)
    if carrier is None:
        raise not_found("carrier.unknown", f"no carrier {code!r}", carrier=code)
    return carrier


def carrier_load(state: BatchState, event: CarrierLoad) -> dict[str, Any]:
    carrier = _carrier(state, event.carrier)
    if carrier.hold_count > 0:
        raise conflict("carrier.on_hold", f"carrier {carrier.code} is on hold")
    units = [unit_of(state, uid) for uid in event.uids]
    for unit in units:
        if unit.carrier_id not in (None, carrier.id):
            other = state.carriers_by_id.get(unit.carrier_id or 0)
            raise conflict(
                "carrier.unit_elsewhere",
                f"{unit.uid} is in carrier {other.code if other else unit.carrier_id}; unload it",
                uid=unit.uid,
            )
    loaded = carrier.units | {u.id for u in units}
    if len(loaded) > carrier.capacity:
        raise invalid(
            "carrier.over_capacity",
            f"carrier {carrier.code} holds at most {carrier.capacity} units, not {len(loaded)}",
            capacity=carrier.capacity,
        )
    for unit in units:
        unit.carrier_id = carrier.id
        state.writes.touch(unit)
    carrier.units = loaded
    return {"carrier": carrier.code, "units": len(loaded)}


def carrier_unload(state: BatchState, event: CarrierUnload) -> dict[str, Any]:
    carrier = _carrier(state, event.carrier)
    units = [unit_of(state, uid) for uid in event.uids]
    for unit in units:
        if unit.carrier_id != carrier.id:
            raise invalid("carrier.unit_not_loaded", f"{unit.uid} is not in carrier {carrier.code}")
    for unit in units:
        unit.carrier_id = None
        carrier.units.discard(unit.id)
        state.writes.touch(unit)
    return {"carrier": carrier.code, "units": len(carrier.units)}


def batch_start(state: BatchState, event: BatchStart) -> dict[str, Any]:
    if event.batch in state.batches:
        raise conflict("batch.exists", f"batch run {event.batch} exists", batch=event.batch)
    station = state.current.station(event.station)
    if station.mode != "batch":
        raise invalid(
            "batch.not_batch_equipment",
            f"{station.code} is not batch equipment",
            station=station.code,
        )
    if (event.operation, station.station_type) not in state.current.operations_by_type:
        raise invalid(
            "batch.wrong_operation",
            f"no operation {event.operation} runs at a station of type {station.station_type}",
            operation=event.operation,
        )
    if station.code in state.held_stations:
        raise conflict("station.on_hold", f"station {station.code} is on hold")
    for code in event.carriers:
        if _carrier(state, code).hold_count > 0:
            raise conflict("carrier.on_hold", f"carrier {code} is on hold", carrier=code)
    bath_id = None
    if event.bath is not None:
        bath = state.baths.get(event.bath)
        if bath is None:
            raise not_found("bath.unknown", f"no bath {event.bath!r}", bath=event.bath)
        if bath.detail != station.code:
            raise invalid("bath.wrong_station", f"bath {bath.code} is in {bath.detail}")
        if bath.hold_count > 0:
            raise conflict("bath.on_hold", f"bath {bath.code} is on hold", bath=bath.code)
        bath_id = bath.id
    batch_id = state.batch_ids.take()
    state.writes.new_batches[batch_id] = {
        "id": batch_id,
        "code": event.batch,
        "station_code": station.code,
        "operation_code": event.operation,
        "bath_id": bath_id,
        "carriers": list(event.carriers),
        "started_at": event.at,
        "ended_at": None,
        "parameters": event.parameters,
        "hold_count": 0,
    }
    state.batches[event.batch] = LiveBatch(
        batch_id, event.batch, station.code, event.operation, bath_id, False, 0, event.at
    )
    return {"batch": event.batch}


def batch_end(state: BatchState, event: BatchEnd) -> dict[str, Any]:
    batch = state.batches.get(event.batch)
    if batch is None:
        raise not_found("batch.unknown", f"no batch run {event.batch!r}", batch=event.batch)
    if batch.ended:
        raise conflict("batch.ended", f"batch run {batch.code} has ended", batch=batch.code)
    batch.ended = True
    if batch.bath_id is not None:
        usage = state.writes.bath_usage.setdefault(batch.bath_id, [0, 0.0])
        usage[0] += 1
        usage[1] += max(0.0, (event.at - batch.started_at).total_seconds() / 3600)
    pending = state.writes.new_batches.get(batch.id)
    if pending is not None:
        pending["ended_at"] = event.at
    else:
        state.writes.ended_batches[batch.id] = state.values.time(event.at)
    return {"batch": batch.code}


def equipment_state(state: BatchState, event: EquipmentStateEvent) -> dict[str, Any]:
    station = state.current.station(event.station)
    state.writes.equipment_states.append(
        (station.code, event.state, event.reason, state.values.time(event.at))
    )  # EQUIPMENT_STATE_COLUMNS order
    return {"station": station.code, "state": event.state}
