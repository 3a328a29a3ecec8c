from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forgeline.auth.principal import SYSTEM_ACTOR
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file


@pytest.fixture
def plant(db: Session) -> None:
    load_definition_file(db, DEFAULT_PLANT, SYSTEM_ACTOR)
    db.commit()
