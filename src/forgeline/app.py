"""create_app(): assembles the API routers and the web pages into one ASGI application."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from forgeline import __version__
from forgeline.api.deps import SessionDep
from forgeline.api.errors import install_error_handlers
from forgeline.api.schemas import StrictModel
from forgeline.config import Settings, get_settings
from forgeline.db.engine import make_engine
from forgeline.db.migrate import current_revision
from forgeline.db.session import SessionFactory, make_session_factory

API_PREFIX = "/api/v1"


class Health(StrictModel):
    status: str
    version: str
    database: str
    schema_revision: str | None


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Health)
    def health(session: SessionDep) -> Health:
        """Liveness and readiness: answers only when the database answers."""
        session.execute(text("SELECT 1"))
        bind = session.get_bind()
        return Health(
            status="ok",
            version=__version__,
            database=bind.dialect.name,
            schema_revision=current_revision(bind.engine) if hasattr(bind, "engine") else None,
        )

    return router


def create_app(
    settings: Settings | None = None, session_factory: SessionFactory | None = None
) -> FastAPI:
    """Build the application. Tests pass their own session factory; production makes one."""
    settings = settings or get_settings()
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.resolved_database_url))
    app = FastAPI(
        title="Forgeline",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(_health_router())
    app.include_router(api)
    return app
