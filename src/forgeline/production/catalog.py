"""What the ingest path needs to know about one plant revision, parsed once and kept.

A revision never changes once loaded (a changed definition becomes a new revision), so the parsed
form (routes, station types, limits, defect zones) is cached in this process and shared by every
batch. The cache is keyed by the revision's content hash rather than its number alone: the same
process may serve several databases (tests, the bench) whose "revision 1" differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.errors import DomainError, ErrorKind, not_found
from forgeline.plant.definition import CoverGlass, PlantDefinition, Spc
from forgeline.plant.tables import PlantRevision
from forgeline.production.gs1 import to_gtin14
from forgeline.production.routing import Route

_MAX_CACHED = 16
_CACHE: dict[str, PlantCatalog] = {}


@dataclass(frozen=True, slots=True)
class StationInfo:
    code: str
    station_type: str
    skills: tuple[str, ...]
    mode: str


@dataclass(frozen=True, slots=True)
class ProductInfo:
    code: str
    kind: str  # cover_glass / handset
    routing: str
    gtin: str
    cover_glass: str | None  # handsets: the cover-glass SKU they are built with
    gtin14: str  # `gtin` as AI (01) carries it, to compare with a piece's GS1 ID


@dataclass
class PlantCatalog:
    """One revision's look-ups by code; every miss raises a NOT_FOUND `DomainError`."""

    revision: int
    routes: dict[str, Route]
    stations: dict[str, StationInfo]
    products: dict[str, ProductInfo]
    defect_zones: dict[str, frozenset[str]]
    definition: PlantDefinition
    # (operation, station type) of every routing step: may a batch run that operation there.
    operations_by_type: frozenset[tuple[str, str]] = frozenset()
    # Characteristics with an `spc` section, with it: their measurements go to the observers.
    monitored: dict[str, Spc] = field(default_factory=dict)
    _limits: dict[tuple[str, str], tuple[float | None, float | None]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def build(cls, revision: int, plant: PlantDefinition) -> PlantCatalog:
        routes = {r.code: Route.from_definition(r) for r in plant.routings}
        return cls(
            revision=revision,
            routes=routes,
            stations={
                s.code: StationInfo(s.code, s.station_type, s.skills, s.mode)
                for s in plant.station_specs()
            },
            products={
                p.code: ProductInfo(
                    p.code,
                    "cover_glass" if isinstance(p, CoverGlass) else "handset",
                    p.routing,
                    p.gtin,
                    getattr(p, "cover_glass", None),
                    to_gtin14(p.gtin),
                )
                for p in plant.all_products()
            },
            defect_zones={d.code: frozenset(d.zones) for d in plant.defect_codes},
            definition=plant,
            operations_by_type=frozenset(
                (step.code, step.station_type) for r in routes.values() for step in r.steps
            ),
            monitored={c.code: c.spc for c in plant.characteristics if c.spc is not None},
        )

    def station(self, code: str) -> StationInfo:
        found = self.stations.get(code)
        if found is None:
            raise not_found(
                "station.unknown",
                f"no station {code!r} in plant revision {self.revision}",
                station=code,
                revision=self.revision,
            )
        return found

    def product(self, code: str) -> ProductInfo:
        found = self.products.get(code)
        if found is None:
            raise not_found(
                "product.unknown",
                f"no product {code!r} in plant revision {self.revision}",
                product=code,
                revision=self.revision,
            )
        return found

    def limits(self, characteristic: str, product: str) -> tuple[float | None, float | None]:
        """(lsl, usl) for the product: its override if it has one, else the characteristic's."""
        key = (characteristic, product)
        found = self._limits.get(key)
        if found is None:
            limits = self.definition.limits_for(characteristic, product)
            found = self._limits[key] = (limits.lsl, limits.usl)
        return found


def current_revision_number(session: Session) -> int:
    number = session.scalar(select(func.max(PlantRevision.number)))
    if number is None:
        raise DomainError(
            "plant.not_loaded",
            "no plant definition is loaded; run `forgeline plant load FILE`",
            kind=ErrorKind.NOT_FOUND,
        )
    return int(number)


def catalogs(session: Session, numbers: Iterable[int]) -> dict[int, PlantCatalog]:
    """The catalogs of these revisions: one small query, parsing only what is not cached."""
    wanted = set(numbers)
    if not wanted:
        return {}
    found: dict[int, PlantCatalog] = {}
    rows = session.execute(
        select(PlantRevision.number, PlantRevision.content_sha256).where(
            PlantRevision.number.in_(wanted)
        )
    )
    for number, digest in rows:
        key = f"{number}:{digest}"
        catalog = _CACHE.get(key)
        if catalog is None:
            catalog = _load(session, number)
            if len(_CACHE) >= _MAX_CACHED:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = catalog
        found[number] = catalog
    return found


def _load(session: Session, number: int) -> PlantCatalog:
    document = session.scalar(
        select(PlantRevision.definition_json).where(PlantRevision.number == number)
    )
    return PlantCatalog.build(number, PlantDefinition.model_validate(document))
