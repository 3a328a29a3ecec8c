"""Tamper with the log in every way the issue lists and check `verify` names the first bad entry.

Tampering uses SQL straight against the tables, as someone with database access would.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from forgeline.audit import merkle
from forgeline.audit.checkpoint import checkpoint, checkpoints_dir
from forgeline.audit.log import entry_leaf_data
from forgeline.audit.tables import AuditEntry
from forgeline.audit.verify import Problem, verify
from forgeline.config import Settings
from tests.audit.conftest import fill

ENTRY = AuditEntry.__table__


def _log_with_checkpoint(db: Session, settings: Settings, *, before: int, after: int) -> int:
    """`before` entries, a checkpoint (its own entry follows), then `after` more entries."""
    fill(db, before)
    size = checkpoint(db, settings, "user:alice").checkpoint.tree_size
    fill(db, after, start=before + 2)
    db.flush()
    return size


def _row(db: Session, seq: int) -> dict[str, Any]:
    return dict(db.execute(select(ENTRY).where(ENTRY.c.seq == seq)).mappings().one())


def _overwrite(db: Session, seq: int, values: dict[str, Any]) -> None:
    db.execute(ENTRY.update().where(ENTRY.c.seq == seq).values(**values))
    db.expire_all()


def test_intact_log_verifies(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    report = verify(db, settings)
    assert report.ok, report.findings
    assert report.entries == 16
    assert report.checkpoints_checked == 1  # the row and its file are the same checkpoint
    leaves = db.scalars(select(AuditEntry.leaf_hash).order_by(AuditEntry.seq)).all()
    assert report.root_hash == merkle.root(list(leaves))


def test_empty_log_verifies(db: Session, settings: Settings) -> None:
    report = verify(db, settings)
    assert report.ok
    assert report.entries == 0
    assert report.root_hash == merkle.EMPTY_ROOT


def test_edited_content_is_named_exactly(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("UPDATE audit_entry SET actor = 'user:mallory' WHERE seq = 7"))
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq, report.first.last_seq) == (
        Problem.EDITED,
        7,
        7,
    )
    assert "7" in report.first.message


def test_edit_after_last_checkpoint_is_still_named(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=4, after=6)
    db.execute(text("UPDATE audit_entry SET object_id = 'CG-999999' WHERE seq = 9"))
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq) == (Problem.EDITED, 9)


def test_edit_with_recomputed_leaf_hash_is_placed_between_checkpoints(
    db: Session, settings: Settings
) -> None:
    fill(db, 5)
    checkpoint(db, settings, "user:alice")  # size 5, own entry 6
    fill(db, 6, start=7)
    checkpoint(db, settings, "user:alice")  # size 12, own entry 13
    fill(db, 3, start=14)
    db.execute(text("UPDATE audit_entry SET actor = 'user:mallory' WHERE seq = 9"))
    edited = db.get(AuditEntry, 9)
    assert edited is not None
    db.refresh(edited)
    forged = merkle.leaf_hash(entry_leaf_data(edited))
    db.execute(text("UPDATE audit_entry SET leaf_hash = :h WHERE seq = 9"), {"h": forged})

    report = verify(db, settings)
    assert report.first is not None
    assert report.first.kind is Problem.EDITED
    assert not report.first.exact
    # Checkpoint 5 still verifies, checkpoint 12 fails: the edit is somewhere in 6..12.
    assert (report.first.first_seq, report.first.last_seq) == (6, 12)


def test_deleted_middle_entry_is_missing(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("DELETE FROM audit_entry WHERE seq = 4"))
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq, report.first.last_seq) == (
        Problem.MISSING,
        4,
        4,
    )
    # The checkpoint's root no longer matches either, but that is explained by the deletion.
    assert all(f.kind is not Problem.EDITED for f in report.findings)


def test_deletion_hidden_by_renumbering_is_missing(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("DELETE FROM audit_entry WHERE seq IN (4, 5)"))
    for seq in range(6, 17):
        db.execute(
            text("UPDATE audit_entry SET seq = :new WHERE seq = :old"), {"new": seq - 2, "old": seq}
        )
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq, report.first.last_seq) == (
        Problem.MISSING,
        4,
        5,
    )


def test_swapped_rows_are_reordered(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    content = [c.name for c in ENTRY.c if c.name != "seq"]
    three, eight = _row(db, 3), _row(db, 8)
    _overwrite(db, 3, {c: eight[c] for c in content})
    _overwrite(db, 8, {c: three[c] for c in content})
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq) == (Problem.REORDERED, 3)
    assert "8" in report.first.message
    assert [(f.kind, f.first_seq) for f in report.findings] == [
        (Problem.REORDERED, 3),
        (Problem.REORDERED, 8),
    ]


def test_swapped_content_under_fixed_hashes_is_reordered(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    content = [c.name for c in ENTRY.c if c.name not in ("seq", "leaf_hash")]
    two, five = _row(db, 2), _row(db, 5)
    _overwrite(db, 2, {c: five[c] for c in content})
    _overwrite(db, 5, {c: two[c] for c in content})
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq) == (Problem.REORDERED, 2)


def test_tail_deleted_below_checkpoint_is_truncated(db: Session, settings: Settings) -> None:
    size = _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("DELETE FROM audit_entry WHERE seq > 7"))
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq) == (Problem.TRUNCATED, 8)
    assert str(size) in report.first.message


def test_tail_deleted_down_to_checkpoint_size_is_truncated(db: Session, settings: Settings) -> None:
    # Everything after the checkpoint goes, including the checkpoint's own entry.
    size = _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("DELETE FROM audit_entry WHERE seq > :n"), {"n": size})
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq) == (Problem.TRUNCATED, size + 1)


def test_truncation_is_seen_from_the_file_when_checkpoint_rows_are_gone(
    db: Session, settings: Settings
) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("DELETE FROM audit_entry WHERE seq > 6"))
    db.execute(text("DELETE FROM audit_checkpoint"))
    report = verify(db, settings)
    assert report.first is not None
    assert (report.first.kind, report.first.first_seq) == (Problem.TRUNCATED, 7)


def test_checkpoint_row_with_forged_root_fails_signature(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("UPDATE audit_checkpoint SET root_hash = :h"), {"h": b"\x00" * 32})
    report = verify(db, settings)
    assert report.first is not None
    assert report.first.kind is Problem.BAD_SIGNATURE
    assert "row" in report.first.message


def test_checkpoint_file_with_forged_root_fails_signature(db: Session, settings: Settings) -> None:
    size = _log_with_checkpoint(db, settings, before=3, after=0)
    path = checkpoints_dir(settings) / f"{size}.json"
    document = json.loads(path.read_text())
    document["root_hash"] = "00" * 32
    path.write_text(json.dumps(document))
    report = verify(db, settings)
    assert [f.kind for f in report.findings] == [Problem.BAD_SIGNATURE]
    assert str(path) in report.findings[0].message


def test_first_bad_entry_comes_first_among_several(db: Session, settings: Settings) -> None:
    _log_with_checkpoint(db, settings, before=10, after=5)
    db.execute(text("UPDATE audit_entry SET action = 'x' WHERE seq = 12"))
    db.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    report = verify(db, settings)
    assert [(f.kind, f.first_seq) for f in report.findings] == [
        (Problem.MISSING, 5),
        (Problem.EDITED, 12),
    ]
