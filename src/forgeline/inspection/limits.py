"""The plant definition's defect codes and zone limits as plain data for `decide`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from forgeline.inspection.decide import CLASS_CODES
from forgeline.plant.definition import PlantDefinition, parse_definition


def load_plant(path: Path | None = None) -> PlantDefinition:
    """A plant definition file, or the shipped default plant."""
    if path is None:
        text = resources.files("forgeline.plants").joinpath("default.yaml").read_text()
        return parse_definition(text, "default.yaml")
    return parse_definition(path.read_text(), str(path))


def zone_rules(plant: PlantDefinition) -> dict[str, Any]:
    """The codes AOI can report, with zones, cleanability and per-zone limits."""
    wanted = set(CLASS_CODES.values())
    return {
        d.code: {
            "zones": list(d.zones),
            "cleanable": d.cleanable,
            "limits": {z: lim.model_dump() for z, lim in d.zone_limits.items()},
        }
        for d in plant.defect_codes
        if d.code in wanted
    }
