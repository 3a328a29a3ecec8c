"""The answers of the trace domain: the device history record (backward) and the recall set
(forward). The service builds them, the API returns them, `forgeline trace --json` prints them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from forgeline.api.schemas import StrictModel

# The lot and bath read models are production's own; a trace shows them as production does.
from forgeline.production.schemas import BathOut, LotOut


class SubjectKind(StrEnum):
    """What an identifier names; also the prefix of the explicit form ("lot:SL-0042")."""

    UNIT = "unit"
    LOT = "lot"
    CARRIER = "carrier"
    BATCH_RUN = "batch_run"
    BATH = "bath"
    STATION = "station"
    OPERATOR = "operator"


class Subject(StrictModel):
    """A resolved identifier: its kind, its canonical code and its row id (None for a station
    or an operator, which are codes on operation records rather than rows)."""

    kind: SubjectKind
    code: str
    id: int | None = None
    unit_kind: str | None = None  # sheet/glass/handset when kind is unit


class CarrierOut(StrictModel):
    code: str
    kind: str
    capacity: int
    hold_count: int


class BathAnalysis(StrictModel):
    """A bath_event of kind 'analysis': the chemistry as measured at `at`."""

    at: datetime
    values: dict[str, Any]


class BatchRunOut(StrictModel):
    """One batch cycle (an ion-exchange cycle) with its bath and the chemistry in force:
    the latest analysis taken at or before the cycle started."""

    code: str
    station_code: str
    operation_code: str
    started_at: datetime
    ended_at: datetime | None
    carriers: list[str]
    parameters: dict[str, Any] | None
    hold_count: int
    bath: BathOut | None
    chemistry: BathAnalysis | None


class MeasurementOut(StrictModel):
    characteristic_code: str
    value: float
    lsl: float | None
    usl: float | None
    in_spec: bool
    operation_code: str
    station_code: str
    measured_at: datetime


class DefectOut(StrictModel):
    defect_code: str
    zone: str | None
    x_mm: float | None
    y_mm: float | None
    size_mm: float | None
    origin_operation: str | None
    station_code: str
    found_at: datetime


class OperationOut(StrictModel):
    """One visit of the unit to an operation, with what was measured and found there."""

    operation_code: str
    station_code: str
    operator: str
    track_in_at: datetime
    track_out_at: datetime | None
    result: str | None
    rework_to: str | None
    visit: int
    carrier: CarrierOut | None
    batch_run: BatchRunOut | None
    measurements: list[MeasurementOut]
    defects: list[DefectOut]


class LotUseOut(StrictModel):
    role: str
    at: datetime
    lot: LotOut


class HoldOut(StrictModel):
    id: int
    target_type: str
    target_code: str
    reason: str
    placed_by: str
    placed_at: datetime
    window_start: datetime | None
    window_end: datetime | None
    released_by: str | None
    released_at: datetime | None

    @property
    def active(self) -> bool:
        return self.released_at is None


class UnitTrace(StrictModel):
    """A unit's device history record and, recursively, those of the units it is made of."""

    uid: str
    kind: str
    product_code: str
    routing_code: str
    status: str
    next_operation: str | None
    current_station: str | None
    hold_count: int
    created_at: datetime
    lot: LotOut | None
    assembled_into: str | None  # uid of the handset this unit went into
    operations: list[OperationOut]
    # Measurements and defects recorded without an operation record (e.g. a lab re-test).
    other_measurements: list[MeasurementOut]
    other_defects: list[DefectOut]
    lots_used: list[LotUseOut]
    holds: list[HoldOut]
    split_from: UnitTrace | None  # the sheet this piece was cut from
    components: list[UnitTrace]  # e.g. the cover glass in a handset


class TimelineEntry(StrictModel):
    """One operation of any unit in the genealogy, for a single time-ordered view."""

    at: datetime
    unit_uid: str
    unit_kind: str
    operation_code: str
    station_code: str
    operator: str
    result: str | None


class BackwardTrace(StrictModel):
    """Everything known about where the subject came from.

    For a unit: its whole genealogy in `unit`. For a lot, carrier, batch run or bath: the
    record itself and the holds on it (its affected pieces are the forward trace).
    """

    subject: Subject
    unit: UnitTrace | None = None
    lot: LotOut | None = None
    carrier: CarrierOut | None = None
    batch_run: BatchRunOut | None = None
    bath: BathOut | None = None
    bath_analyses: list[BathAnalysis] = []
    holds: list[HoldOut] = []
    timeline: list[TimelineEntry] = []


class AffectedUnit(StrictModel):
    """A unit in a recall set, with its current state."""

    uid: str
    kind: str
    product_code: str
    status: str
    next_operation: str | None
    current_station: str | None
    hold_count: int
    handset_uid: str | None  # the handset it went into, if any


class ForwardTrace(StrictModel):
    """The recall answer: every affected piece, every handset containing one, their states."""

    subject: Subject
    since: datetime | None
    until: datetime | None
    pieces: list[AffectedUnit]
    handsets: list[AffectedUnit]
    piece_counts: dict[str, int]  # status -> count
    handset_counts: dict[str, int]
