"""NCRs: open with units, contain through production holds, disposition, close; all audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.auth.permissions import Role
from forgeline.errors import DomainError
from forgeline.production.holds import active_holds, release_hold
from forgeline.production.tables import Hold, Unit
from forgeline.quality import ncr as ncrs
from tests.quality.conftest import FINISHED, Plant

QUALITY = frozenset({Role.QUALITY})
SUPPORT = frozenset({Role.SUPPORT})


def hold_count(db: Session, uid: str) -> int:
    return int(db.scalar(select(Unit.hold_count).where(Unit.uid == uid)) or 0)


def actions(db: Session, code: str) -> list[str]:
    return list(
        db.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == code).order_by(AuditEntry.seq)
        )
    )


def open_contained(db: Session, units: list[str], **kw: object) -> ncrs.Ncr:
    return ncrs.open_ncr(
        db,
        source=str(kw.pop("source", "inspection")),
        title="Edge chip on CNC pieces",
        description="Chips over 0.1 mm found at FQC",
        actor="user:qe",
        roles=QUALITY,
        units=units,
        contain=True,
        **kw,  # type: ignore[arg-type]
    )


def test_open_links_units_and_contains_them_with_one_hold(db: Session, plant: Plant) -> None:
    ncr = open_contained(db, FINISHED[:2])
    assert ncr.code == f"NCR-{ncr.id:06d}" and ncr.status == "open"
    units = ncrs.ncr_units(db, ncr.id)
    assert [u["uid"] for u in units] == sorted(FINISHED[:2])
    assert all(u["held"] for u in units) and len({u["hold_id"] for u in units}) == 1
    assert [hold_count(db, uid) for uid in FINISHED[:3]] == [1, 1, 0]
    hold = db.get(Hold, units[0]["hold_id"])
    assert hold is not None and ncr.code in hold.reason
    assert actions(db, ncr.code) == ["ncr.opened"]


def test_use_as_is_releases_the_containment(db: Session, plant: Plant) -> None:
    ncr = open_contained(db, FINISHED[:2])
    done = ncrs.disposition_ncr(
        db, ncr.code, disposition="use_as_is", note="chips within B-zone limits", actor="user:qe",
        roles=QUALITY,
    )  # fmt: skip
    assert done.status == "dispositioned" and done.disposition == "use_as_is"
    assert done.production_effect is not None
    assert len(done.production_effect["holds_released"]) == 1
    assert [hold_count(db, uid) for uid in FINISHED[:2]] == [0, 0]
    closed = ncrs.close_ncr(db, ncr.code, note="released to FQC", actor="user:qe")
    assert closed.status == "closed" and closed.closed_by == "user:qe"
    assert actions(db, ncr.code) == ["ncr.opened", "ncr.dispositioned", "ncr.closed"]


def test_scrap_keeps_units_held_and_says_what_production_could_not_do(
    db: Session, plant: Plant
) -> None:
    ncr = ncrs.open_ncr(
        db, source="manual", title="Cracked", description="Crack at camera hole",
        actor="user:qe", roles=QUALITY, units=[FINISHED[0]],
    )  # fmt: skip
    assert hold_count(db, FINISHED[0]) == 0  # not contained at opening
    done = ncrs.disposition_ncr(
        db, ncr.code, disposition="scrap", note="crack", actor="user:qe", roles=QUALITY
    )
    effect = done.production_effect or {}
    assert len(effect["holds_placed"]) == 1 and "scrap" in effect["not_done"]
    assert hold_count(db, FINISHED[0]) == 1
    ncrs.close_ncr(db, ncr.code, note="scrapped at the bin", actor="user:qe")
    assert hold_count(db, FINISHED[0]) == 1  # closing never frees scrapped material
    rows, _ = active_holds(db, target_type="selection")
    assert any(h.target_code == ncr.code for h, _n in rows)


def test_status_flow_is_enforced(db: Session, plant: Plant) -> None:
    ncr = open_contained(db, [FINISHED[0]])
    with pytest.raises(DomainError) as early:
        ncrs.close_ncr(db, ncr.code, note="x", actor="user:qe")
    assert early.value.code == "ncr.not_dispositioned"
    ncrs.disposition_ncr(db, ncr.code, disposition="rework", note="re-polish", actor="user:qe",
                         roles=QUALITY)  # fmt: skip
    with pytest.raises(DomainError) as twice:
        ncrs.disposition_ncr(db, ncr.code, disposition="scrap", note="x", actor="user:qe",
                             roles=QUALITY)  # fmt: skip
    assert twice.value.code == "ncr.already_dispositioned"
    with pytest.raises(DomainError) as edit:
        ncrs.update_ncr(db, ncr.code, actor="user:qe", title="changed")
    assert edit.value.code == "ncr.not_open"


def test_update_adds_units_and_contains_them(db: Session, plant: Plant) -> None:
    ncr = open_contained(db, [FINISHED[0]])
    ncrs.update_ncr(
        db, ncr.code, actor="user:qe", description="more found", add_units=FINISHED[:3],
        contain=True,
    )  # fmt: skip
    units = ncrs.ncr_units(db, ncr.id)
    assert len(units) == 3 and all(u["held"] for u in units)
    assert [hold_count(db, uid) for uid in FINISHED[:3]] == [1, 1, 1]
    assert actions(db, ncr.code) == ["ncr.opened", "ncr.updated"]


def test_measurement_source_links_the_measured_unit(db: Session, plant: Plant) -> None:
    measurement = plant.measurement_ids[FINISHED[4]]
    ncr = ncrs.open_ncr(
        db, source="measurement", title="CS low", description="CS under LSL",
        actor="user:qe", roles=QUALITY, measurement_id=measurement,
    )  # fmt: skip
    assert [u["uid"] for u in ncrs.ncr_units(db, ncr.id)] == [FINISHED[4]]


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"source": "rumour"}, "ncr.unknown_source"),
        ({"source": "alarm"}, "ncr.alarm_required"),
        ({"source": "measurement"}, "ncr.measurement_required"),
        ({"source": "measurement", "measurement_id": 999999}, "ncr.measurement_not_found"),
        ({"title": "  "}, "ncr.title_required"),
        ({"units": ["(01)08901234500019(21)NOPE"]}, "unit.unknown"),
        ({"lot": "NO-SUCH-LOT"}, "lot.unknown"),
        ({"contain": True}, "ncr.nothing_to_contain"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    db: Session, plant: Plant, kw: dict[str, object], code: str
) -> None:
    args: dict[str, object] = {
        "source": "manual", "title": "t", "description": "d", "actor": "user:qe",
        "roles": QUALITY, **kw,
    }  # fmt: skip
    before = db.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    with pytest.raises(DomainError) as caught:
        ncrs.open_ncr(db, **args)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert db.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) == before
    assert ncrs.list_ncrs(db)[1] == 0


def test_support_opens_field_returns_only_and_cannot_contain(db: Session, plant: Plant) -> None:
    with pytest.raises(DomainError) as caught:
        ncrs.open_ncr(db, source="manual", title="t", description="d", actor="user:s",
                      roles=SUPPORT)  # fmt: skip
    assert caught.value.code == "ncr.source_forbidden"
    with pytest.raises(DomainError) as contain:
        ncrs.open_ncr(db, source="field_return", title="t", description="d", actor="user:s",
                      roles=SUPPORT, units=[FINISHED[0]], contain=True)  # fmt: skip
    assert contain.value.code == "ncr.contain_forbidden"
    ncr = ncrs.open_ncr(db, source="field_return", title="Returned cracked", description="RMA",
                        actor="user:s", roles=SUPPORT, units=[FINISHED[0]])  # fmt: skip
    assert ncr.source == "field_return"


def test_list_newest_first_with_unit_counts(db: Session, plant: Plant) -> None:
    first = open_contained(db, FINISHED[:2])
    second = open_contained(db, FINISHED[2:5])
    ncrs.disposition_ncr(db, first.code, disposition="use_as_is", note="ok", actor="user:qe",
                         roles=QUALITY)  # fmt: skip
    rows, total = ncrs.list_ncrs(db)
    assert total == 2 and [(n.code, c) for n, c in rows] == [(second.code, 3), (first.code, 2)]
    open_rows, open_total = ncrs.list_ncrs(db, status="open")
    assert open_total == 1 and open_rows[0][0].code == second.code


def test_scrap_re_holds_units_whose_containment_was_released_by_hand(
    db: Session, plant: Plant
) -> None:
    ncr = open_contained(db, FINISHED[:2])
    hold_id = ncrs.ncr_units(db, ncr.id)[0]["hold_id"]
    release_hold(db, hold_id, actor="user:qe", note="released at the holds page", roles=QUALITY)
    assert [hold_count(db, uid) for uid in FINISHED[:2]] == [0, 0]
    done = ncrs.disposition_ncr(
        db, ncr.code, disposition="scrap", note="cracks", actor="user:qe", roles=QUALITY
    )
    effect = done.production_effect or {}
    assert effect["holds_kept"] == [] and len(effect["holds_placed"]) == 1
    assert [hold_count(db, uid) for uid in FINISHED[:2]] == [1, 1]
    assert all(u["held"] for u in ncrs.ncr_units(db, ncr.id))
