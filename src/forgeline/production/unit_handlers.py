"""Applying unit events to a batch's in-memory state: start, split, track in/out, measure, defect.

Each handler checks everything first and changes state only after the last check, so a refused
event (a `DomainError`) leaves nothing behind. The routing rules themselves are
`forgeline.production.routing`'s; here is what needs the plant and the rows: stations, operators,
limits, defect codes, GS1 IDs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from forgeline.errors import DomainError, conflict, invalid, not_found
from forgeline.production import routing
from forgeline.production.bulk import DriverValue
from forgeline.production.catalog import PlantCatalog, ProductInfo
from forgeline.production.events import (
    DefectEvent,
    MeasurementEvent,
    Split,
    Start,
)
from forgeline.production.gs1 import parse_gs1_id
from forgeline.production.ingest_state import BatchState, LiveUnit, RecordRow
from forgeline.production.observers import Observed
from forgeline.production.routing import Result, Status, UnitState, next_operation

SERIAL_NUMBER = re.compile(r"^[A-Z0-9]{6,20}$")
_CANONICAL = re.compile(r"\(01\)[0-9]{14}\(21\)[A-Za-z0-9_.-]{1,20}")


@lru_cache(maxsize=65_536)
def canonical_uid(text: str) -> str:
    """The stored form of a uid: a GS1 ID as its element string, anything else as given.

    Scanners send "]d201...21..." and people type "(01)...(21)..."; both must find the piece.
    """
    if _CANONICAL.fullmatch(text):
        return text  # already an element string; a bad check digit simply finds no unit
    if text[:1] in "(]" or (text[:2] == "01" and len(text) > 16 and text[2:16].isdigit()):
        try:
            return parse_gs1_id(text).element_string
        except DomainError:
            return text
    return text


def unit_of(state: BatchState, uid: str) -> LiveUnit:
    unit = state.units.get(canonical_uid(uid))
    if unit is None:
        raise not_found("unit.unknown", f"no unit {uid!r}", uid=uid)
    return unit


def _glass_uid(text: str, product: ProductInfo) -> str:
    gs1 = parse_gs1_id(text)
    if gs1.gtin != product.gtin14:
        raise invalid(
            "gs1.gtin_mismatch",
            f"{text} carries GTIN {gs1.gtin}; product {product.code} is GTIN {product.gtin}",
            uid=text,
            product=product.code,
        )
    return gs1.element_string


def start(state: BatchState, event: Start) -> dict[str, Any]:
    catalog = state.current
    product = catalog.product(event.product)
    wanted = "handset" if event.kind == "handset" else "cover_glass"
    if product.kind != wanted:
        raise invalid(
            "unit.kind_mismatch",
            f"a {event.kind} cannot be a {product.kind} product ({product.code})",
            kind=event.kind,
            product=product.code,
        )
    uid = event.uid
    if event.kind == "glass":
        uid = _glass_uid(event.uid, product)
    elif event.kind == "handset" and not SERIAL_NUMBER.match(uid):
        raise invalid(
            "unit.invalid_serial", f"handset serial {uid!r} must be 6-20 of A-Z and 0-9", uid=uid
        )
    if uid in state.units:
        raise conflict("unit.exists", f"unit {uid} already exists", uid=uid)
    work_order_id = _work_order(state, event.work_order, product.code)
    lot_id = None
    if event.lot is not None:
        lot = state.lots.get(event.lot)
        if lot is None:
            raise not_found("lot.unknown", f"no material lot {event.lot!r}", lot=event.lot)
        if lot.hold_count > 0:
            raise conflict("lot.on_hold", f"lot {lot.code} is on hold", lot=lot.code)
        lot_id = lot.id
    route = catalog.routes[product.routing]
    unit = LiveUnit(
        state.unit_ids.take(), uid, event.kind, product.code, product.routing, catalog.revision,
        work_order_id, lot_id, None, None, UnitState.new(), None, None, None, None, None, 0,
        created_at=event.at, new=True,
    )  # fmt: skip
    state.add_unit(unit)
    return {"unit": uid, "next_operation": next_operation(route, unit.state)}


def _work_order(state: BatchState, code: str | None, product: str) -> int | None:
    if code is None:
        return None
    order = state.work_orders.get(code)
    if order is None:
        raise not_found("work_order.unknown", f"no work order {code!r}", work_order=code)
    if order.detail != product:
        raise invalid(
            "work_order.product_mismatch",
            f"work order {code} makes {order.detail}, not {product}",
            work_order=code,
        )
    return order.id


def split(state: BatchState, event: Split) -> dict[str, Any]:
    parent = unit_of(state, event.parent)
    if parent.kind != "sheet":
        raise invalid("split.not_a_sheet", f"{parent.uid} is a {parent.kind}, not a sheet")
    product = state.catalog_of(parent).product(parent.product_code)
    children: list[str] = []
    for text in event.children:
        uid = _glass_uid(text, product)
        if uid in state.units or uid in children:
            raise conflict("unit.exists", f"unit {uid} already exists", uid=uid)
        children.append(uid)
    sheet = parent.state
    if sheet.held:
        raise conflict("unit.on_hold", f"sheet {parent.uid} is on hold", uid=parent.uid)
    if sheet.status is Status.WAITING and sheet.position >= 0:
        # Cut and tracked out already: the pieces wait where the sheet waited.
        consumed = UnitState(Status.CONSUMED, sheet.position, None, None, sheet.rework_counts)
        piece = UnitState(Status.WAITING, sheet.position, None, None, sheet.rework_counts)
    else:
        # Split during the cut: each piece is in process there and is tracked out on its own.
        consumed, piece = routing.split(sheet)
    record = state.split_records.get(parent.current_record_id or 0)
    new_record = state.writes.new_records.get(parent.current_record_id or 0)
    at = state.values.time(event.at)
    for uid in children:
        child = LiveUnit(
            state.unit_ids.take(), uid, "glass", parent.product_code, parent.routing_code,
            parent.plant_revision, parent.work_order_id, parent.lot_id, parent.id, None, piece,
            parent.current_station, parent.current_operation, None, parent.current_batch_run_id,
            None, 0, created_at=event.at, new=True,
        )  # fmt: skip
        if piece.status is Status.IN_PROCESS:
            operator, since = _visit_of(state, record, new_record, at)
            child.current_record_id = state.open_record(
                child, piece.in_operation or "", operator, since, None
            )
        state.add_unit(child)
    if sheet.status is Status.IN_PROCESS:
        state.close_record(parent, event.at, Result.PASS.value, None)
    parent.state = consumed
    state.writes.touch(parent)
    return {"consumed": parent.uid, "children": children}


def _visit_of(
    state: BatchState, stored: Any, new: RecordRow | None, at: DriverValue
) -> tuple[str, DriverValue]:
    """Operator and track-in time of the sheet's open visit, which its pieces inherit."""
    if new is not None:
        return new.operator, new.track_in_at
    if stored is not None:
        return str(stored[1]), state.values.time(stored[2])
    return "unknown", at


def measurement(state: BatchState, event: MeasurementEvent) -> dict[str, Any]:
    unit = unit_of(state, event.uid)
    catalog = state.catalog_of(unit)
    catalog.station(event.station)
    operation = _operation_at(unit, event.station, "measurement")
    step = catalog.routes[unit.routing_code].step(operation)
    if event.characteristic not in step.measurements:
        raise invalid(
            "measurement.not_in_plan",
            f"{event.characteristic} is not measured at {operation}",
            characteristic=event.characteristic,
            operation=operation,
            allowed=sorted(step.measurements),
        )
    lsl, usl = catalog.limits(event.characteristic, unit.product_code)
    value = event.value
    in_spec = (lsl is None or value >= lsl) and (usl is None or value <= usl)
    state.writes.measurements.append(
        (
            unit.id, unit.current_record_id, operation, event.station, event.characteristic,
            value, lsl, usl, in_spec, unit.current_batch_run_id, state.values.time(event.at),
        )
    )  # MEASUREMENT_COLUMNS order  # fmt: skip
    if event.characteristic in catalog.monitored:
        state.observed.append(
            Observed(
                unit.id, unit.uid, unit.product_code, unit.plant_revision, operation,
                event.station, event.characteristic, value, unit.current_batch_run_id, event.at,
            )
        )  # fmt: skip
    return {"unit": unit.uid, "in_spec": in_spec}


def _operation_at(unit: LiveUnit, station: str, what: str) -> str:
    """The operation in process at the station, or the one the unit just completed there."""
    if unit.current_station != station or unit.current_operation is None:
        raise invalid(
            f"{what}.wrong_station",
            f"{unit.uid} has no current or just-completed operation at {station}",
            uid=unit.uid,
            station=unit.current_station,
        )
    return unit.current_operation


def defect(state: BatchState, event: DefectEvent) -> dict[str, Any]:
    unit = unit_of(state, event.uid)
    catalog: PlantCatalog = state.catalog_of(unit)
    catalog.station(event.station)
    zones = catalog.defect_zones.get(event.code)
    if zones is None:
        raise not_found(
            "defect.unknown_code", f"no defect code {event.code!r}", defect_code=event.code
        )
    if event.zone is not None and event.zone not in zones:
        raise invalid(
            "defect.zone_not_allowed",
            f"defect {event.code} is not recorded in zone {event.zone}",
            allowed=sorted(zones),
        )
    route = catalog.routes[unit.routing_code]
    if event.origin is not None:
        route.index(event.origin)
    at_station = unit.current_station == event.station
    state.writes.defects.append(
        (
            unit.id, unit.current_record_id if at_station else None, event.code, event.zone,
            event.x_mm, event.y_mm, event.size_mm, event.origin, event.station,
            state.values.time(event.at),
        )
    )  # DEFECT_COLUMNS order  # fmt: skip
    if unit.state.status is Status.SCRAPPED:  # it may now be its scrap's primary defect
        state.writes.scrap_units.add(unit.id)
    return {"unit": unit.uid}
