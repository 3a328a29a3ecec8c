"""Who else wants to know about a batch's measurements, without production knowing them.

Domains above production (quality's live SPC) register an observer once, at application
assembly. Ingest hands every accepted measurement of a characteristic that the plant monitors
(one with an ``spc`` section) to each observer after the batch's rows are written and inside the
same transaction: what an observer writes (a chart point, an alarm, a hold) commits or rolls
back with the events that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session


class Observed(NamedTuple):
    """One accepted measurement of a monitored characteristic, in plain Python values."""

    unit_id: int
    uid: str
    product_code: str
    plant_revision: int
    operation_code: str
    station_code: str
    characteristic_code: str
    value: float
    batch_run_id: int | None
    measured_at: datetime


MeasurementObserver = Callable[[Session, Sequence[Observed]], None]

_OBSERVERS: list[MeasurementObserver] = []


def observe_measurements(observer: MeasurementObserver) -> None:
    """Register an observer (idempotent: registering the same function twice keeps one)."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)


def notify(session: Session, observed: Sequence[Observed]) -> None:
    """Hand the batch's monitored measurements, in event order, to every observer."""
    if not observed:
        return
    for observer in tuple(_OBSERVERS):
        observer(session, observed)
