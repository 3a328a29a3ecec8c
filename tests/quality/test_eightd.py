"""8D reports: linked NCRs and units, disciplines, closing rules, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.auth.permissions import Role
from forgeline.errors import DomainError
from forgeline.quality import eightd
from forgeline.quality.ncr import open_ncr
from tests.quality.conftest import FINISHED, Plant


def test_report_lifecycle_is_audited(db: Session, plant: Plant) -> None:
    ncr = open_ncr(db, source="field_return", title="Cracks", description="3 returns",
                   actor="user:s", roles=frozenset({Role.SUPPORT}))  # fmt: skip
    report = eightd.open_eight_d(
        db, title="Cracked covers", customer="AURORA", actor="user:qe", complaint_ref="AUR-1",
        disciplines={"d2_problem": "Corner cracks"}, ncrs=[ncr.code], units=[FINISHED[0]],
    )  # fmt: skip
    assert report.code == f"8D-{report.id:06d}" and report.d2_problem == "Corner cracks"
    assert eightd.linked(db, report.id) == ([ncr.code], [FINISHED[0]])
    assert [r.code for r in eightd.reports_for_ncr(db, ncr.id)] == [report.code]
    texts = {field: f"{label} done" for field, label in eightd.DISCIPLINES.items()}
    eightd.update_eight_d(db, report.code, actor="user:qe", disciplines=texts,
                          add_units=FINISHED[:2], add_ncrs=[ncr.code])  # fmt: skip
    closed = eightd.update_eight_d(db, report.code, actor="user:qe", close=True)
    assert closed.status == "closed" and closed.closed_by == "user:qe"
    assert eightd.linked(db, report.id) == ([ncr.code], sorted(FINISHED[:2]))
    audited = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_id == report.code)
        .order_by(AuditEntry.seq)
    ).all()
    assert audited == ["eightd.opened", "eightd.updated", "eightd.closed"]


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"title": " "}, "eightd.title_required"),
        ({"customer": "NOBODY"}, "customer.unknown"),
        ({"ncrs": ["NCR-404"]}, "ncr.not_found"),
        ({"units": ["nope"]}, "unit.unknown"),
        ({"disciplines": {"d9_party": "x"}}, "eightd.unknown_field"),
    ],
)
def test_refusals(db: Session, plant: Plant, kw: dict[str, object], code: str) -> None:
    args: dict[str, object] = {"title": "t", "customer": "AURORA", "actor": "user:qe", **kw}
    with pytest.raises(DomainError) as caught:
        eightd.open_eight_d(db, **args)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert eightd.list_eight_ds(db)[1] == 0
