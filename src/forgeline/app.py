"""create_app(): assembles the API routers and the web pages into one ASGI application."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from forgeline import __version__
from forgeline.admin import pages as admin_pages
from forgeline.admin import routes as admin_routes
from forgeline.api.deps import SessionDep
from forgeline.api.errors import install_error_handlers
from forgeline.api.schemas import StrictModel
from forgeline.audit import pages as audit_pages
from forgeline.audit import routes as audit_routes
from forgeline.auth import pages as auth_pages
from forgeline.auth import routes as auth_routes
from forgeline.config import Settings, get_settings
from forgeline.db.engine import make_engine
from forgeline.db.migrate import current_revision
from forgeline.db.session import SessionFactory, make_session_factory
from forgeline.inspection import pages as inspection_pages
from forgeline.inspection import routes as inspection_routes
from forgeline.plant import pages as plant_pages
from forgeline.plant import routes as plant_routes
from forgeline.production import hold_routes, master_routes, performance_routes
from forgeline.production import pages as production_pages
from forgeline.production import routes as event_routes
from forgeline.quality import monitoring as quality_monitoring
from forgeline.quality import pages as quality_pages
from forgeline.quality import routes as quality_routes
from forgeline.quality import spc_pages, spc_routes
from forgeline.security import admin_routes as security_admin_routes
from forgeline.security import pages as security_pages
from forgeline.security import routes as security_routes
from forgeline.trace import pages as trace_pages
from forgeline.trace import routes as trace_routes
from forgeline.twin import pages as twin_pages
from forgeline.web.assets import mount_static
from forgeline.web.error_pages import page_or_api_error

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
        connection = session.connection()  # reading the schema revision proves it answers
        return Health(
            status="ok",
            version=__version__,
            database=connection.dialect.name,
            schema_revision=current_revision(connection),
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
    # Live SPC watches every measurement that ingest accepts (see production.observers).
    quality_monitoring.install()
    spc_pages.add_overview_panels()
    app.state.session_factory = session_factory
    # JSON envelope under /api/, HTML error pages (and the sign-in redirect) everywhere else.
    install_error_handlers(app, page_or_api_error)
    mount_static(app)

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(_health_router())
    api.include_router(auth_routes.router)
    api.include_router(audit_routes.router)
    api.include_router(admin_routes.router)
    api.include_router(plant_routes.router)
    api.include_router(master_routes.router)
    api.include_router(hold_routes.router)
    api.include_router(performance_routes.router)
    api.include_router(trace_routes.router)
    api.include_router(event_routes.router)
    api.include_router(security_routes.router)
    api.include_router(security_admin_routes.router)
    api.include_router(spc_routes.router)
    api.include_router(quality_routes.router)
    api.include_router(inspection_routes.router)
    app.include_router(api)
    app.include_router(auth_pages.router)
    app.include_router(plant_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(trace_pages.router)
    app.include_router(twin_pages.router)
    app.include_router(security_pages.router)
    app.include_router(spc_pages.router)
    app.include_router(quality_pages.router)
    app.include_router(inspection_pages.router)
    app.include_router(production_pages.router)
    app.include_router(audit_pages.router)
    return app
