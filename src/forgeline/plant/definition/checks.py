"""Cross-reference rules a single field cannot check: codes unique, references resolve, limits
ordered. Each problem carries the exact field path, so the loader can name the YAML line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forgeline.plant.definition.document import PlantDefinition
from forgeline.plant.definition.process import (
    Characteristic,
    CoverGlass,
    Handset,
    Limits,
    Operation,
    Routing,
)
from forgeline.plant.definition.site import StationType

Loc = tuple[str | int, ...]
BUILTIN_SPC_CONTEXTS = frozenset({"station", "line", "product", "customer", "shift", "bath"})


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str


class _Problems:
    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, loc: Loc, message: str) -> None:
        self.found.append(Problem(loc, message))

    def unique(self, items: Iterable[tuple[Loc, str]], what: str) -> None:
        seen: dict[str, Loc] = {}
        for loc, code in items:
            if code in seen:
                self.add(loc, f"duplicate {what} {code!r} (first at {format_loc(seen[code])})")
            else:
                seen[code] = loc

    def known(self, loc: Loc, code: str, known: set[str] | frozenset[str], what: str) -> bool:
        if code in known:
            return True
        self.add(loc, f"unknown {what} {code!r}")
        return False


def format_loc(loc: Loc) -> str:
    """`('areas', 0, 'lines', 1, 'code')` -> `areas[0].lines[1].code`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def check_definition(plant: PlantDefinition) -> list[Problem]:
    """Every cross-reference problem in the definition, in document order."""
    problems = _Problems()
    _check_site(plant, problems)
    _check_equipment(plant, problems)
    _check_characteristics(plant, problems)
    _check_defects(plant, problems)
    _check_routings(plant, problems)
    _check_products(plant, problems)
    return problems.found


def _check_site(plant: PlantDefinition, problems: _Problems) -> None:
    try:
        ZoneInfo(plant.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(("site", "timezone"), f"unknown time zone {plant.site.timezone!r}")
    shifts = plant.site.shifts
    problems.unique(
        ((("site", "shifts", i, "code"), s.code) for i, s in enumerate(shifts)), "shift"
    )
    if sum(s.hours for s in shifts) > 24:
        problems.add(("site", "shifts"), "shifts add up to more than 24 hours a day")


def _check_equipment(plant: PlantDefinition, problems: _Problems) -> None:
    skills = {s.code for s in plant.skills}
    problems.unique(((("skills", i, "code"), s.code) for i, s in enumerate(plant.skills)), "skill")
    types = plant.station_types
    problems.unique(
        ((("station_types", i, "code"), t.code) for i, t in enumerate(types)), "station type"
    )
    for i, kind in enumerate(types):
        _check_batch_fields(("station_types", i), kind, kind.batch_size, problems)
        for j, skill in enumerate(kind.skills):
            problems.known(("station_types", i, "skills", j), skill, skills, "skill")
    type_by_code = {t.code: t for t in types}
    areas, lines, stations = [], [], []
    for a, area in enumerate(plant.areas):
        areas.append((("areas", a, "code"), area.code))
        for li, line in enumerate(area.lines):
            lines.append((("areas", a, "lines", li, "code"), line.code))
            for s, station in enumerate(line.stations):
                loc: Loc = ("areas", a, "lines", li, "stations", s)
                stations.append(((*loc, "code"), station.code))
                if problems.known((*loc, "type"), station.type, set(type_by_code), "station type"):
                    kind = type_by_code[station.type]
                    if station.batch_size is not None and kind.mode != "batch":
                        problems.add(
                            (*loc, "batch_size"),
                            f"station type {kind.code!r} is not batch equipment",
                        )
    problems.unique(areas, "area")
    problems.unique(lines, "line")
    problems.unique(stations, "station")


def _check_batch_fields(
    loc: Loc, kind: StationType, batch_size: int | None, problems: _Problems
) -> None:
    if kind.mode == "batch" and batch_size is None:
        problems.add((*loc, "batch_size"), "batch equipment needs a batch_size")
    if kind.mode == "piece" and batch_size is not None:
        problems.add((*loc, "batch_size"), "only batch equipment (mode: batch) has a batch_size")


def _check_limits(loc: Loc, limits: Limits, problems: _Problems) -> None:
    lsl, target, usl = limits.lsl, limits.target, limits.usl
    if lsl is None and usl is None:
        problems.add((*loc, "usl"), "give at least one of lsl and usl")
    if lsl is not None and usl is not None and lsl >= usl:
        problems.add((*loc, "usl"), f"usl ({usl:g}) must be greater than lsl ({lsl:g})")
    elif target is not None and lsl is not None and target < lsl:
        problems.add((*loc, "target"), f"target ({target:g}) is below lsl ({lsl:g})")
    elif target is not None and usl is not None and target > usl:
        problems.add((*loc, "target"), f"target ({target:g}) is above usl ({usl:g})")


def _check_characteristics(plant: PlantDefinition, problems: _Problems) -> None:
    chars = plant.characteristics
    problems.unique(
        ((("characteristics", i, "code"), c.code) for i, c in enumerate(chars)), "characteristic"
    )
    contexts = BUILTIN_SPC_CONTEXTS | {t.code for t in plant.station_types}
    for i, char in enumerate(chars):
        _check_limits(("characteristics", i), char, problems)
        if char.spc is None:
            continue
        for j, context in enumerate(char.spc.contexts):
            if (
                problems.known(
                    ("characteristics", i, "spc", "contexts", j),
                    context,
                    contexts,
                    "SPC context (station, line, product, customer, shift, bath or a station type)",
                )
                and context == "bath"
            ):
                _check_bath_context(
                    plant, ("characteristics", i, "spc", "contexts", j), char, problems
                )


def _check_bath_context(
    plant: PlantDefinition, loc: Loc, char: Characteristic, problems: _Problems
) -> None:
    bath_types = {t.code for t in plant.station_types if t.bath}
    measured_in_bath = any(
        char.code in op.measurements and op.station_type in bath_types
        for routing in plant.routings
        for op in routing.operations
    )
    if not measured_in_bath:
        problems.add(loc, f"{char.code} is never measured at a station type with a bath")


def _check_defects(plant: PlantDefinition, problems: _Problems) -> None:
    zones: set[str] = {z.code for z in plant.zones}
    problems.unique(((("zones", i, "code"), z.code) for i, z in enumerate(plant.zones)), "zone")
    problems.unique(
        ((("defect_codes", i, "code"), d.code) for i, d in enumerate(plant.defect_codes)),
        "defect code",
    )
    operations = {op.code for r in plant.routings for op in r.operations}
    for i, defect in enumerate(plant.defect_codes):
        for j, zone in enumerate(defect.zones):
            problems.known(("defect_codes", i, "zones", j), zone, zones, "zone")
        for zone in defect.zone_limits:
            if zone not in defect.zones:
                problems.add(
                    ("defect_codes", i, "zone_limits", zone),
                    f"zone {zone} has limits but is not in this defect's zones",
                )
        for j, origin in enumerate(defect.likely_origins):
            problems.known(
                ("defect_codes", i, "likely_origins", j), origin, operations, "operation"
            )


def _check_routings(plant: PlantDefinition, problems: _Problems) -> None:
    problems.unique(
        ((("routings", i, "code"), r.code) for i, r in enumerate(plant.routings)), "routing"
    )
    for i, routing in enumerate(plant.routings):
        _check_routing(plant, ("routings", i), routing, problems)


def _check_routing(plant: PlantDefinition, loc: Loc, routing: Routing, problems: _Problems) -> None:
    ops = routing.operations
    problems.unique(
        ((((*loc, "operations", j, "code")), op.code) for j, op in enumerate(ops)), "operation"
    )
    if all(op.rework_only for op in ops):
        problems.add((*loc, "operations"), "every operation is rework_only; nothing can start")
    position = {op.code: j for j, op in enumerate(ops)}
    targets = {rw.to for op in ops for rw in op.rework}
    for j, op in enumerate(ops):
        op_loc: Loc = (*loc, "operations", j)
        _check_operation(plant, op_loc, op, problems)
        for k, rework in enumerate(op.rework):
            if rework.to not in position:
                problems.add(
                    (*op_loc, "rework", k, "to"),
                    f"rework target {rework.to!r} is not an operation of {routing.code}",
                )
            elif position[rework.to] > j:
                problems.add(
                    (*op_loc, "rework", k, "to"),
                    f"rework must loop back; {rework.to!r} comes after {op.code!r}",
                )
            defects = {d.code for d in plant.defect_codes}
            for m, defect in enumerate(rework.defects):
                problems.known((*op_loc, "rework", k, "defects", m), defect, defects, "defect code")
        if op.rework_only and op.code not in targets:
            problems.add(
                (*op_loc, "rework_only"),
                f"{op.code!r} is rework_only but no rework loop leads to it",
            )


def _check_operation(plant: PlantDefinition, loc: Loc, op: Operation, problems: _Problems) -> None:
    types = {t.code for t in plant.station_types}
    if problems.known((*loc, "station_type"), op.station_type, types, "station type"):
        type_of = {s.code: s.type for _, _, s in plant.placed_stations()}
        if op.station_type not in type_of.values():
            problems.add((*loc, "station_type"), f"no station of type {op.station_type!r} exists")
        for k, station in enumerate(op.stations):
            if problems.known((*loc, "stations", k), station, set(type_of), "station") and (
                type_of[station] != op.station_type
            ):
                problems.add(
                    (*loc, "stations", k),
                    f"station {station!r} is a {type_of[station]}, not a {op.station_type}",
                )
    chars = {c.code for c in plant.characteristics}
    for k, code in enumerate(op.measurements):
        problems.known((*loc, "measurements", k), code, chars, "characteristic")


def _check_products(plant: PlantDefinition, problems: _Problems) -> None:
    glass, handsets = plant.products.cover_glass, plant.products.handsets
    products: list[tuple[Loc, CoverGlass | Handset]] = [
        *((("products", "cover_glass", i), p) for i, p in enumerate(glass)),
        *((("products", "handsets", i), p) for i, p in enumerate(handsets)),
    ]
    problems.unique((((*loc, "code"), p.code) for loc, p in products), "product")
    problems.unique((((*loc, "gtin"), p.gtin) for loc, p in products), "GTIN")
    problems.unique(
        (
            ((*loc, "tacs", j), tac)
            for loc, h in products[len(glass) :]
            for j, tac in enumerate(getattr(h, "tacs", []))
        ),
        "TAC",
    )
    customers = {c.code for c in plant.customers}
    problems.unique(
        ((("customers", i, "code"), c.code) for i, c in enumerate(plant.customers)), "customer"
    )
    routings = {r.code: r for r in plant.routings}
    chars = {c.code for c in plant.characteristics}
    for loc, product in products:
        kind = "cover_glass" if loc[1] == "cover_glass" else "handset"
        problems.known((*loc, "customer"), product.customer, customers, "customer")
        if problems.known((*loc, "routing"), product.routing, set(routings), "routing"):
            routing = routings[product.routing]
            if routing.product_kind != kind:
                problems.add(
                    (*loc, "routing"),
                    f"routing {routing.code!r} is for {routing.product_kind}, not {kind}",
                )
        for code, limits in product.limits.items():
            if problems.known((*loc, "limits", code), code, chars, "characteristic"):
                _check_limits((*loc, "limits", code), limits, problems)
    glass_codes = {g.code for g in glass}
    for i, handset in enumerate(handsets):
        if handset.cover_glass is not None:
            problems.known(
                ("products", "handsets", i, "cover_glass"),
                handset.cover_glass,
                glass_codes,
                "cover-glass SKU",
            )
