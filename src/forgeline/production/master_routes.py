"""The production master-data API: work orders, material lots, carriers and baths."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from forgeline.api.deps import SessionDep
from forgeline.api.pagination import Page, PageDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.production import baths, carriers, masterdata
from forgeline.production.schemas import (
    BathAnalysis,
    BathCreate,
    BathDetail,
    BathEventOut,
    BathOut,
    BathReplace,
    BathTopUp,
    CarrierCreate,
    CarrierOut,
    LotCreate,
    LotOut,
    WorkOrderCreate,
    WorkOrderOut,
    WorkOrderRelease,
)
from forgeline.production.tables import Bath, Carrier

router = APIRouter(tags=["production"])
Reader = Annotated[Principal, Depends(require("production.read"))]
OrderManager = Annotated[Principal, Depends(require("workorder.manage"))]
MaterialManager = Annotated[Principal, Depends(require("material.manage"))]
BathManager = Annotated[Principal, Depends(require("bath.manage"))]


def work_order_out(view: masterdata.WorkOrderView) -> WorkOrderOut:
    order = view.work_order
    return WorkOrderOut(
        code=order.code,
        product_code=order.product_code,
        customer_code=order.customer_code,
        quantity=order.quantity,
        due_date=order.due_date,
        status=order.status,
        line_code=order.line_code,
        plant_revision=order.plant_revision,
        created_at=order.created_at,
        released_at=order.released_at,
        progress=view.progress,
        started=view.started,
    )


def _order_view(session: Session, code: str) -> WorkOrderOut:
    order = masterdata.get_work_order(session, code)
    progress = masterdata.work_order_progress(session, [order.id]).get(order.id, {})
    return work_order_out(masterdata.WorkOrderView(order, progress))


@router.get("/work-orders", response_model=Page[WorkOrderOut])
def list_work_orders(
    session: SessionDep, page: PageDep, _p: Reader, status: str | None = None
) -> Page[WorkOrderOut]:
    """Work orders by due date, each with its units per status."""
    views, total = masterdata.list_work_orders(
        session, status=status, limit=page.limit, offset=page.offset
    )
    return Page[WorkOrderOut](
        items=[work_order_out(v) for v in views], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/work-orders", response_model=WorkOrderOut, status_code=201)
def create_work_order(
    body: WorkOrderCreate, session: SessionDep, principal: OrderManager
) -> WorkOrderOut:
    """Plan a work order for a product of the current plant revision."""
    order = masterdata.create_work_order(session, **body.model_dump(), actor=principal.actor)
    return work_order_out(masterdata.WorkOrderView(order))


@router.get("/work-orders/{code}", response_model=WorkOrderOut)
def get_work_order(code: str, session: SessionDep, _p: Reader) -> WorkOrderOut:
    return _order_view(session, code)


@router.post("/work-orders/{code}/release", response_model=WorkOrderOut)
def release_work_order(
    code: str, body: WorkOrderRelease, session: SessionDep, principal: OrderManager
) -> WorkOrderOut:
    """Release a planned order to a line that can start its routing."""
    masterdata.release_work_order(session, code, line_code=body.line_code, actor=principal.actor)
    return _order_view(session, code)


@router.post("/work-orders/{code}/close", response_model=WorkOrderOut)
def close_work_order(code: str, session: SessionDep, principal: OrderManager) -> WorkOrderOut:
    masterdata.close_work_order(session, code, actor=principal.actor)
    return _order_view(session, code)


@router.get("/lots", response_model=Page[LotOut])
def list_lots(
    session: SessionDep, page: PageDep, _p: Reader, kind: str | None = None
) -> Page[LotOut]:
    """Material lots, newest first."""
    rows, total = masterdata.list_lots(session, kind=kind, limit=page.limit, offset=page.offset)
    return Page[LotOut](
        items=[LotOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/lots", response_model=LotOut, status_code=201)
def receive_lot(body: LotCreate, session: SessionDep, principal: MaterialManager) -> LotOut:
    """Receive a supplier lot with its certificate values."""
    lot = masterdata.receive_lot(session, **body.model_dump(), actor=principal.actor)
    return LotOut.model_validate(lot)


@router.get("/lots/{code}", response_model=LotOut)
def get_lot(code: str, session: SessionDep, _p: Reader) -> LotOut:
    return LotOut.model_validate(masterdata.get_lot(session, code))


def _carriers_out(session: Session, rows: list[Carrier]) -> list[CarrierOut]:
    loads = carriers.carrier_loads(session, [c.id for c in rows])
    return [
        CarrierOut(
            code=c.code,
            kind=c.kind,
            capacity=c.capacity,
            hold_count=c.hold_count,
            units=loads.get(c.id, 0),
        )
        for c in rows
    ]


@router.get("/carriers", response_model=Page[CarrierOut])
def list_carriers(
    session: SessionDep, page: PageDep, _p: Reader, kind: str | None = None
) -> Page[CarrierOut]:
    rows, total = carriers.list_carriers(session, kind=kind, limit=page.limit, offset=page.offset)
    return Page[CarrierOut](
        items=_carriers_out(session, rows), total=total, limit=page.limit, offset=page.offset
    )


@router.post("/carriers", response_model=CarrierOut, status_code=201)
def register_carrier(
    body: CarrierCreate, session: SessionDep, principal: MaterialManager
) -> CarrierOut:
    carrier = carriers.register_carrier(session, **body.model_dump(), actor=principal.actor)
    return _carriers_out(session, [carrier])[0]


@router.get("/carriers/{code}", response_model=CarrierOut)
def get_carrier(code: str, session: SessionDep, _p: Reader) -> CarrierOut:
    return _carriers_out(session, [carriers.get_carrier(session, code)])[0]


@router.get("/baths", response_model=Page[BathOut])
def list_baths(
    session: SessionDep,
    page: PageDep,
    _p: Reader,
    station: str | None = None,
    active: Annotated[bool | None, Query(description="true: in use; false: replaced")] = None,
) -> Page[BathOut]:
    rows, total = baths.list_baths(
        session, station_code=station, active=active, limit=page.limit, offset=page.offset
    )
    return Page[BathOut](
        items=[BathOut.model_validate(b) for b in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/baths", response_model=BathOut, status_code=201)
def start_bath(body: BathCreate, session: SessionDep, principal: BathManager) -> BathOut:
    """Start a fresh bath on a station whose type holds one."""
    return BathOut.model_validate(
        baths.start_bath(session, **body.model_dump(), actor=principal.actor)
    )


def _bath_detail(session: Session, bath: Bath) -> BathDetail:
    events = [BathEventOut.model_validate(e) for e in baths.bath_events(session, bath.id)]
    return BathDetail(**BathOut.model_validate(bath).model_dump(), events=events)


@router.get("/baths/{code}", response_model=BathDetail)
def get_bath(code: str, session: SessionDep, _p: Reader) -> BathDetail:
    """A bath with its analyses, top-ups and replacement, newest first."""
    return _bath_detail(session, baths.get_bath(session, code))


@router.post("/baths/{code}/analysis", response_model=BathDetail, status_code=201)
def record_analysis(
    code: str, body: BathAnalysis, session: SessionDep, principal: BathManager
) -> BathDetail:
    baths.record_analysis(session, code, **body.model_dump(), actor=principal.actor)
    return _bath_detail(session, baths.get_bath(session, code))


@router.post("/baths/{code}/top-up", response_model=BathDetail, status_code=201)
def record_top_up(
    code: str, body: BathTopUp, session: SessionDep, principal: BathManager
) -> BathDetail:
    baths.record_top_up(session, code, **body.model_dump(), actor=principal.actor)
    return _bath_detail(session, baths.get_bath(session, code))


@router.post("/baths/{code}/replace", response_model=BathDetail, status_code=201)
def replace_bath(
    code: str, body: BathReplace, session: SessionDep, principal: BathManager
) -> BathDetail:
    """Close the bath and start the new one on the same station; answers the new bath."""
    new = baths.replace_bath(session, code, **body.model_dump(), actor=principal.actor)
    return _bath_detail(session, new)
