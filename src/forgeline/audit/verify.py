"""Recompute the whole audit log and say where it was tampered with.

One streaming pass in seq order, holding O(log n) tree state plus a bounded list of suspect
rows, so a log of millions of entries is never loaded at once. The checks:

- seq runs 1..N without gaps: a gap is a deleted entry (*missing*);
- each row's leaf, recomputed from its content, equals the stored `leaf_hash` (*edited*); when
  the content belongs at another seq, rows were swapped (*reordered*), or deleted and the later
  rows renumbered (*missing*);
- each checkpoint (rows and files in ``<data_dir>/audit/checkpoints``) is signed by the
  checkpoint key (*bad_checkpoint_signature*), and the root of the log's first `tree_size`
  recomputed leaves equals its root. A mismatch there with every row self-consistent means an
  entry was edited and its leaf hash recomputed to hide it: the entry is somewhere between the
  last checkpoint that still verifies and this one (*edited*, as a range);
- the log reaches at least seq tree_size + 1 (the checkpoint's own entry) for every checkpoint
  (*truncated*).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from forgeline.audit import merkle, queries
from forgeline.audit.checkpoint import SignedCheckpoint, read_checkpoint_files
from forgeline.audit.log import canonical_leaf_data
from forgeline.audit.signing import key_id, load_public_key
from forgeline.config import Settings

MAX_FINDINGS = 100
# Classifying a suspect tries it at every other suspect's seq, so this bounds quadratic work.
MAX_SUSPECTS = 256
# How far ahead to look for the true seq of a row whose content does not hash at its own seq.
RENUMBER_WINDOW = 16


class Problem(StrEnum):
    EDITED = "edited"
    MISSING = "missing"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_checkpoint_signature"


@dataclass(frozen=True)
class Finding:
    """One problem. Entry problems name a seq range (one seq when pinned down exactly)."""

    kind: Problem
    first_seq: int | None
    last_seq: int | None
    message: str

    @property
    def exact(self) -> bool:
        return self.first_seq is not None and self.first_seq == self.last_seq

    def sort_key(self) -> tuple[int, int, int]:
        # Entry problems in seq order, exact ones before ranges; checkpoint problems last.
        if self.first_seq is None:
            return (1, 0, 0)
        return (0, self.first_seq, 0 if self.exact else 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "message": self.message,
        }


@dataclass
class VerifyReport:
    entries: int
    checkpoints_checked: int
    root_hash: bytes
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints_checked": self.checkpoints_checked,
            "root_hash": self.root_hash.hex(),
            "first": self.first.as_dict() if self.first else None,
            "findings": [f.as_dict() for f in self.findings],
            "findings_total": self.findings_total,
        }


def _leaf(row: Row[Any], seq: int) -> bytes:
    data = canonical_leaf_data(
        seq,
        row.at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        before=row.before,
        after=row.after,
        request_id=row.request_id,
    )
    return merkle.leaf_hash(data)


def _collect_checkpoints(
    session: Session, settings: Settings
) -> tuple[list[SignedCheckpoint], list[Finding], int]:
    """Checkpoints from rows and files whose signature holds, findings for the rest, and how
    many distinct checkpoints were examined."""
    candidates: dict[tuple[Any, ...], str] = {}
    findings: list[Finding] = []
    for row in queries.all_checkpoints(session):
        candidates.setdefault(_identity(SignedCheckpoint.from_row(row)), f"checkpoint row {row.id}")
    unreadable = 0
    for path, parsed in read_checkpoint_files(settings):
        if parsed is None:
            unreadable += 1
            findings.append(_bad_signature(f"checkpoint file {path} is not a valid checkpoint"))
        else:
            candidates.setdefault(_identity(parsed), f"checkpoint file {path}")
    public_key = load_public_key(settings)
    kid = key_id(public_key) if public_key else None
    trusted: list[SignedCheckpoint] = []
    for ident, where in candidates.items():
        signed = SignedCheckpoint(*ident)
        if public_key is None or signed.key_id != kid:
            findings.append(_bad_signature(f"{where} is signed by unknown key {signed.key_id}"))
        elif not signed.is_signed_by(public_key):
            findings.append(
                _bad_signature(f"{where} (tree size {signed.tree_size}): signature does not match")
            )
        else:
            trusted.append(signed)
    trusted.sort(key=lambda c: c.tree_size)
    return trusted, findings, len(candidates) + unreadable


def _identity(signed: SignedCheckpoint) -> tuple[Any, ...]:
    return (signed.tree_size, signed.root_hash, signed.signed_at, signed.key_id, signed.signature)


def _bad_signature(message: str) -> Finding:
    return Finding(Problem.BAD_SIGNATURE, None, None, message)


class _Pass:
    """State of the streaming pass over the entries."""

    def __init__(self, checkpoints: list[SignedCheckpoint]) -> None:
        self.checkpoints = checkpoints
        self.next_checkpoint = 0
        self.last_good_size = 0
        self.tree = merkle.CompactRange()
        self.expected_seq = 1
        self.last_seq = 0
        self.findings: list[Finding] = []
        self.suspects: list[Row[Any]] = []
        self.suspects_dropped = 0

    def feed(self, row: Row[Any]) -> None:
        seq = row.seq
        if seq > self.expected_seq:
            self.findings.append(
                Finding(
                    Problem.MISSING,
                    self.expected_seq,
                    seq - 1,
                    _range_text("entry", self.expected_seq, seq - 1) + " deleted",
                )
            )
        recomputed = _leaf(row, seq)
        if seq < 1:
            self.findings.append(Finding(Problem.EDITED, seq, seq, f"entry has invalid seq {seq}"))
        elif recomputed != row.leaf_hash:
            if len(self.suspects) < MAX_SUSPECTS:
                self.suspects.append(row)
            else:
                self.suspects_dropped += 1
        self.tree.append(recomputed)
        self.expected_seq = seq + 1
        self.last_seq = seq
        self.check_checkpoints()

    def check_checkpoints(self) -> None:
        while (
            self.next_checkpoint < len(self.checkpoints)
            and self.checkpoints[self.next_checkpoint].tree_size <= self.tree.size
        ):
            signed = self.checkpoints[self.next_checkpoint]
            self.next_checkpoint += 1
            if signed.tree_size != self.tree.size:
                continue  # a second checkpoint of the same size, already passed
            if self.tree.root() == signed.root_hash:
                self.last_good_size = signed.tree_size
                continue
            first = self.last_good_size + 1
            self.findings.append(
                Finding(
                    Problem.EDITED,
                    first,
                    signed.tree_size,
                    f"the first {signed.tree_size} entries no longer hash to the root signed in "
                    f"checkpoint {signed.tree_size}: "
                    f"{_range_text('an entry in', first, signed.tree_size)} was altered",
                )
            )

    def finish(self) -> None:
        self.findings.extend(_classify(self.suspects))
        if self.suspects_dropped:
            self.findings.append(
                Finding(
                    Problem.EDITED,
                    self.suspects[-1].seq + 1,
                    self.last_seq,
                    f"{self.suspects_dropped} more entries after these do not match "
                    "their leaf hash",
                )
            )
        if self.checkpoints:
            largest = max(c.tree_size for c in self.checkpoints)
            # A checkpoint of size T is always followed by its own entry, seq T + 1.
            if self.last_seq < largest + 1:
                self.findings.append(
                    Finding(
                        Problem.TRUNCATED,
                        self.last_seq + 1,
                        largest + 1,
                        f"the log ends at seq {self.last_seq} but checkpoint {largest} "
                        f"proves it reached seq {largest + 1}",
                    )
                )


def _range_text(prefix: str, first: int, last: int) -> str:
    return f"{prefix} {first}" if first == last else f"{prefix} {first}..{last}"


def _classify(suspects: list[Row[Any]]) -> list[Finding]:
    """Name each row whose content does not hash to its leaf: edited, swapped or renumbered."""
    stored = {row.seq: row.leaf_hash for row in suspects}
    belongs: dict[int, int] = {}
    for row in suspects:
        candidates = [s for s in stored if s != row.seq]
        candidates += range(row.seq + 1, row.seq + 1 + RENUMBER_WINDOW)
        for other in candidates:
            # The row moved with its leaf hash, or the hash stayed where the content was.
            if _leaf(row, other) in (row.leaf_hash, stored.get(other)):
                belongs[row.seq] = other
                break
    findings: list[Finding] = []
    shift = 0
    for row in suspects:
        seq = row.seq
        other = belongs.get(seq)
        if shift and other == seq + shift:
            continue  # explained by the renumbering already reported
        if other is None:
            findings.append(Finding(Problem.EDITED, seq, seq, f"entry {seq} was edited"))
        elif other > seq and all(belongs.get(s) == s + other - seq for s in stored if s > seq):
            # Every later suspect sits the same distance below where it was recorded.
            shift = other - seq
            findings.append(
                Finding(
                    Problem.MISSING,
                    seq,
                    other - 1,
                    f"{_range_text('entry', seq, other - 1)} deleted and the later entries "
                    "renumbered to hide the gap",
                )
            )
        else:
            findings.append(
                Finding(
                    Problem.REORDERED,
                    seq,
                    seq,
                    f"entry {seq} holds the entry recorded as seq {other} (reordered)",
                )
            )
    return findings


def verify(session: Session, settings: Settings) -> VerifyReport:
    """Recompute every leaf and every checkpoint root; report problems, first bad entry first."""
    checkpoints, findings, examined = _collect_checkpoints(session, settings)
    state = _Pass(checkpoints)
    state.check_checkpoints()  # a checkpoint of the empty log is checked before any row
    for row in queries.stream_entry_rows(session):
        state.feed(row)
    state.finish()
    findings.extend(state.findings)
    findings = _without_covered_ranges(findings)
    findings.sort(key=Finding.sort_key)
    return VerifyReport(
        entries=state.tree.size,
        checkpoints_checked=examined,
        root_hash=state.tree.root(),
        findings=findings[:MAX_FINDINGS],
        findings_total=len(findings),
    )


def _without_covered_ranges(findings: list[Finding]) -> list[Finding]:
    """Drop a checkpoint's range finding when a finding about a single cause lies inside it."""

    def is_range(finding: Finding) -> bool:
        return finding.kind is Problem.EDITED and not finding.exact

    causes = [f.first_seq for f in findings if f.first_seq is not None and not is_range(f)]
    return [
        f
        for f in findings
        if not is_range(f)
        or not any(
            f.first_seq is not None and f.last_seq is not None and f.first_seq <= s <= f.last_seq
            for s in causes
        )
    ]
