"""Request and response models of the production master-data, hold and performance APIs.

Numbers that have a domain rule (quantity > 0, finite certificate values, aware times) are
checked by the service, not here, so a client gets the stable domain code for each refusal.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from forgeline.api.schemas import StrictModel
from forgeline.production.oee import Oee

Code = Annotated[str, Field(min_length=1, max_length=64)]


class WorkOrderCreate(StrictModel):
    code: Code
    product_code: Code
    quantity: int
    due_date: date


class WorkOrderRelease(StrictModel):
    line_code: Code


class WorkOrderOut(StrictModel):
    code: str
    product_code: str
    customer_code: str
    quantity: int
    due_date: date
    status: str
    line_code: str | None
    plant_revision: int
    created_at: datetime
    released_at: datetime | None
    progress: dict[str, int] = Field(description="units of this order per status")
    started: int = Field(description="units started against this order")


class LotCreate(StrictModel):
    code: Code
    kind: str
    quantity: int
    material: str = ""
    supplier: str = ""
    supplier_lot: str = ""
    certificate: dict[str, Any] | None = Field(
        None, description="certificate-of-analysis values: name -> finite number"
    )
    received_at: datetime | None = None


class LotOut(StrictModel):
    code: str
    kind: str
    material: str
    supplier: str
    supplier_lot: str
    quantity: int
    certificate: dict[str, Any] | None
    received_at: datetime
    hold_count: int


class CarrierCreate(StrictModel):
    code: Code
    kind: str
    capacity: int


class CarrierOut(StrictModel):
    code: str
    kind: str
    capacity: int
    hold_count: int
    units: int = Field(description="units in the carrier now")


class BathCreate(StrictModel):
    code: Code
    station_code: Code
    salt: str = "KNO3"
    started_at: datetime | None = None


class BathAnalysis(StrictModel):
    na_wt_pct: float | None = None
    ca_ppm: float | None = None
    mg_ppm: float | None = None
    temperature_c: float | None = None
    at: datetime | None = None


class BathTopUp(StrictModel):
    salt_kg: float
    note: str = ""
    at: datetime | None = None


class BathReplace(StrictModel):
    new_code: Code
    salt: str | None = None
    at: datetime | None = None


class BathOut(StrictModel):
    code: str
    station_code: str
    salt: str
    started_at: datetime
    replaced_at: datetime | None
    cycles: int
    hours: float
    na_wt_pct: float | None
    ca_ppm: float | None
    mg_ppm: float | None
    hold_count: int


class BathEventOut(StrictModel):
    kind: str
    at: datetime
    values: dict[str, Any]


class BathDetail(BathOut):
    events: list[BathEventOut] = Field(description="newest first")


class HoldCreate(StrictModel):
    target_type: str = Field(description="unit, carrier, lot, bath, batch or station")
    target: str = Field(min_length=1, max_length=80, description="uid or code of the target")
    reason: str
    window_start: datetime | None = None
    window_end: datetime | None = None


class HoldRelease(StrictModel):
    note: str


class HoldOut(StrictModel):
    id: int
    target_type: str
    target: str
    window_start: datetime | None
    window_end: datetime | None
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_note: str | None
    units: int = Field(description="units the hold caught")


class OeeOut(StrictModel):
    """ISO 22400-2 figures of one group; null where there was nothing to measure."""

    key: str
    stations: int
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    performance_over_one: bool = Field(
        description="performance above 1: the ideal cycle time in the plant definition is wrong"
    )
    planned_s: float
    productive_s: float
    ideal_s: float
    total_count: int
    good_count: int
    states_s: dict[str, float] = Field(description="seconds per SEMI E10 state")


def oee_out(key: str, stations: int, result: Oee) -> OeeOut:
    times = result.inputs.times
    return OeeOut(
        key=key,
        stations=stations,
        availability=result.availability,
        performance=result.performance,
        quality=result.quality,
        oee=result.oee,
        performance_over_one=result.performance_over_one,
        planned_s=times.planned,
        productive_s=times.productive,
        ideal_s=result.inputs.ideal_s,
        total_count=result.inputs.total_count,
        good_count=result.inputs.good_count,
        states_s=times.as_dict(),
    )


class OeeReport(StrictModel):
    since: datetime
    until: datetime
    group: str
    rows: list[OeeOut]


class OperationYieldOut(StrictModel):
    operation_code: str
    completed: int
    passed: int
    fpy: float | None


class RolledYieldOut(StrictModel):
    key: str
    rty: float | None
    operations: list[OperationYieldOut]
    missing: list[str] = Field(description="operations with no first visits in the window")


class YieldReportOut(StrictModel):
    since: datetime
    until: datetime
    operations: list[OperationYieldOut]
    routings: list[RolledYieldOut]
    lines: list[RolledYieldOut]


class ParetoBarOut(StrictModel):
    key: str
    count: int
    share: float
    cumulative: float


class ScrapParetoOut(StrictModel):
    since: datetime
    until: datetime
    total: int
    by_defect: list[ParetoBarOut]
    by_origin: list[ParetoBarOut]


class WipRowOut(StrictModel):
    operation_code: str
    waiting: int
    in_process: int
    held: int


class WipOut(StrictModel):
    rows: list[WipRowOut]
