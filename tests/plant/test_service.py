"""Loading definitions into revisions, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.errors import DomainError, ErrorKind
from forgeline.plant import queries, service
from forgeline.plant.definition import parse_definition
from forgeline.plant.tables import PlantStation
from tests.plant.conftest import edit

ACTOR = "user:alice"


def load(db: Session, text: str) -> service.LoadResult:
    return service.load_definition_text(db, text, "default.yaml", ACTOR)


def plant_loads(db: Session) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == "plant.load").order_by(AuditEntry.seq)
    return list(db.scalars(query))


def test_nothing_loaded_is_not_found(db: Session) -> None:
    assert service.find_current_revision(db) is None
    with pytest.raises(DomainError) as caught:
        service.current_revision(db)
    assert (caught.value.code, caught.value.kind) == ("plant.not_loaded", ErrorKind.NOT_FOUND)
    assert service.station_codes(db) == set()
    assert service.station_type_codes(db) == set()


def test_first_load_creates_revision_one(db: Session, default_text: str) -> None:
    result = load(db, default_text)
    revision = result.revision
    assert result.created
    assert revision.number == 1
    assert revision.raw_text == default_text
    assert revision.content_sha256 == service.content_sha256(default_text)
    assert revision.loaded_by == ACTOR
    assert revision.loaded_at.tzinfo is not None
    assert revision.definition.site.code == "SPR-1"
    assert service.current_revision(db).number == 1
    assert "IOX-01" in service.station_codes(db)
    assert "ion_exchange" in service.station_type_codes(db)
    [entry] = plant_loads(db)
    assert (entry.actor, entry.object_type, entry.object_id) == (ACTOR, "plant_revision", "1")
    assert entry.before is None
    assert entry.after is not None and entry.after["content_sha256"] == revision.content_sha256


def test_same_content_creates_no_revision(db: Session, default_text: str) -> None:
    first = load(db, default_text)
    again = load(db, default_text)
    assert not again.created
    assert again.revision.number == first.revision.number == 1
    assert len(plant_loads(db)) == 1
    revisions, total = service.list_revisions(db, limit=10, offset=0)
    assert total == 1 and [r.number for r in revisions] == [1]


def test_changed_definition_creates_revision_two_and_keeps_one(
    db: Session, default_text: str
) -> None:
    load(db, default_text)
    changed, _ = edit(
        default_text, "lsl: 600, target: 850, usl: 1200", "lsl: 650, target: 850, usl: 1150"
    )
    changed, _ = edit(
        changed, "          - {code: IOX-11, name: IOX furnace 11, type: ion_exchange}\n", ""
    )
    second = load(db, changed)
    assert second.created and second.revision.number == 2
    assert service.current_revision(db).number == 2
    # Revision 1's rows stay as they were: work started under it still finds them.
    assert queries.characteristic(db, 1, "CS").lsl == 600
    assert queries.characteristic(db, 2, "CS").lsl == 650
    assert queries.station(db, 1, "IOX-11").capacity == 1
    with pytest.raises(DomainError) as caught:
        queries.station(db, 2, "IOX-11")
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert service.get_revision(db, 1).raw_text == default_text
    assert service.get_revision(db, 1).definition.characteristic("CS").lsl == 600
    entries = plant_loads(db)
    assert [e.object_id for e in entries] == ["1", "2"]
    assert entries[1].before is not None and entries[1].before["revision"] == 1


def test_reloading_an_older_text_makes_a_new_revision(db: Session, default_text: str) -> None:
    load(db, default_text)
    changed, _ = edit(default_text, 'version: "2025.12-phase1"', 'version: "2026.01"')
    load(db, changed)
    back = load(db, default_text)
    assert back.created and back.revision.number == 3
    assert back.revision.definition_version == "2025.12-phase1"


def test_load_definition_with_parsed_definition(db: Session, default_text: str) -> None:
    plant = parse_definition(default_text, "default.yaml")
    revision = service.load_definition(db, plant, default_text, ACTOR)
    assert service.load_definition(db, plant, default_text, ACTOR) is revision


def test_load_definition_file(db: Session) -> None:
    revision = service.load_definition_file(db, service.DEFAULT_PLANT, ACTOR)
    assert revision.number == 1


def test_missing_file_is_not_found(db: Session, tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(DomainError) as caught:
        service.load_definition_file(db, Path(str(tmp_path)) / "absent.yaml", ACTOR)
    assert caught.value.code == "plant.file_not_found"


def test_invalid_definition_writes_nothing(db: Session, default_text: str) -> None:
    text, _ = edit(default_text, "usl: 1200", "usl: 100")
    with pytest.raises(DomainError):
        load(db, text)
    assert service.find_current_revision(db) is None
    assert plant_loads(db) == []


def test_unknown_revision_is_not_found(db: Session) -> None:
    with pytest.raises(DomainError) as caught:
        service.get_revision(db, 42)
    assert (caught.value.code, caught.value.kind) == (
        "plant.revision_not_found",
        ErrorKind.NOT_FOUND,
    )


def test_normalized_rows_are_queryable(db: Session, default_text: str) -> None:
    load(db, default_text)
    lines = queries.lines_with_stations(db, 1)
    assert [entry.line.code for entry in lines][:2] == ["FAB-1", "FAB-2"]
    assert sum(len(entry.stations) for entry in lines) == 109
    polisher = queries.station(db, 1, "POL-18")
    assert (polisher.mode, polisher.batch_size, polisher.capacity) == ("batch", 200, 1)
    cnc_spindles = sum(
        s.capacity
        for s in db.scalars(
            select(PlantStation).where(
                PlantStation.revision == 1, PlantStation.station_type == "cnc"
            )
        )
    )
    assert cnc_spindles == 300
    routing = queries.routing(db, 1, "CG-STD")
    assert [op.position for op in routing.operations] == list(range(14))
    assert routing.operations[3].rework == [
        {"to": "POLISH", "max_count": 2, "defects": ["SCR", "DIG"]}
    ]
    assert queries.product_for_tac(db, 1, "35829104").code == "SNT-S1"
    assert queries.product(db, 1, "SNT-S1").attributes["territories"] == ["IN", "LK", "NP", "BD"]
    cs = queries.characteristic(db, 1, "CS")
    assert cs.critical and cs.hold_on_violation and cs.spc is not None
    scratch = queries.defect_code(db, 1, "SCR")
    assert scratch.zone_limits["A"]["max_length_mm"] == 2.0
    assert {p.kind for p in queries.products(db, 1)} == {"cover_glass", "handset"}


def test_list_revisions_pages_newest_first(db: Session, default_text: str) -> None:
    for version in ("a", "b", "c"):
        text, _ = edit(default_text, 'version: "2025.12-phase1"', f'version: "{version}"')
        load(db, text)
    page, total = service.list_revisions(db, limit=2, offset=0)
    assert total == 3 and [r.number for r in page] == [3, 2]
    page, _ = service.list_revisions(db, limit=2, offset=2)
    assert [r.number for r in page] == [1]


def test_skill_codes_of_the_current_revision(db: Session, default_text: str) -> None:
    assert service.skill_codes(db) == set()
    load(db, default_text)
    skills = service.skill_codes(db)
    assert {"iox_operation", "provisioning", "visual_inspection"} <= skills
    assert all(
        set(t.skills) <= skills for t in service.current_revision(db).definition.station_types
    )
