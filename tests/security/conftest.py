"""Fixtures for the security tests: a loaded plant with handsets, an initialised PKI."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forgeline.config import Settings
from forgeline.security.authority import init_pki
from tests.security.kit import ACTOR, load_plant


@pytest.fixture
def plant(db: Session) -> int:
    revision = load_plant(db)
    db.flush()
    return revision


@pytest.fixture
def pki(db: Session, settings: Settings, plant: int) -> int:
    init_pki(db, settings, ACTOR)
    db.flush()
    return plant
