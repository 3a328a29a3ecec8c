"""Which chart a measurement belongs to: the values of its characteristic's SPC contexts.

The plant definition names, per characteristic, the dimensions a chart is kept per
(``spc.contexts``): ``station`` (where it was measured), ``line``, ``product``, ``customer``,
``shift`` (the plant-calendar shift at the measurement time), ``bath`` (the bath of the batch run
the piece was measured in), or a station type code such as ``ion_exchange`` (the station of that
type the piece went through: the measuring station itself when it is of that type, else the
piece's latest visit to one). Everything a batch of measurements needs is read in a few queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.plant.definition import PlantDefinition
from forgeline.production.catalog import PlantCatalog
from forgeline.production.observers import Observed
from forgeline.production.tables import BatchRun, Bath, OperationRecord

NO_VALUE = "-"  # a context with no value for this piece (no bath, no visit of that type)
BUILT_IN = frozenset({"station", "line", "product", "customer", "shift", "bath"})


def context_key(context: dict[str, str]) -> str:
    """The chart's key: its context values in name order, e.g. "bath=B1;product=P"."""
    return ";".join(f"{name}={context[name]}" for name in sorted(context))


def resolve(
    session: Session, observed: Sequence[Observed], catalogs: dict[int, PlantCatalog]
) -> list[dict[str, str]]:
    """Each observation's context values, in the order given."""
    wanted = [_contexts_of(catalogs[o.plant_revision], o) for o in observed]
    baths = _bath_codes(session, {o.batch_run_id for o in observed if o.batch_run_id})
    visits = _visits(session, observed, wanted, catalogs)
    out: list[dict[str, str]] = []
    for obs, names in zip(observed, wanted, strict=True):
        catalog = catalogs[obs.plant_revision]
        plant = catalog.definition
        values: dict[str, str] = {}
        for name in names:
            if name == "station":
                values[name] = obs.station_code
            elif name == "line":
                values[name] = plant.station_spec(obs.station_code).line
            elif name == "product":
                values[name] = obs.product_code
            elif name == "customer":
                values[name] = plant.product(obs.product_code).customer
            elif name == "shift":
                values[name] = shift_at(plant, obs.measured_at)
            elif name == "bath":
                run = obs.batch_run_id
                values[name] = baths.get(run, NO_VALUE) if run is not None else NO_VALUE
            elif catalog.stations[obs.station_code].station_type == name:
                values[name] = obs.station_code
            else:
                values[name] = visits.get((obs.unit_id, name), NO_VALUE)
        out.append(values)
    return out


def _contexts_of(catalog: PlantCatalog, obs: Observed) -> list[str]:
    spc = catalog.monitored.get(obs.characteristic_code)
    return list(spc.contexts) if spc is not None else []


def _bath_codes(session: Session, run_ids: set[int]) -> dict[int, str]:
    if not run_ids:
        return {}
    rows = session.execute(
        select(BatchRun.id, Bath.code)
        .join(Bath, Bath.id == BatchRun.bath_id)
        .where(BatchRun.id.in_(sorted(run_ids)))
    )
    return {int(run): str(code) for run, code in rows}


def _visits(
    session: Session,
    observed: Sequence[Observed],
    wanted: list[list[str]],
    catalogs: dict[int, PlantCatalog],
) -> dict[tuple[int, str], str]:
    """(unit, station type) -> the station of that type the unit visited last."""
    need: dict[str, set[int]] = {}
    for obs, names in zip(observed, wanted, strict=True):
        catalog = catalogs[obs.plant_revision]
        for name in names:
            if name in BUILT_IN or catalog.stations[obs.station_code].station_type == name:
                continue
            need.setdefault(name, set()).add(obs.unit_id)
    found: dict[tuple[int, str], str] = {}
    for station_type, unit_ids in need.items():
        stations = sorted(
            {
                s.code
                for catalog in catalogs.values()
                for s in catalog.stations.values()
                if s.station_type == station_type
            }
        )
        latest = (
            select(OperationRecord.unit_id, func.max(OperationRecord.track_in_at).label("at"))
            .where(
                OperationRecord.unit_id.in_(sorted(unit_ids)),
                OperationRecord.station_code.in_(stations),
            )
            .group_by(OperationRecord.unit_id)
            .subquery()
        )
        rows = session.execute(
            select(OperationRecord.unit_id, OperationRecord.station_code).join(
                latest,
                (latest.c.unit_id == OperationRecord.unit_id)
                & (latest.c.at == OperationRecord.track_in_at),
            )
        )
        for unit_id, station in rows:
            found[(int(unit_id), station_type)] = str(station)
    return found


def shift_at(plant: PlantDefinition, at: datetime) -> str:
    """The code of the plant-calendar shift running at `at` (site time zone)."""
    zone = ZoneInfo(plant.site.timezone)
    local = at.astimezone(zone)
    for day in (local.date(), local.date() - timedelta(days=1)):
        for shift in plant.site.shifts:
            hour, minute = (int(part) for part in shift.start.split(":"))
            start = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
            if start <= at < start + timedelta(hours=shift.hours):
                return shift.code
    return NO_VALUE
