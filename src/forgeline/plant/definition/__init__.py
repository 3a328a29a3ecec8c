"""The plant definition's schema, validation and YAML loader. Pure: no database, no web."""

from __future__ import annotations

from forgeline.plant.definition.checks import Problem, check_definition, format_loc
from forgeline.plant.definition.document import FORMAT_VERSION, PlantDefinition, StationSpec
from forgeline.plant.definition.loader import ERROR_CODE, parse_definition
from forgeline.plant.definition.process import (
    Characteristic,
    CoverGlass,
    Customer,
    DefectCode,
    Handset,
    InspectionZone,
    Limits,
    Operation,
    Products,
    Rework,
    Routing,
    Sampling,
    Spc,
    ZoneLimit,
)
from forgeline.plant.definition.site import Area, Line, Shift, Site, Skill, Station, StationType

__all__ = [
    "ERROR_CODE",
    "FORMAT_VERSION",
    "Area",
    "Characteristic",
    "CoverGlass",
    "Customer",
    "DefectCode",
    "Handset",
    "InspectionZone",
    "Limits",
    "Line",
    "Operation",
    "PlantDefinition",
    "Problem",
    "Products",
    "Rework",
    "Routing",
    "Sampling",
    "Shift",
    "Site",
    "Skill",
    "Spc",
    "Station",
    "StationSpec",
    "StationType",
    "ZoneLimit",
    "check_definition",
    "format_loc",
    "parse_definition",
]
