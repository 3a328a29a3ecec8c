"""Every domain's tables, imported so that `Base.metadata` is complete.

Alembic's environment and the test fixtures import this module; nothing else should need to.
"""

from __future__ import annotations

import forgeline.audit.tables
import forgeline.auth.tables
import forgeline.inspection.tables
import forgeline.plant.tables
import forgeline.production.tables
import forgeline.production.tallies
import forgeline.quality.monitor_tables
import forgeline.quality.tables
import forgeline.security.tables
from forgeline.db.base import Base

metadata = Base.metadata

__all__ = ["metadata"]
# Referenced so linters see the imports as used: each registers its tables on import.
_DOMAINS = (
    forgeline.audit.tables,
    forgeline.auth.tables,
    forgeline.inspection.tables,
    forgeline.plant.tables,
    forgeline.production.tables,
    forgeline.production.tallies,
    forgeline.quality.monitor_tables,
    forgeline.quality.tables,
    forgeline.security.tables,
)
