"""Shared helpers for plant tests: the default plant's text and targeted edits of it."""

from __future__ import annotations

import pytest

from forgeline.errors import DomainError
from forgeline.plant.definition import PlantDefinition, parse_definition
from forgeline.plant.service import DEFAULT_PLANT


@pytest.fixture(scope="session")
def default_text() -> str:
    return DEFAULT_PLANT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def default_plant(default_text: str) -> PlantDefinition:
    return parse_definition(default_text, "default.yaml")


def edit(text: str, old: str, new: str) -> tuple[str, int]:
    """Replace the first `old` with `new`; also the 1-based line where it was."""
    index = text.index(old)
    return text[:index] + new + text[index + len(old) :], text.count("\n", 0, index) + 1


def rejection(text: str, source: str = "default.yaml") -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse_definition(text, source)
    assert caught.value.code == "plant.invalid_definition"
    return caught.value
