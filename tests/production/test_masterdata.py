"""Work orders, lots, carriers and baths: valid writes are audited, bad input has a stable code."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forgeline.errors import DomainError, ErrorKind
from forgeline.production import baths, carriers, masterdata
from tests.production import rows
from tests.production.rows import at

DUE = date(2026, 4, 30)


@pytest.fixture
def plant(db: Session) -> None:
    rows.load_plant(db)


def refusal(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def order(db: Session, code: str = "WO-1", product: str = "CG-AUR-A55", quantity: int = 500) -> Any:
    return masterdata.create_work_order(
        db, code=code, product_code=product, quantity=quantity, due_date=DUE, actor="user:p"
    )


def test_work_order_takes_customer_and_revision_from_the_plant(db: Session, plant: None) -> None:
    created = order(db, product="CG-KES-N1")
    assert (created.customer_code, created.status, created.plant_revision) == (
        "KESTREL",
        "planned",
        1,
    )
    [entry] = rows.audit_entries(db, "workorder.created")
    assert entry.object_id == "WO-1" and entry.after is not None
    assert entry.after["customer"] == "KESTREL"


@pytest.mark.parametrize(
    ("kwargs", "code", "kind"),
    [
        ({"quantity": 0}, "workorder.quantity_invalid", ErrorKind.INVALID),
        ({"product": "NO-SUCH"}, "plant.unknown_product", ErrorKind.NOT_FOUND),
        ({"code": "bad code!"}, "workorder.code_invalid", ErrorKind.INVALID),
    ],
)
def test_bad_work_orders_are_refused(
    db: Session, plant: None, kwargs: dict[str, Any], code: str, kind: ErrorKind
) -> None:
    error = refusal(order, db, **kwargs)
    assert (error.code, error.kind) == (code, kind)


def test_duplicate_work_order_is_a_conflict(db: Session, plant: None) -> None:
    order(db)
    error = refusal(order, db)
    assert (error.code, error.kind) == ("workorder.duplicate", ErrorKind.CONFLICT)
    assert masterdata.list_work_orders(db)[1] == 1  # the session is still usable


def test_work_order_release_and_close(db: Session, plant: None) -> None:
    order(db)
    error = refusal(masterdata.release_work_order, db, "WO-1", line_code="HS-L1", actor="user:p")
    assert error.code == "workorder.line_cannot_start"
    error = refusal(masterdata.release_work_order, db, "WO-1", line_code="NOPE", actor="user:p")
    assert error.code == "workorder.unknown_line"
    released = masterdata.release_work_order(db, "WO-1", line_code="FAB-1", actor="user:p")
    assert (released.status, released.line_code) == ("released", "FAB-1")
    assert released.released_at is not None
    error = refusal(masterdata.release_work_order, db, "WO-1", line_code="FAB-1", actor="user:p")
    assert (error.code, error.kind) == ("workorder.not_planned", ErrorKind.CONFLICT)
    assert masterdata.close_work_order(db, "WO-1", actor="user:p").status == "closed"
    assert refusal(masterdata.close_work_order, db, "WO-1", actor="user:p").code == (
        "workorder.already_closed"
    )
    assert refusal(masterdata.get_work_order, db, "WO-9").code == "workorder.not_found"
    actions = [e.action for e in rows.audit_entries(db, "workorder.released")]
    assert actions == ["workorder.released"]


def test_work_order_progress_counts_units_per_status(db: Session, plant: None) -> None:
    first, second = order(db, "WO-1"), order(db, "WO-2")
    for uid, status in (("A", "waiting"), ("B", "waiting"), ("C", "finished"), ("D", "scrapped")):
        rows.unit(db, uid, status=status, work_order_id=first.id)
    views, total = masterdata.list_work_orders(db)
    assert total == 2
    progress = {v.work_order.code: v.progress for v in views}
    assert progress == {"WO-1": {"waiting": 2, "finished": 1, "scrapped": 1}, "WO-2": {}}
    assert next(v for v in views if v.work_order.id == first.id).started == 4
    assert second.status == "planned"


def test_receive_lot_with_certificate(db: Session) -> None:
    lot = masterdata.receive_lot(
        db,
        code="GL-2026-001",
        kind="glass_sheet",
        quantity=1200,
        supplier="Glassworks",
        supplier_lot="S-77",
        certificate={"thickness_mm": 0.57, "bow_mm": 0.08, "sheets": 1200},
        actor="user:l",
    )
    assert lot.certificate == {"thickness_mm": 0.57, "bow_mm": 0.08, "sheets": 1200.0}
    assert rows.audit_entries(db, "lot.received")[0].object_id == "GL-2026-001"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "steel"}, "lot.kind_invalid"),
        ({"quantity": -1}, "lot.quantity_invalid"),
        ({"certificate": {"cs": float("nan")}}, "lot.certificate_invalid"),
        ({"certificate": {"cs": float("inf")}}, "lot.certificate_invalid"),
        ({"certificate": {"cs": "high"}}, "lot.certificate_invalid"),
        ({"certificate": {"ok": True}}, "lot.certificate_invalid"),
        ({"certificate": {"": 1.0}}, "lot.certificate_invalid"),
        ({"received_at": at(0).replace(tzinfo=None)}, "lot.time_naive"),
    ],
)
def test_bad_lots_are_refused(db: Session, kwargs: dict[str, Any], code: str) -> None:
    given: dict[str, Any] = {"code": "L-1", "kind": "ink", "quantity": 5, **kwargs}
    assert refusal(masterdata.receive_lot, db, actor="user:l", **given).code == code


def test_duplicate_lot_is_a_conflict(db: Session) -> None:
    masterdata.receive_lot(db, code="L-1", kind="ink", quantity=5, actor="user:l")
    error = refusal(masterdata.receive_lot, db, code="L-1", kind="ink", quantity=5, actor="x")
    assert (error.code, error.kind) == ("lot.duplicate", ErrorKind.CONFLICT)


def test_carriers(db: Session) -> None:
    tray = carriers.register_carrier(db, code="TRAY-1", kind="tray", capacity=50, actor="user:l")
    rows.unit(db, "A", carrier=tray)
    assert carriers.carrier_loads(db, [tray.id]) == {tray.id: 1}
    assert refusal(
        carriers.register_carrier, db, code="TRAY-1", kind="tray", capacity=50, actor="x"
    ).code == ("carrier.duplicate")
    assert refusal(
        carriers.register_carrier, db, code="T-2", kind="box", capacity=50, actor="x"
    ).code == ("carrier.kind_invalid")
    assert refusal(
        carriers.register_carrier, db, code="T-2", kind="tray", capacity=0, actor="x"
    ).code == ("carrier.capacity_invalid")


def test_bath_lifecycle(db: Session, plant: None) -> None:
    first = baths.start_bath(db, code="B-IOX1-1", station_code="IOX-01", actor="user:o")
    assert baths.active_bath(db, "IOX-01") is first
    baths.record_analysis(db, "B-IOX1-1", na_wt_pct=0.21, ca_ppm=12, actor="user:q")
    baths.record_analysis(db, "B-IOX1-1", mg_ppm=4, temperature_c=451, actor="user:q")
    assert (first.na_wt_pct, first.ca_ppm, first.mg_ppm) == (0.21, 12, 4)
    baths.record_top_up(db, "B-IOX1-1", salt_kg=25, note="after 30 cycles", actor="user:o")
    second = baths.replace_bath(db, "B-IOX1-1", new_code="B-IOX1-2", actor="user:o")
    assert first.replaced_at is not None and second.started_at == first.replaced_at
    assert baths.active_bath(db, "IOX-01") is second and second.station_code == "IOX-01"
    kinds = [e.kind for e in baths.bath_events(db, first.id)]
    assert sorted(kinds) == ["analysis", "analysis", "replaced", "top_up"]
    error = refusal(baths.record_analysis, db, "B-IOX1-1", na_wt_pct=0.3, actor="x")
    assert (error.code, error.kind) == ("bath.replaced", ErrorKind.CONFLICT)
    assert rows.audit_actions(db, "bath.") == {
        "bath.started",
        "bath.analysis",
        "bath.top_up",
        "bath.replaced",
    }


@pytest.mark.parametrize(
    ("station", "code"),
    [("CNC-01", "bath.station_has_no_bath"), ("NOPE-1", "bath.unknown_station")],
)
def test_baths_only_on_bath_stations(db: Session, plant: None, station: str, code: str) -> None:
    error = refusal(baths.start_bath, db, code="B-1", station_code=station, actor="x")
    assert error.code == code


def test_one_active_bath_per_station_and_unique_codes(db: Session, plant: None) -> None:
    baths.start_bath(db, code="B-1", station_code="IOX-01", actor="x")
    assert refusal(baths.start_bath, db, code="B-2", station_code="IOX-01", actor="x").code == (
        "bath.station_busy"
    )
    assert refusal(baths.start_bath, db, code="B-1", station_code="IOX-02", actor="x").code == (
        "bath.duplicate"
    )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({}, "bath.analysis_empty"),
        ({"na_wt_pct": 150.0}, "bath.analysis_invalid"),
        ({"ca_ppm": -1.0}, "bath.analysis_invalid"),
        ({"temperature_c": float("nan")}, "bath.analysis_invalid"),
        ({"na_wt_pct": 0.2, "at": at(-200)}, "bath.time_before_start"),
    ],
)
def test_bad_analyses_are_refused(
    db: Session, plant: None, kwargs: dict[str, Any], code: str
) -> None:
    baths.start_bath(db, code="B-1", station_code="IOX-01", actor="x", started_at=at(-100))
    assert refusal(baths.record_analysis, db, "B-1", actor="x", **kwargs).code == code


def test_bad_top_up_is_refused(db: Session, plant: None) -> None:
    baths.start_bath(db, code="B-1", station_code="IOX-01", actor="x")
    assert refusal(baths.record_top_up, db, "B-1", salt_kg=0, actor="x").code == (
        "bath.top_up_invalid"
    )
    assert refusal(baths.record_top_up, db, "B-9", salt_kg=1, actor="x").code == "bath.not_found"
