"""Reading one revision's normalized rows by the codes people and machines use.

Production, quality, security and the pages call these with the revision their work belongs to;
an unknown code is a NOT_FOUND `DomainError`, never None.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.errors import not_found
from forgeline.plant.tables import (
    PlantCharacteristic,
    PlantDefectCode,
    PlantLine,
    PlantProduct,
    PlantRouting,
    PlantStation,
    PlantTac,
)


@dataclass(frozen=True)
class LineStations:
    line: PlantLine
    stations: list[PlantStation]


def lines_with_stations(session: Session, revision: int) -> list[LineStations]:
    """Lines in definition order (grouped by area), each with its stations in order."""
    lines = session.scalars(
        select(PlantLine).where(PlantLine.revision == revision).order_by(PlantLine.position)
    ).all()
    stations = session.scalars(
        select(PlantStation)
        .where(PlantStation.revision == revision)
        .order_by(PlantStation.position)
    ).all()
    by_line: dict[str, list[PlantStation]] = {line.code: [] for line in lines}
    for station in stations:
        by_line[station.line_code].append(station)
    return [LineStations(line, by_line[line.code]) for line in lines]


def products(session: Session, revision: int) -> list[PlantProduct]:
    return list(
        session.scalars(
            select(PlantProduct)
            .where(PlantProduct.revision == revision)
            .order_by(PlantProduct.kind, PlantProduct.code)
        ).all()
    )


def routings(session: Session, revision: int) -> list[PlantRouting]:
    """Routings by code, each with `operations` loaded in order."""
    return list(
        session.scalars(
            select(PlantRouting)
            .where(PlantRouting.revision == revision)
            .order_by(PlantRouting.code)
        ).all()
    )


def station(session: Session, revision: int, code: str) -> PlantStation:
    row = session.scalars(
        select(PlantStation).where(PlantStation.revision == revision, PlantStation.code == code)
    ).first()
    if row is None:
        raise not_found(
            "plant.unknown_station",
            f"no station {code!r} in plant revision {revision}",
            station=code,
            revision=revision,
        )
    return row


def routing(session: Session, revision: int, code: str) -> PlantRouting:
    row = session.scalars(
        select(PlantRouting).where(PlantRouting.revision == revision, PlantRouting.code == code)
    ).first()
    if row is None:
        raise not_found(
            "plant.unknown_routing",
            f"no routing {code!r} in plant revision {revision}",
            routing=code,
            revision=revision,
        )
    return row


def product(session: Session, revision: int, code: str) -> PlantProduct:
    row = session.scalars(
        select(PlantProduct).where(PlantProduct.revision == revision, PlantProduct.code == code)
    ).first()
    if row is None:
        raise not_found(
            "plant.unknown_product",
            f"no product {code!r} in plant revision {revision}",
            product=code,
            revision=revision,
        )
    return row


def characteristic(session: Session, revision: int, code: str) -> PlantCharacteristic:
    row = session.scalars(
        select(PlantCharacteristic).where(
            PlantCharacteristic.revision == revision, PlantCharacteristic.code == code
        )
    ).first()
    if row is None:
        raise not_found(
            "plant.unknown_characteristic",
            f"no characteristic {code!r} in plant revision {revision}",
            characteristic=code,
            revision=revision,
        )
    return row


def defect_code(session: Session, revision: int, code: str) -> PlantDefectCode:
    row = session.scalars(
        select(PlantDefectCode).where(
            PlantDefectCode.revision == revision, PlantDefectCode.code == code
        )
    ).first()
    if row is None:
        raise not_found(
            "plant.unknown_defect_code",
            f"no defect code {code!r} in plant revision {revision}",
            defect_code=code,
            revision=revision,
        )
    return row


def product_for_tac(session: Session, revision: int, tac: str) -> PlantProduct:
    """The handset model that owns a TAC (the first 8 digits of its IMEIs)."""
    row = session.scalars(
        select(PlantProduct)
        .join(
            PlantTac,
            (PlantTac.product_code == PlantProduct.code)
            & (PlantTac.revision == PlantProduct.revision),
        )
        .where(PlantTac.revision == revision, PlantTac.tac == tac)
    ).first()
    if row is None:
        raise not_found(
            "plant.unknown_tac",
            f"no handset model has TAC {tac!r} in plant revision {revision}",
            tac=tac,
            revision=revision,
        )
    return row
