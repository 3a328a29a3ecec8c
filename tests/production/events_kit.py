"""Building event batches for the ingest tests: a plant, an operator, carriers, lots, events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forgeline.auth.permissions import Role
from forgeline.auth.principal import SYSTEM_ACTOR, Principal, PrincipalKind
from forgeline.auth.service import create_user, grant_skill
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from forgeline.production.ingest import IngestReport, ingest
from forgeline.production.tables import Bath, Carrier, MaterialLot

GTIN_A55 = "08901234500019"  # CG-AUR-A55, routing CG-STD
GTIN_SNT_S1 = "08901234500040"  # CG-SNT-S1, the cover glass of handset SNT-S1
OPERATOR, BADGE = "ravi", "B-1001"
# Sends for every station: a person's events are not bound to one station (a token's are).
SENDER = Principal(PrincipalKind.USER, OPERATOR, "Ravi", frozenset({Role.OPERATOR}))
STATION = Principal(PrincipalKind.STATION, "CUT-01", "CUT-01", frozenset({Role.STATION}))
# CG-STD's normal path, one station each: (operation, station).
ROUTE = [
    ("IQC", "IQC-01"), ("CUT", "CUT-01"), ("CNC", "CNC-01"), ("POLISH", "POL-01"),
    ("CLN1", "CLN-01"), ("IOX", "IOX-01"), ("CLN2", "CLN-02"), ("PRINT", "PRN-01"),
    ("CLN3", "CLN-03"), ("COAT", "COAT-01"), ("FILM", "FILM-01"), ("AOI", "AOI-01"),
    ("FQC", "FQC-01"), ("PACK", "PACK-01"),
]  # fmt: skip
QUALITY = Principal(PrincipalKind.USER, "asha", "Asha", frozenset({Role.QUALITY}), user_id=None)


def glass(serial: str, gtin: str = GTIN_A55) -> str:
    return f"({'01'}){gtin}(21){serial}"


@dataclass
class Events:
    """Events one second apart, each with a fresh event_id."""

    at: datetime = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    made: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event_type: str, /, **fields: Any) -> dict[str, Any]:
        self.at += timedelta(seconds=1)
        event = {
            "event_id": str(uuid.uuid4()),
            "type": event_type,
            "at": self.at.isoformat(),
            **fields,
        }
        self.made.append(event)
        return event

    def visit(
        self, uid: str, station: str, result: str = "pass", **out: Any
    ) -> list[dict[str, Any]]:
        return [
            self("track_in", uid=uid, station=station, operator=OPERATOR),
            self("track_out", uid=uid, station=station, result=result, **out),
        ]


def set_up_line(db: Session) -> None:
    """The default plant, an operator holding every skill, carriers, lots and a bath."""
    revision = load_definition_file(db, DEFAULT_PLANT, SYSTEM_ACTOR)
    create_user(
        db, username=OPERATOR, full_name="Ravi", roles=["operator"], actor="system:test",
        password="plant-floor-passphrase", badge=BADGE,
    )  # fmt: skip
    for skill in revision.definition.skills:
        grant_skill(db, OPERATOR, skill.code, date(2099, 1, 1), "system:test")
    db.add_all(
        [
            Carrier(code="TRAY-01", kind="tray", capacity=3, hold_count=0),
            Carrier(code="TRAY-02", kind="tray", capacity=50, hold_count=0),
            MaterialLot(code="SHEET-LOT-1", kind="glass_sheet", quantity=100),
            MaterialLot(code="PCBA-LOT-1", kind="pcba", quantity=100),
            MaterialLot(code="BATT-LOT-1", kind="battery", quantity=100),
            Bath(
                code="BATH-IOX-01",
                station_code="IOX-01",
                started_at=datetime(2026, 1, 1, tzinfo=UTC),
            ),
        ]
    )
    db.flush()


def run(db: Session, events: list[dict[str, Any]], principal: Principal = SENDER) -> IngestReport:
    report = ingest(db, events, principal)
    db.flush()
    return report


def outcomes(report: IngestReport) -> list[tuple[str, str | None]]:
    return [(e.outcome, e.code) for e in report.events]


def count(db: Session, model: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)
