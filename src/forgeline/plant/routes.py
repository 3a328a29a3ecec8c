"""The plant API: the current plant, its revisions, and loading a new definition.

A definition is posted as the YAML text itself (application/yaml or text/plain), so the body
that is stored and hashed is exactly what the author wrote, comments included.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from forgeline.api.deps import SessionDep
from forgeline.api.pagination import Page, PageDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError, ErrorKind
from forgeline.plant import queries, service
from forgeline.plant.schemas import (
    LoadResultOut,
    PlantSummary,
    RevisionDetail,
    RevisionOut,
    plant_summary,
    revision_detail,
)

router = APIRouter(prefix="/plant", tags=["plant"])
PlantReader = Annotated[Principal, Depends(require("plant.read"))]
PlantLoader = Annotated[Principal, Depends(require("plant.load"))]

YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/plain"})
MAX_DEFINITION_BYTES = 4 * 1024 * 1024
_YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {media: {"schema": {"type": "string"}} for media in sorted(YAML_MEDIA_TYPES)},
    }
}


async def yaml_body(request: Request) -> str:
    """The request body as text, refused unless it is declared as YAML or plain text."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in YAML_MEDIA_TYPES:
        raise DomainError(
            "plant.unsupported_media_type",
            f"send the definition as application/yaml or text/plain, not {media_type or 'nothing'}",
            {"accepted": sorted(YAML_MEDIA_TYPES)},
            ErrorKind.UNSUPPORTED_MEDIA,
        )
    body = await request.body()
    if len(body) > MAX_DEFINITION_BYTES:
        raise DomainError(
            "plant.definition_too_large",
            f"the definition is over {MAX_DEFINITION_BYTES} bytes",
            kind=ErrorKind.TOO_LARGE,
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DomainError("plant.invalid_encoding", "the definition must be UTF-8 text") from exc


@router.get("", response_model=PlantSummary)
def current_plant(session: SessionDep, _principal: PlantReader) -> PlantSummary:
    """The current revision: site, areas with lines and stations, products and routings."""
    revision = service.current_revision(session)
    return plant_summary(
        revision,
        queries.lines_with_stations(session, revision.number),
        queries.products(session, revision.number),
        queries.routings(session, revision.number),
    )


@router.get("/revisions", response_model=Page[RevisionOut])
def list_revisions(
    session: SessionDep, page: PageDep, _principal: PlantReader
) -> Page[RevisionOut]:
    """Every loaded revision, newest first."""
    rows, total = service.list_revisions(session, limit=page.limit, offset=page.offset)
    return Page[RevisionOut](
        items=[RevisionOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/revisions/{number}", response_model=RevisionDetail)
def get_revision(number: int, session: SessionDep, _principal: PlantReader) -> RevisionDetail:
    """One revision with its parsed definition."""
    return revision_detail(service.get_revision(session, number))


@router.post(
    "/revisions",
    response_model=LoadResultOut,
    status_code=201,
    openapi_extra=_YAML_BODY,
    responses={200: {"model": LoadResultOut, "description": "unchanged: the current revision"}},
)
def load_revision(
    response: Response,
    session: SessionDep,
    principal: PlantLoader,
    text: Annotated[str, Depends(yaml_body)],
) -> LoadResultOut:
    """Load a definition: 201 with a new revision, or 200 when it equals the current one."""
    result = service.load_definition_text(session, text, "request body", principal.actor)
    if not result.created:
        response.status_code = 200
    return LoadResultOut(
        revision=RevisionOut.model_validate(result.revision), created=result.created
    )
