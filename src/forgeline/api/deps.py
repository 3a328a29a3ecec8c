"""Typed request dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from forgeline.config import Settings
from forgeline.db.session import session_scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request is the transaction boundary: commit after the handler, roll back on error."""
    with session_scope(
        request.app.state.session_factory, write=request.method not in SAFE_METHODS
    ) as session:
        yield session


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": the commit happens when the handler returns, before the answer is sent, so
# a client is never told "accepted" for a write that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
