"""The audit page: filters, the tree head, and the verification of the whole log."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from forgeline.audit.log import append

Headers = dict[str, str]


def _entries(db: Session) -> None:
    for n in range(3):
        append(db, actor="user:asha", action="hold.placed", object_type="hold", object_id=str(n))
    append(db, actor="user:pia", action="workorder.released", object_type="work_order",
           object_id="WO-1")  # fmt: skip
    db.commit()


def test_filters_and_verification(
    client: TestClient, db: Session, as_role: Callable[[str], Headers]
) -> None:
    headers = as_role("auditor")
    _entries(db)
    page = client.get("/audit?action=hold.placed", headers=headers)
    assert page.status_code == 200
    assert page.text.count('<a href="/audit?action=hold.placed">hold.placed</a>') == 3
    assert "workorder.released</a>" not in page.text
    assert 'hx-get="/audit/verification"' in page.text
    verified = client.get("/audit/verification", headers=headers).text
    assert "Intact." in verified


def test_tampering_shows_on_the_page(
    client: TestClient, db: Session, as_role: Callable[[str], Headers]
) -> None:
    headers = as_role("auditor")
    _entries(db)
    db.execute(
        text("UPDATE audit_entry SET actor = 'user:mallory' WHERE action = 'workorder.released'")
    )
    db.commit()
    verified = client.get("/audit/verification", headers=headers).text
    assert "Tampering found." in verified and "edited" in verified


def test_naive_times_are_refused(client: TestClient, as_role: Callable[[str], Headers]) -> None:
    page = client.get("/audit?since=2026-01-01T00:00", headers=as_role("auditor"))
    assert page.status_code == 422 and "audit.naive_time" in page.text
