"""The caller's own identity: `GET /api/v1/me`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from forgeline.api.schemas import StrictModel
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal

router = APIRouter(tags=["auth"])


class Me(StrictModel):
    kind: str
    name: str
    display_name: str
    roles: list[str]
    actor: str


@router.get("/me", response_model=Me)
def me(principal: Annotated[Principal, Depends(require("self.read"))]) -> Me:
    """Who the API believes you are, with your roles."""
    return Me(
        kind=principal.kind.value,
        name=principal.name,
        display_name=principal.display_name,
        roles=sorted(principal.roles),
        actor=principal.actor,
    )
