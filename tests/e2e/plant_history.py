"""A few hours of plant history, sent through ingest the way stations send it, for the pages.

The default plant with people for each role the browser tests sign in as, two work orders (one
released and in production, one planned), equipment states for every station, and units in
every interesting state today:

SHEET-LOT-1 ── sheet ─┬─ pieces 0-3: through IOX (cycle IOX-CYCLE-7, bath BATH-IOX-01) to PACK;
                      │   piece 0 in handset HANDSET, piece 3 scrapped at AOI (FILM-BUB),
                      │   piece 1 reworked at POLISH
                      ├─ piece 4: held (open hold, "edge chip?")
                      └─ pieces 5-7: waiting for POLISH (the operator screen's work)

and the furnace IOX-01's bath temperature, charted, ending in one open SPC alarm (rule WE1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from forgeline.auth.permissions import Role
from forgeline.auth.principal import SYSTEM_ACTOR, Principal, PrincipalKind
from forgeline.auth.service import create_user, grant_skill
from forgeline.plant.service import current_revision
from forgeline.production.ingest import ingest
from forgeline.production.masterdata import create_work_order, release_work_order
from forgeline.production.tables import Bath, Carrier, MaterialLot
from forgeline.quality import monitoring

PASSWORD = "plant-floor-passphrase"
OPERATOR, QUALITY, PLANNER = "ravi", "asha", "pia"
GTIN_SNT_S1 = "08901234500040"  # CG-SNT-S1, the cover glass of handset SNT-S1
PIECES = [f"(01){GTIN_SNT_S1}(21)F{i:04d}" for i in range(8)]
SHEET, HANDSET = "SHEET-F1", "SNT0000042"
RELEASED_ORDER, PLANNED_ORDER = "WO-2026-001", "WO-2026-002"
HELD, WAITING = PIECES[4], PIECES[5:]
BEFORE_IOX = [("CNC", "CNC-01"), ("POLISH", "POL-01"), ("CLN1", "CLN-01")]
AFTER_IOX = [
    ("CLN2", "CLN-02"), ("PRINT", "PRN-01"), ("CLN3", "CLN-03"), ("COAT", "COAT-01"),
    ("FILM", "FILM-01"), ("AOI", "AOI-01"), ("FQC", "FQC-01"), ("PACK", "PACK-01"),
]  # fmt: skip
# A few stations in states other than productive, so the overview shows the colours.
STATES = {
    "CNC-02": "unscheduled_down",
    "POL-02": "standby",
    "PRN-02": "engineering",
    "COAT-02": "scheduled_down",
}
# Bath temperature readings (C): 25 around 450 give the individuals chart its limits, then 458.5.
IOX_TEMPS = [450 + (0.4, -0.3, 0.1, -0.5, 0.2)[i % 5] + (i % 3) * 0.1 for i in range(25)] + [458.5]
GATEWAY = Principal(PrincipalKind.USER, "gateway", "Line gateway", frozenset({Role.ADMIN}))
QUALITY_SENDER = Principal(PrincipalKind.USER, QUALITY, "Asha", frozenset({Role.QUALITY}))


@dataclass
class Events:
    """Events a few seconds apart from `at`, each with a fresh id."""

    at: datetime
    step: timedelta = timedelta(seconds=20)
    made: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event_type: str, /, **fields: Any) -> dict[str, Any]:
        self.at += self.step
        event = {"event_id": str(uuid.uuid4()), "type": event_type, "at": self.at.isoformat()}
        event.update(fields)
        return event

    def visit(self, uid: str, station: str, result: str = "pass") -> list[dict[str, Any]]:
        return [
            self("track_in", uid=uid, station=station, operator=OPERATOR),
            self("track_out", uid=uid, station=station, result=result),
        ]


def _send(session: Session, events: list[dict[str, Any]], who: Principal = GATEWAY) -> Any:
    report = ingest(session, events, who)
    refused = [(e.code, e.message) for e in report.events if e.outcome == "rejected"]
    assert not refused, refused
    session.flush()
    return report


def _people(session: Session) -> None:
    plant = current_revision(session).definition
    create_user(
        session, username=OPERATOR, full_name="Ravi Kumar", roles=["operator"],
        actor=SYSTEM_ACTOR, password=PASSWORD, badge="B-1001",
    )  # fmt: skip
    for skill in plant.skills:
        grant_skill(session, OPERATOR, skill.code, date(2099, 1, 1), SYSTEM_ACTOR)
    for username, name, role in (
        (QUALITY, "Asha Iyer", "quality"),
        (PLANNER, "Pia Rao", "planner"),
    ):
        create_user(
            session, username=username, full_name=name, roles=[role], actor=SYSTEM_ACTOR,
            password=PASSWORD,
        )  # fmt: skip


def _materials(session: Session, start: datetime) -> None:
    session.add_all(
        [
            Carrier(code="TRAY-02", kind="tray", capacity=50, hold_count=0),
            MaterialLot(code="SHEET-LOT-1", kind="glass_sheet", quantity=100),
            MaterialLot(code="PCBA-LOT-1", kind="pcba", quantity=100),
            MaterialLot(code="BATT-LOT-1", kind="battery", quantity=100),
            Bath(code="BATH-IOX-01", station_code="IOX-01", started_at=start - timedelta(days=3)),
        ]
    )
    session.flush()


def build_plant_history(session: Session, now: datetime | None = None) -> None:
    """The history above, ending before `now` (the plant must be loaded already)."""
    now = now or datetime.now(UTC)
    start = now - timedelta(hours=3)
    monitoring.install()  # live SPC, as the running app has it, whoever builds the history
    _people(session)
    _materials(session, start)
    today = now.date()
    create_work_order(session, code=RELEASED_ORDER, product_code="CG-SNT-S1", quantity=8,
                      due_date=today, actor=SYSTEM_ACTOR)  # fmt: skip
    release_work_order(session, RELEASED_ORDER, line_code="FAB-1", actor=SYSTEM_ACTOR)
    create_work_order(session, code=PLANNED_ORDER, product_code="CG-SNT-S1", quantity=500,
                      due_date=today + timedelta(days=7), actor=SYSTEM_ACTOR)  # fmt: skip
    ev = Events(start)
    plant = current_revision(session).definition
    _send(session, [
        ev("equipment_state", station=spec.code, state=STATES.get(spec.code, "productive"),
           reason="shift start")
        for spec in plant.station_specs()
    ])  # fmt: skip
    events = [
        ev("start", uid=SHEET, product="CG-SNT-S1", kind="sheet", lot="SHEET-LOT-1",
           work_order=RELEASED_ORDER),
        *ev.visit(SHEET, "IQC-01"),
        ev("track_in", uid=SHEET, station="CUT-01", operator=OPERATOR),
        ev("split", parent=SHEET, children=PIECES),
    ]  # fmt: skip
    events += [ev("track_out", uid=p, station="CUT-01", result="pass") for p in PIECES]
    events += ev.visit(HELD, "CNC-01")
    for piece in WAITING:
        events += ev.visit(piece, "CNC-01")
    done = PIECES[:4]
    for operation, station in BEFORE_IOX:
        for piece in done:
            if operation == "POLISH" and piece == done[1]:
                events += ev.visit(piece, station, result="rework")
            events += ev.visit(piece, station)
    events += [
        ev("carrier_load", carrier="TRAY-02", uids=done),
        ev("batch_start", batch="IOX-CYCLE-7", station="IOX-01", operation="IOX",
           carriers=["TRAY-02"], bath="BATH-IOX-01", parameters={"temp_c": 450, "hours": 6}),
        ev("track_in", carrier="TRAY-02", station="IOX-01", operator=OPERATOR,
           batch="IOX-CYCLE-7"),
        ev("track_out", carrier="TRAY-02", station="IOX-01", result="pass"),
        ev("measurement", uid=done[0], station="IOX-01", characteristic="CS", value=815.0),
        # The furnace's temperature log: in control long enough for the chart's first limits,
        # then a reading far above them, an SPC alarm for the quality engineer (no hold).
        *[ev("measurement", uid=done[0], station="IOX-01", characteristic="IOX-TEMP",
             value=value) for value in IOX_TEMPS],
        ev("batch_end", batch="IOX-CYCLE-7"),
        ev("carrier_unload", carrier="TRAY-02", uids=done),
    ]  # fmt: skip
    for operation, station in AFTER_IOX:
        for piece in done:
            if operation == "AOI" and piece == done[3]:
                events += [
                    ev("track_in", uid=piece, station=station, operator=OPERATOR),
                    ev("defect", uid=piece, station=station, code="FILM-BUB", zone="A"),
                    ev("track_out", uid=piece, station=station, result="scrap"),
                ]
            elif not (piece == done[3] and operation in {"FQC", "PACK"}):
                events += ev.visit(piece, station)
    events += [
        ev("start", uid=HANDSET, product="SNT-S1", kind="handset"),
        *ev.visit(HANDSET, "PCB-01"),
        ev("track_in", uid=HANDSET, station="DSA-01", operator=OPERATOR),
        ev("assemble", handset=HANDSET, glass=done[0],
           lots={"pcba": "PCBA-LOT-1", "battery": "BATT-LOT-1"}),
        ev("track_out", uid=HANDSET, station="DSA-01", result="pass"),
    ]  # fmt: skip
    _send(session, events)
    _send(session, [ev("hold", target_type="unit", target=HELD, reason="edge chip?")],
          QUALITY_SENDER)  # fmt: skip
