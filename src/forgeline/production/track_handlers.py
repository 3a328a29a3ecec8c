"""Applying track-in and track-out events: one unit, or every unit in a carrier at once.

A carrier event is one fact about the carrier, so it is all or nothing: if one of its units may
not move, the event is refused and none moves. Checks first, changes after, as in every handler.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from forgeline.auth.service import skills_valid
from forgeline.errors import DomainError, conflict, forbidden, invalid, not_found
from forgeline.production import routing
from forgeline.production.catalog import StationInfo
from forgeline.production.events import TrackIn, TrackOut
from forgeline.production.ingest_state import BatchState, LiveBatch, LiveUnit, Operator
from forgeline.production.material_handlers import checked_lots
from forgeline.production.routing import Result, Status, UnitState, next_operation
from forgeline.production.unit_handlers import unit_of


def _targets(state: BatchState, event: TrackIn | TrackOut) -> list[LiveUnit]:
    if event.uid is not None:
        return [unit_of(state, event.uid)]
    carrier = state.carriers.get(event.carrier or "")
    if carrier is None:
        raise not_found("carrier.unknown", f"no carrier {event.carrier!r}", carrier=event.carrier)
    if not carrier.units:
        raise invalid("carrier.empty", f"carrier {carrier.code} holds no units")
    return sorted((state.units_by_id[i] for i in carrier.units), key=lambda u: u.uid)


def _operator(state: BatchState, key: str) -> Operator:
    operator = state.operators.get(key)
    if operator is None:
        raise not_found("operator.unknown", f"no user with username or badge {key!r}", key=key)
    if operator.disabled:
        raise forbidden("operator.inactive", f"user {operator.username} is disabled")
    return operator


def _has_skills(state: BatchState, operator: Operator, station: StationInfo, day: date) -> bool:
    """Whether the operator holds every skill the station needs, unexpired on that day; a batch
    asks about the same few operators, stations and days thousands of times."""
    key = (operator.id, station.skills, day)
    found = state.qualified.get(key)
    if found is None:
        expiries = state.skills.get(operator.id, {})
        found = state.qualified[key] = skills_valid(expiries, station.skills, day)
    return found


def _unit_station(state: BatchState, unit: LiveUnit, code: str) -> StationInfo:
    station = state.station_for(unit, code)
    if code in state.held_stations:
        raise conflict("station.on_hold", f"station {code} is on hold", station=code)
    return station


def _check_carrier_hold(state: BatchState, unit: LiveUnit) -> None:
    if unit.carrier_id is None:
        return
    carrier = state.carriers_by_id.get(unit.carrier_id)
    if carrier is not None and carrier.hold_count > 0:
        raise conflict(
            "carrier.on_hold", f"carrier {carrier.code} is on hold", carrier=carrier.code
        )


def _batch_run(state: BatchState, code: str | None, station: str) -> LiveBatch | None:
    if code is None:
        return None
    batch = state.batches.get(code)
    if batch is None:
        raise not_found("batch.unknown", f"no batch run {code!r}", batch=code)
    if batch.station_code != station:
        raise invalid("batch.wrong_station", f"batch {code} runs at {batch.station_code}")
    if batch.ended:
        raise conflict("batch.ended", f"batch {code} has ended", batch=code)
    if batch.hold_count > 0:
        raise conflict("batch.on_hold", f"batch {code} is on hold", batch=code)
    return batch


def track_in(state: BatchState, event: TrackIn) -> dict[str, Any]:
    units = _targets(state, event)
    operator = _operator(state, event.operator)
    batch = _batch_run(state, event.batch, event.station)
    lot_ids = checked_lots(state, event.lots.items()) if event.lots else []
    day = event.at.date()
    moves: list[tuple[LiveUnit, UnitState, str]] = []
    for unit in units:
        station = _unit_station(state, unit, event.station)
        _check_carrier_hold(state, unit)
        route = state.catalog_of(unit).routes[unit.routing_code]
        operation = event.operation or next_operation(route, unit.state) or ""
        if batch is not None and operation != batch.operation_code:
            raise invalid(
                "batch.wrong_operation",
                f"batch {batch.code} runs {batch.operation_code}, not {operation}",
                uid=unit.uid,
            )
        skilled = _has_skills(state, operator, station, day)
        try:
            moved = routing.track_in(
                route, unit.state, operation, station.station_type, station.code, skilled
            )
        except DomainError as exc:
            exc.details.setdefault("uid", unit.uid)
            raise
        moves.append((unit, moved, operation))
    batch_id = None if batch is None else batch.id
    at = state.values.time(event.at)
    for unit, moved, operation in moves:
        unit.state = moved
        unit.current_record_id = state.open_record(
            unit, operation, operator.username, at, batch_id, event.station
        )
        unit.current_station, unit.current_operation = event.station, operation
        unit.current_batch_run_id = batch_id
        state.writes.touch(unit)
        for role, lot_id in lot_ids:  # rows in LOT_USE_COLUMNS order
            state.writes.lot_uses.append((unit.id, lot_id, role, unit.current_record_id, at))
    return _moved_result(event, units)


def track_out(state: BatchState, event: TrackOut) -> dict[str, Any]:
    units = _targets(state, event)
    result = Result(event.result)
    moves: list[tuple[LiveUnit, UnitState]] = []
    for unit in units:
        state.station_for(unit, event.station)
        if unit.state.status is Status.IN_PROCESS and unit.current_station != event.station:
            raise invalid(
                "track_out.wrong_station",
                f"{unit.uid} is in process at {unit.current_station}, not at {event.station}",
                uid=unit.uid,
                station=unit.current_station,
            )
        route = state.catalog_of(unit).routes[unit.routing_code]
        operation = unit.state.in_operation or unit.current_operation or ""
        try:
            moves.append(
                (unit, routing.track_out(route, unit.state, operation, result, event.rework_to))
            )
        except DomainError as exc:
            exc.details.setdefault("uid", unit.uid)
            raise
    for unit, moved in moves:
        rework_to = moved.rework_target if result is Result.REWORK else None
        state.close_record(unit, event.at, result.value, rework_to)
        unit.state = moved
        state.writes.touch(unit)
    return _moved_result(event, units)


def _moved_result(event: TrackIn | TrackOut, units: list[LiveUnit]) -> dict[str, Any]:
    if event.uid is not None:
        unit = units[0]
        return {"unit": unit.uid, "status": unit.state.status.value}
    statuses: dict[str, int] = {}
    for unit in units:
        statuses[unit.state.status.value] = statuses.get(unit.state.status.value, 0) + 1
    return {"carrier": event.carrier, "units": len(units), "statuses": statuses}
