"""The default plant, parsed once for the pure twin tests."""

from __future__ import annotations

import pytest

from forgeline.plant.definition import PlantDefinition
from forgeline.twin.plan import load_plant


@pytest.fixture(scope="session")
def plant() -> PlantDefinition:
    return load_plant(None)
