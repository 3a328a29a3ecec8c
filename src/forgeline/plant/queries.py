"""Reading one revision's normalized rows by the codes people and machines use.

Production, quality, security and the pages call these with the revision their work belongs to;
an unknown code is a NOT_FOUND `DomainError`, never None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

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


CodedRow = TypeVar(
    "CodedRow", PlantStation, PlantRouting, PlantProduct, PlantCharacteristic, PlantDefectCode
)


def _by_code(
    session: Session, model: type[CodedRow], revision: int, code: str, what: str
) -> CodedRow:
    """The revision's row of `model` with this code, or NOT_FOUND `plant.unknown_<what>`."""
    row = session.scalars(
        select(model).where(model.revision == revision, model.code == code)
    ).first()
    if row is None:
        label = what.replace("_", " ")
        raise not_found(
            f"plant.unknown_{what}",
            f"no {label} {code!r} in plant revision {revision}",
            **{what: code, "revision": revision},
        )
    return row


def station(session: Session, revision: int, code: str) -> PlantStation:
    return _by_code(session, PlantStation, revision, code, "station")


def routing(session: Session, revision: int, code: str) -> PlantRouting:
    return _by_code(session, PlantRouting, revision, code, "routing")


def product(session: Session, revision: int, code: str) -> PlantProduct:
    return _by_code(session, PlantProduct, revision, code, "product")


def characteristic(session: Session, revision: int, code: str) -> PlantCharacteristic:
    return _by_code(session, PlantCharacteristic, revision, code, "characteristic")


def defect_code(session: Session, revision: int, code: str) -> PlantDefectCode:
    return _by_code(session, PlantDefectCode, revision, code, "defect_code")


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
