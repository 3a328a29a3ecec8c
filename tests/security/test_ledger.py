"""The IMEI ledger on both databases: pairs, idempotence, exhaustion, voiding, checks."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from stdnum import imei as stdnum_imei

from forgeline.audit.tables import AuditEntry
from forgeline.db.base import utcnow
from forgeline.errors import DomainError
from forgeline.production.tables import Unit
from forgeline.security import ledger
from forgeline.security.handsets import handset_units
from forgeline.security.imei import TAC_SIZE
from forgeline.security.tables import ImeiRange, ImeiRecord
from tests.security.kit import ACTOR, DUAL, SINGLE, add_handsets


def test_dual_sim_gets_a_consecutive_pair_single_sim_one(db: Session, plant: int) -> None:
    add_handsets(db, plant, ["D1", "D2"], DUAL)
    add_handsets(db, plant, ["S1"], SINGLE)
    units = handset_units(db, ["D1", "D2", "S1"])
    result = ledger.allocate_for_units(db, list(units.values()), ACTOR)
    d1, d2, s1 = result.imeis["D1"], result.imeis["D2"], result.imeis["S1"]
    assert [len(d1), len(d2), len(s1)] == [2, 2, 1]
    assert d1[0][:8] == "35829104" and s1[0][:8] == "35829105"
    serials = [int(i[8:14]) for i in (*d1, *d2)]
    assert serials == [0, 1, 2, 3]
    assert all(stdnum_imei.is_valid(i) for i in (*d1, *d2, *s1))
    # Asking again answers the same IMEIs and takes nothing new.
    again = ledger.allocate_for_units(db, list(units.values()), ACTOR)
    assert again.imeis["D1"] == d1 and not again.fresh
    assert db.scalar(select(ImeiRange.next_serial).where(ImeiRange.tac == "35829104")) == 4
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "imei.allocated")).one()
    assert entry.after is not None and entry.after["units"]["D1"] == list(d1)


def test_exhaustion_moves_to_next_tac_then_refuses_and_warns(db: Session, plant: int) -> None:
    add_handsets(db, plant, [f"P{i}" for i in range(4)], SINGLE)
    units = handset_units(db, [f"P{i}" for i in range(4)])
    ledger.allocate(db, [units["P0"]], utcnow())  # creates both ranges
    db.execute(
        update(ImeiRange).where(ImeiRange.tac == "35829105").values(next_serial=TAC_SIZE - 1)
    )
    db.execute(update(ImeiRange).where(ImeiRange.tac == "35829106").values(next_serial=990_000))
    result = ledger.allocate(db, [units["P1"], units["P2"]], utcnow())
    assert result.imeis["P1"][0] == "35829105999999" + result.imeis["P1"][0][14]
    assert result.imeis["P2"][0][:14] == "35829106990000"
    assert {w["tac"]: w["level"] for w in result.warnings} == {
        "35829105": "exhausted",
        "35829106": "critical",
    }
    db.execute(update(ImeiRange).values(next_serial=TAC_SIZE))
    with pytest.raises(DomainError) as refused:
        ledger.allocate(db, [units["P3"]], utcnow())
    assert refused.value.code == "imei.range_exhausted"


def test_scrapped_handset_imeis_are_voided_never_reissued(db: Session, plant: int) -> None:
    add_handsets(db, plant, ["V1", "V2"], DUAL)
    units = handset_units(db, ["V1", "V2"])
    first = ledger.allocate(db, [units["V1"]], utcnow()).imeis["V1"]
    with pytest.raises(DomainError) as alive:
        ledger.void_unit(db, units["V1"], "test", ACTOR)
    assert alive.value.code == "imei.unit_not_scrapped"
    db.execute(update(Unit).where(Unit.uid == "V1").values(status="scrapped"))
    assert ledger.void_scrapped(db, ACTOR) == {"V1": list(first)}
    statuses = db.scalars(select(ImeiRecord.status).where(ImeiRecord.unit_uid == "V1")).all()
    assert statuses == ["voided", "voided"]
    second = ledger.allocate(db, [units["V2"]], utcnow()).imeis["V2"]
    assert not set(first) & set(second)
    assert ledger.check_imei(db, first[0])["status"] == "voided"
    scrapped = handset_units(db, ["V1"])["V1"]
    with pytest.raises(DomainError) as dead:
        ledger.allocate(db, [scrapped], utcnow())
    assert dead.value.code == "imei.unit_scrapped"


def test_check_refuses_bad_digit_and_unknown_tac(db: Session, plant: int) -> None:
    with pytest.raises(DomainError) as digit:
        ledger.check_imei(db, "358291040000004")
    assert digit.value.code == "imei.bad_check_digit"
    with pytest.raises(DomainError) as tac:
        ledger.check_imei(db, "490154203237518")
    assert tac.value.code == "imei.unknown_tac"
    fresh = ledger.check_imei(db, "358291040000005")
    assert fresh["status"] == "not_issued" and fresh["model"] == DUAL
