"""The registry of step handlers: how the twin runs an operation, by station type or mode.

The cover-glass line needs two: pieces through piece stations, loads through batch equipment.
Later domains (handset provisioning, shipping, returns) register their own for their station
types with `register`, and every twin built afterwards uses them.
"""

from __future__ import annotations

from forgeline.plant.definition import PlantDefinition
from forgeline.twin.aoi_images import aoi_step
from forgeline.twin.batches import batch_step
from forgeline.twin.flow import StepHandler, piece_step
from forgeline.twin.handsets import assemble_step, attach, final_test_step, provision_step
from forgeline.twin.model import Twin
from forgeline.twin.scenario import Scenario

_HANDLERS: dict[str, StepHandler] = {"piece": piece_step, "batch": batch_step}


def register(key: str, handler: StepHandler) -> None:
    """Run operations at stations of type (or mode) `key` with `handler`."""
    _HANDLERS[key] = handler


def handlers() -> dict[str, StepHandler]:
    return dict(_HANDLERS)


def build(plant: PlantDefinition, scenario: Scenario) -> Twin:
    """A twin of the plant for the scenario, with the registered step handlers (and the handset
    line when the scenario asks for it)."""
    twin = Twin(plant, scenario)
    attach(twin)
    twin.handlers = handlers()
    return twin


# The handset line's own steps (docs/twin.md); its other stations are piece stations.
register("display_assembly", assemble_step)
register("flash_provision", provision_step)
register("final_test", final_test_step)
# AOI stations post images of a sample of their pieces when the run asks (`aoi_images.py`).
register("aoi", aoi_step)
