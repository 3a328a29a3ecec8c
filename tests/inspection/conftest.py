"""A tiny generated data set and a model trained on it, shared by the inspection tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgeline.inspection import decide, store, training
from forgeline.inspection.dataset import Recipe, write_dataset
from forgeline.inspection.limits import load_plant, zone_rules

WIDTH, HEIGHT = 512, 256


@pytest.fixture(scope="session")
def rules_json() -> dict[str, object]:
    return zone_rules(load_plant())


@pytest.fixture(scope="session")
def rules(rules_json: dict[str, object]) -> dict[str, decide.CodeRule]:
    return decide.rules_from_json(rules_json)


@pytest.fixture(scope="session")
def train_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("aoi") / "train"
    write_dataset(Recipe(seed=11, width=WIDTH, height=HEIGHT, good_fraction=0.6), 90, out)
    return out


@pytest.fixture(scope="session")
def model_path(
    train_dir: Path, rules_json: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.npz"
    training.train(train_dir, path, rules_json, fit_images=16)
    return path


@pytest.fixture(scope="session")
def bundle(model_path: Path) -> store.Bundle:
    return store.load(model_path)
