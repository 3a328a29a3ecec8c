"""Handsets as the security domain sees them: the unit row and its model's TACs and territories.

The model comes from the plant revision the unit started under, so a later plant revision that
adds a TAC does not change where an older unit's IMEIs come from.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.errors import invalid, not_found
from forgeline.plant.definition import Handset
from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.tables import Unit

TERRITORIES = frozenset({"IN", "LK", "NP", "BD"})  # the licensee's four, by contract


@dataclass(frozen=True, slots=True)
class HandsetModel:
    code: str
    name: str
    tacs: tuple[str, ...]
    dual_sim: bool
    territories: frozenset[str]

    @property
    def imeis_per_device(self) -> int:
        return 2 if self.dual_sim else 1

    @classmethod
    def of(cls, handset: Handset) -> HandsetModel:
        return cls(
            handset.code,
            handset.name,
            tuple(handset.tacs),
            handset.dual_sim,
            frozenset(handset.territories) & TERRITORIES,
        )


@dataclass(frozen=True, slots=True)
class HandsetUnit:
    uid: str
    status: str
    model: HandsetModel


def models_of_revision(session: Session, revision: int) -> dict[str, HandsetModel]:
    catalog = catalogs(session, [revision])[revision]
    return {h.code: HandsetModel.of(h) for h in catalog.definition.products.handsets}


def current_models(session: Session) -> dict[str, HandsetModel]:
    return models_of_revision(session, current_revision_number(session))


def model_named(session: Session, code: str) -> HandsetModel:
    models = current_models(session)
    if code not in models:
        raise not_found("model.unknown", f"no handset model {code!r} in the plant", model=code)
    return models[code]


def handset_units(session: Session, uids: Collection[str]) -> dict[str, HandsetUnit]:
    """The handsets among `uids` (one query); uids that are no handset are simply absent."""
    rows = session.execute(
        select(Unit.uid, Unit.kind, Unit.status, Unit.product_code, Unit.plant_revision).where(
            Unit.uid.in_(list(uids))
        )
    ).all()
    by_revision = catalogs(session, {r.plant_revision for r in rows})
    found: dict[str, HandsetUnit] = {}
    for row in rows:
        if row.kind != "handset":
            continue
        definition = by_revision[row.plant_revision].definition
        for handset in definition.products.handsets:
            if handset.code == row.product_code:
                found[row.uid] = HandsetUnit(row.uid, row.status, HandsetModel.of(handset))
    return found


def handset_unit(session: Session, uid: str) -> HandsetUnit:
    found = handset_units(session, [uid]).get(uid)
    if found is None:
        raise not_found("unit.not_a_handset", f"no handset with serial {uid!r}", unit=uid)
    return found


def check_territory(model: HandsetModel, territory: str) -> None:
    if territory not in TERRITORIES:
        raise invalid(
            "licence.territory_not_licensed",
            f"territory {territory!r} is outside the licence (IN, LK, NP, BD)",
            territory=territory,
            allowed=sorted(TERRITORIES),
        )
    if territory not in model.territories:
        raise invalid(
            "licence.territory_not_for_model",
            f"model {model.code} is not sold in {territory}",
            territory=territory,
            model=model.code,
        )
