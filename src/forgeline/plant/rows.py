"""The normalized rows of one revision, built from its parsed definition."""

from __future__ import annotations

from forgeline.db.base import Base
from forgeline.plant.definition import Handset, PlantDefinition
from forgeline.plant.tables import (
    PlantCharacteristic,
    PlantDefectCode,
    PlantLine,
    PlantOperation,
    PlantProduct,
    PlantRouting,
    PlantStation,
    PlantStationType,
    PlantTac,
)


def revision_rows(revision: int, plant: PlantDefinition) -> list[Base]:
    """Every row revision `revision` needs besides the PlantRevision itself."""
    return [
        *_equipment_rows(revision, plant),
        *_product_rows(revision, plant),
        *_quality_rows(revision, plant),
        *_routing_rows(revision, plant),
    ]


def _equipment_rows(revision: int, plant: PlantDefinition) -> list[Base]:
    rows: list[Base] = [
        PlantStationType(
            revision=revision, code=t.code, name=t.name, mode=t.mode, skills=list(t.skills)
        )
        for t in plant.station_types
    ]
    line_position = 0
    for area in plant.areas:
        for line in area.lines:
            rows.append(
                PlantLine(
                    revision=revision,
                    code=line.code,
                    name=line.name,
                    area_code=area.code,
                    area_name=area.name,
                    position=line_position,
                )
            )
            line_position += 1
    for position, spec in enumerate(plant.station_specs()):
        rows.append(
            PlantStation(
                revision=revision,
                code=spec.code,
                name=spec.name,
                line_code=spec.line,
                station_type=spec.station_type,
                mode=spec.mode,
                capacity=spec.capacity,
                ideal_cycle_s=spec.ideal_cycle_s,
                batch_size=spec.batch_size,
                position=position,
            )
        )
    return rows


def _product_rows(revision: int, plant: PlantDefinition) -> list[Base]:
    rows: list[Base] = []
    for product in plant.all_products():
        kind = "handset" if isinstance(product, Handset) else "cover_glass"
        common = {"code", "name", "customer", "gtin", "routing"}
        rows.append(
            PlantProduct(
                revision=revision,
                code=product.code,
                kind=kind,
                name=product.name,
                customer_code=product.customer,
                gtin=product.gtin,
                routing_code=product.routing,
                attributes=product.model_dump(mode="json", exclude=common),
            )
        )
        if isinstance(product, Handset):
            rows.extend(
                PlantTac(
                    revision=revision, tac=tac, product_code=product.code, dual_sim=product.dual_sim
                )
                for tac in product.tacs
            )
    return rows


def _quality_rows(revision: int, plant: PlantDefinition) -> list[Base]:
    rows: list[Base] = [
        PlantCharacteristic(
            revision=revision,
            code=c.code,
            name=c.name,
            unit=c.unit,
            lsl=c.lsl,
            target=c.target,
            usl=c.usl,
            critical=c.critical,
            hold_on_violation=bool(c.spc and c.spc.hold_on_violation),
            sampling=c.sampling.model_dump(mode="json"),
            spc=c.spc.model_dump(mode="json") if c.spc else None,
        )
        for c in plant.characteristics
    ]
    rows.extend(
        PlantDefectCode(
            revision=revision,
            code=d.code,
            name=d.name,
            category=d.category,
            severity=d.severity,
            cleanable=d.cleanable,
            zones=list(d.zones),
            zone_limits={z: lim.model_dump(mode="json") for z, lim in d.zone_limits.items()},
        )
        for d in plant.defect_codes
    )
    return rows


def _routing_rows(revision: int, plant: PlantDefinition) -> list[Base]:
    rows: list[Base] = []
    for routing in plant.routings:
        row = PlantRouting(
            revision=revision,
            code=routing.code,
            name=routing.name,
            product_kind=routing.product_kind,
        )
        row.operations = [
            PlantOperation(
                position=position,
                code=op.code,
                name=op.name,
                station_type=op.station_type,
                rework_only=op.rework_only,
                measurements=list(op.measurements),
                stations=list(op.stations),
                rework=[rw.model_dump(mode="json") for rw in op.rework],
                ideal_cycle_s=op.ideal_cycle_s,
                expected_yield=op.expected_yield,
            )
            for position, op in enumerate(routing.operations)
        ]
        rows.append(row)
    return rows


__all__ = ["revision_rows"]
