"""Loading plant definitions into revisions, and finding revisions.

Loading the same text as the current revision changes nothing; any other text becomes the next
revision, with its own normalized rows, so work in progress keeps the revision it started with.
Every new revision is written to the audit log. Nothing here commits: the caller's unit of work
does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, defer

from forgeline.audit.log import append
from forgeline.errors import DomainError, ErrorKind, not_found
from forgeline.plant.definition import PlantDefinition, parse_definition
from forgeline.plant.rows import revision_rows
from forgeline.plant.tables import PlantRevision, PlantStation, PlantStationType

# Two loads at once on PostgreSQL must not both pick the same next number.
_PG_PLANT_LOCK_KEY = 0x506C6E74  # "Plnt"
DEFAULT_PLANT = Path(__file__).resolve().parent.parent / "plants" / "default.yaml"


@dataclass(frozen=True)
class LoadResult:
    revision: PlantRevision
    created: bool  # False: the text equals the current revision's, nothing was written


def content_sha256(raw_text: str) -> str:
    return hashlib.sha256(raw_text.encode("utf-8")).hexdigest()


def load_definition(
    session: Session, definition: PlantDefinition, raw_text: str, actor: str
) -> PlantRevision:
    """The revision holding `raw_text`: the current one if unchanged, else a new one."""
    return load_revision(session, definition, raw_text, actor).revision


def load_definition_text(session: Session, raw_text: str, source: str, actor: str) -> LoadResult:
    """Parse and load YAML text; `source` names it in error messages (file name, "request")."""
    return load_revision(session, parse_definition(raw_text, source), raw_text, actor)


def load_definition_file(session: Session, path: Path, actor: str) -> PlantRevision:
    return load_definition_text(session, read_definition_file(path), str(path), actor).revision


def read_definition_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise not_found("plant.file_not_found", f"{path}: no such file", path=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainError("plant.file_unreadable", f"{path}: {exc}", {"path": str(path)}) from exc


def load_revision(
    session: Session, definition: PlantDefinition, raw_text: str, actor: str
) -> LoadResult:
    """Like `load_definition`, and says whether a revision was created."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_PLANT_LOCK_KEY})
    digest = content_sha256(raw_text)
    current = find_current_revision(session)
    if current is not None and current.content_sha256 == digest:
        return LoadResult(current, created=False)
    number = 1 if current is None else current.number + 1
    revision = PlantRevision(
        number=number,
        name=definition.name,
        definition_version=definition.version,
        format_version=definition.format_version,
        content_sha256=digest,
        raw_text=raw_text,
        definition_json=definition.model_dump(mode="json"),
        loaded_by=actor,
    )
    session.add(revision)
    session.flush()
    session.add_all(revision_rows(number, definition))
    session.flush()
    append(
        session,
        actor=actor,
        action="plant.load",
        object_type="plant_revision",
        object_id=str(number),
        before=None if current is None else _audit_summary(current, current.definition),
        after=_audit_summary(revision, definition),
    )
    return LoadResult(revision, created=True)


def _audit_summary(revision: PlantRevision, definition: PlantDefinition) -> dict[str, object]:
    return {
        "revision": revision.number,
        "name": revision.name,
        "version": revision.definition_version,
        "content_sha256": revision.content_sha256,
        "stations": len(definition.station_specs()),
        "routings": [r.code for r in definition.routings],
        "products": [p.code for p in definition.all_products()],
    }


def find_current_revision(session: Session) -> PlantRevision | None:
    """The newest revision, or None when no plant has been loaded."""
    return session.scalars(
        select(PlantRevision).order_by(PlantRevision.number.desc()).limit(1)
    ).first()


def current_revision(session: Session) -> PlantRevision:
    revision = find_current_revision(session)
    if revision is None:
        raise DomainError(
            "plant.not_loaded",
            "no plant definition is loaded; run `forgeline plant load FILE`",
            kind=ErrorKind.NOT_FOUND,
        )
    return revision


def get_revision(session: Session, number: int) -> PlantRevision:
    revision = session.get(PlantRevision, number)
    if revision is None:
        raise not_found("plant.revision_not_found", f"no plant revision {number}", number=number)
    return revision


def list_revisions(session: Session, *, limit: int, offset: int) -> tuple[list[PlantRevision], int]:
    """Newest first, without the (large) text and parsed definition; and the total count."""
    total = session.scalar(select(func.count()).select_from(PlantRevision)) or 0
    rows = session.scalars(
        select(PlantRevision)
        .options(defer(PlantRevision.raw_text), defer(PlantRevision.definition_json))
        .order_by(PlantRevision.number.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def station_codes(session: Session) -> set[str]:
    """Station codes of the current revision; empty when no plant is loaded."""
    revision = find_current_revision(session)
    if revision is None:
        return set()
    return set(
        session.scalars(select(PlantStation.code).where(PlantStation.revision == revision.number))
    )


def station_type_codes(session: Session) -> set[str]:
    """Station type codes of the current revision; empty when no plant is loaded."""
    revision = find_current_revision(session)
    if revision is None:
        return set()
    return set(
        session.scalars(
            select(PlantStationType.code).where(PlantStationType.revision == revision.number)
        )
    )


def skill_codes(session: Session) -> set[str]:
    """Skill codes of the current revision (what operators are certified for); empty when none."""
    revision = find_current_revision(session)
    if revision is None:
        return set()
    return {skill.code for skill in revision.definition.skills}
