"""Production master data: work orders and material lots (carriers, baths: own modules).

Every write is audited and refuses bad input with a `DomainError` whose code names the area
("workorder.", "lot."); a duplicate code is a conflict. Codes are what people type
and scan, so they are checked against one pattern. Nothing here commits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.db.base import Base, utcnow
from forgeline.errors import conflict, invalid, not_found
from forgeline.plant import queries as plant_queries
from forgeline.plant.service import current_revision
from forgeline.plant.tables import PlantLine, PlantStation
from forgeline.production.tables import MaterialLot, Unit, WorkOrder

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LOT_KINDS = frozenset({"glass_sheet", "ink", "coating", "pcba", "battery", "other"})
MAX_TEXT = 200
MAX_CERTIFICATE_VALUES = 200

Row = TypeVar("Row", bound=Base)


def checked_code(value: str, area: str) -> str:
    """A master-data code, or `<area>.code_invalid`."""
    if not CODE_PATTERN.match(value):
        raise invalid(
            f"{area}.code_invalid",
            f"{value!r} is not a valid code: 1-64 letters, digits, '_', '.' or '-'",
            value=value,
        )
    return value


def aware(value: datetime | None, code: str) -> datetime:
    """The given time (or now) as an aware datetime; a naive one is refused with `code`."""
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        raise invalid(code, "times need a time zone (UTC offset)")
    return value


def insert_unique(session: Session, row: Row, code: str, message: str, **details: Any) -> Row:
    """Insert in a savepoint so a duplicate (even one racing us) is a conflict, not a 500."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise conflict(code, message, **details) from exc
    return row


# -- work orders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkOrderView:
    """A work order and its progress: how many of its units are in each status."""

    work_order: WorkOrder
    progress: dict[str, int] = field(default_factory=dict)

    @property
    def started(self) -> int:
        return sum(self.progress.values())


def work_order_summary(order: WorkOrder) -> dict[str, object]:
    return {
        "code": order.code,
        "product": order.product_code,
        "customer": order.customer_code,
        "quantity": order.quantity,
        "due_date": order.due_date.isoformat(),
        "status": order.status,
        "line": order.line_code,
        "plant_revision": order.plant_revision,
    }


def create_work_order(
    session: Session,
    *,
    code: str,
    product_code: str,
    quantity: int,
    due_date: date,
    actor: str,
) -> WorkOrder:
    """A planned work order for a product of the current plant revision, for its customer."""
    checked_code(code, "workorder")
    if quantity <= 0:
        raise invalid("workorder.quantity_invalid", "quantity must be positive", quantity=quantity)
    revision = current_revision(session)
    product = plant_queries.product(session, revision.number, product_code)
    order = WorkOrder(
        code=code,
        product_code=product.code,
        customer_code=product.customer_code,
        quantity=quantity,
        due_date=due_date,
        status="planned",
        plant_revision=revision.number,
        created_at=utcnow(),
    )
    insert_unique(
        session, order, "workorder.duplicate", f"work order {code} exists already", work_order=code
    )
    append(
        session,
        actor=actor,
        action="workorder.created",
        object_type="work_order",
        object_id=code,
        after=work_order_summary(order),
    )
    return order


def get_work_order(session: Session, code: str) -> WorkOrder:
    order = session.scalars(select(WorkOrder).where(WorkOrder.code == code)).first()
    if order is None:
        raise not_found("workorder.not_found", f"no work order {code!r}", work_order=code)
    return order


def _first_station_types(session: Session, revision: int, routing_code: str) -> set[str]:
    """Station types of the routing's first operation (skipping rework-only steps)."""
    routing = plant_queries.routing(session, revision, routing_code)
    first = next(op for op in routing.operations if not op.rework_only)
    return {first.station_type}


def release_work_order(session: Session, code: str, *, line_code: str, actor: str) -> WorkOrder:
    """Release a planned order to a line that can start its routing."""
    order = get_work_order(session, code)
    if order.status != "planned":
        raise conflict(
            "workorder.not_planned",
            f"work order {code} is {order.status}; only a planned order can be released",
            status=order.status,
        )
    revision = current_revision(session).number
    line = session.scalars(
        select(PlantLine).where(PlantLine.revision == revision, PlantLine.code == line_code)
    ).first()
    if line is None:
        raise not_found("workorder.unknown_line", f"no line {line_code!r}", line=line_code)
    product = plant_queries.product(session, revision, order.product_code)
    needed = _first_station_types(session, revision, product.routing_code)
    types = set(
        session.scalars(
            select(PlantStation.station_type).where(
                PlantStation.revision == revision, PlantStation.line_code == line_code
            )
        )
    )
    if not needed & types:
        raise invalid(
            "workorder.line_cannot_start",
            f"line {line_code} has no station for the first operation of {product.routing_code}",
            line=line_code,
            needs=sorted(needed),
        )
    before = work_order_summary(order)
    order.status, order.line_code, order.released_at = "released", line_code, utcnow()
    session.flush()
    append(
        session,
        actor=actor,
        action="workorder.released",
        object_type="work_order",
        object_id=code,
        before=before,
        after=work_order_summary(order),
    )
    return order


def close_work_order(session: Session, code: str, *, actor: str) -> WorkOrder:
    """Close an order (planned or released): no further units start against it."""
    order = get_work_order(session, code)
    if order.status == "closed":
        raise conflict("workorder.already_closed", f"work order {code} is closed", work_order=code)
    before = work_order_summary(order)
    order.status = "closed"
    session.flush()
    append(
        session,
        actor=actor,
        action="workorder.closed",
        object_type="work_order",
        object_id=code,
        before=before,
        after=work_order_summary(order),
    )
    return order


def list_work_orders(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[WorkOrderView], int]:
    """Work orders by due date then code, each with its progress; and the total count."""
    query = select(WorkOrder)
    if status is not None:
        query = query.where(WorkOrder.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    orders = list(
        session.scalars(
            query.order_by(WorkOrder.due_date, WorkOrder.code).limit(limit).offset(offset)
        )
    )
    progress = work_order_progress(session, [o.id for o in orders])
    return [WorkOrderView(o, progress.get(o.id, {})) for o in orders], int(total)


def work_order_progress(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """Units per status for each work order, in one grouped query (ix_unit_work_order)."""
    progress: dict[int, dict[str, int]] = {}
    if not ids:
        return progress
    rows = session.execute(
        select(Unit.work_order_id, Unit.status, func.count())
        .where(Unit.work_order_id.in_(ids))
        .group_by(Unit.work_order_id, Unit.status)
    )
    for order_id, status, count in rows:
        if order_id is not None:
            progress.setdefault(order_id, {})[status] = int(count)
    return progress


# -- material lots -------------------------------------------------------------------------------


def _certificate(values: Mapping[str, object] | None) -> dict[str, float] | None:
    """Certificate-of-analysis values: named finite numbers, nothing else."""
    if values is None:
        return None
    if len(values) > MAX_CERTIFICATE_VALUES:
        raise invalid("lot.certificate_invalid", "too many certificate values")
    checked: dict[str, float] = {}
    for name, value in values.items():
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not name or len(name) > 64 or not number_ok or not math.isfinite(value):  # type: ignore[arg-type]
            raise invalid(
                "lot.certificate_invalid",
                f"certificate value {name!r} must be a finite number",
                name=name,
            )
        checked[name] = float(value)  # type: ignore[arg-type]
    return checked


def _text(value: str, code: str, name: str) -> str:
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise invalid(code, f"{name} is over {MAX_TEXT} characters")
    return value


def receive_lot(
    session: Session,
    *,
    code: str,
    kind: str,
    quantity: int,
    actor: str,
    material: str = "",
    supplier: str = "",
    supplier_lot: str = "",
    certificate: Mapping[str, object] | None = None,
    received_at: datetime | None = None,
) -> MaterialLot:
    """Receive a supplier lot with its certificate values."""
    checked_code(code, "lot")
    if kind not in LOT_KINDS:
        raise invalid("lot.kind_invalid", f"unknown lot kind {kind!r}", allowed=sorted(LOT_KINDS))
    if quantity <= 0:
        raise invalid("lot.quantity_invalid", "quantity must be positive", quantity=quantity)
    if len(supplier_lot) > 64:
        raise invalid("lot.supplier_lot_invalid", "the supplier lot is over 64 characters")
    lot = MaterialLot(
        code=code,
        kind=kind,
        material=_text(material, "lot.material_invalid", "material"),
        supplier=_text(supplier, "lot.supplier_invalid", "supplier"),
        supplier_lot=supplier_lot.strip(),
        quantity=quantity,
        certificate=_certificate(certificate),
        received_at=aware(received_at, "lot.time_naive"),
        hold_count=0,
    )
    insert_unique(session, lot, "lot.duplicate", f"lot {code} exists already", lot=code)
    append(
        session,
        actor=actor,
        action="lot.received",
        object_type="material_lot",
        object_id=code,
        after={
            "kind": kind,
            "material": lot.material,
            "supplier": lot.supplier,
            "supplier_lot": lot.supplier_lot,
            "quantity": quantity,
            "certificate": lot.certificate,
        },
    )
    return lot


def get_lot(session: Session, code: str) -> MaterialLot:
    lot = session.scalars(select(MaterialLot).where(MaterialLot.code == code)).first()
    if lot is None:
        raise not_found("lot.not_found", f"no lot {code!r}", lot=code)
    return lot


def list_lots(
    session: Session, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[MaterialLot], int]:
    """Lots newest first; and the total count."""
    query = select(MaterialLot)
    if kind is not None:
        query = query.where(MaterialLot.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(MaterialLot.received_at.desc(), MaterialLot.code).limit(limit).offset(offset)
    )
    return list(rows), int(total)
