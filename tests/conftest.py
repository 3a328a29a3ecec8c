"""Shared fixtures. Every database test runs on SQLite and on PostgreSQL.

- `db`: a Session inside a transaction that is rolled back after the test (fast isolation);
  service code may call commit(), which only releases a savepoint.
- `db_url`: a fresh, empty, real database per test, for code that opens its own connections
  (CLI commands, concurrency tests). Slower; use only when commits must really happen.
- `client`: the FastAPI app over the `db` connection.

PostgreSQL comes from FORGELINE_TEST_POSTGRES_URL (default: the local server, trust auth). When
it is unreachable the PostgreSQL half is skipped locally, and fails under CI=true.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from forgeline.app import create_app
from forgeline.config import Settings, load_settings
from forgeline.db.engine import make_engine
from forgeline.models import metadata

pytest_plugins = ["tests.identities"]

# Rich wraps CLI output at the terminal's width, which differs between machines (and with the
# length of the checkout's path); tests read the output unwrapped.
os.environ["COLUMNS"] = "240"

# Tests never assert on timing: Hypothesis's per-example deadline and its "generation too slow"
# check are timings, and fail when the suite's workers share a loaded machine.
settings.register_profile("forgeline", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("forgeline")

PG_ADMIN_URL = os.environ.get(
    "FORGELINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin_engine() -> Engine | None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {exc}")
        return None
    return engine


class Databases:
    """Creates and drops the per-session template databases and per-test databases."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg_admin: Engine | None = None
        self.pg_checked = False
        self.created_pg: list[str] = []
        self.templates: dict[str, Engine] = {}

    def admin(self) -> Engine:
        if not self.pg_checked:
            self.pg_admin = _pg_admin_engine()
            self.pg_checked = True
        if self.pg_admin is None:
            pytest.skip("PostgreSQL unreachable (required under CI=true)")
        return self.pg_admin

    def new_url(self, backend: str, *, schema: bool = True) -> str:
        name = f"fl_test_{os.getpid()}_{secrets.token_hex(4)}"
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp / (name + '.db')}"
        else:
            with self.admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.created_pg.append(name)
            url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        if schema:
            engine = make_engine(url)
            metadata.create_all(engine)
            engine.dispose()
        return url

    def shared_engine(self, backend: str) -> Engine:
        """One schema'd database per backend per test session, for rolled-back tests."""
        if backend not in self.templates:
            self.templates[backend] = make_engine(self.new_url(backend))
        return self.templates[backend]

    def close(self) -> None:
        for engine in self.templates.values():
            engine.dispose()
        if self.pg_admin is not None:
            with self.pg_admin.connect() as conn:
                for name in self.created_pg:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.pg_admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("databases"))
    yield dbs
    dbs.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_connection(databases: Databases, backend: str) -> Iterator[Connection]:
    engine = databases.shared_engine(backend)
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session_factory(db_connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=db_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def db_url(databases: Databases, backend: str) -> str:
    return databases.new_url(backend)


@pytest.fixture
def empty_db_url(databases: Databases, backend: str) -> str:
    """A fresh database with no tables at all, for code that runs the migrations itself."""
    return databases.new_url(backend, schema=False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        {
            "FORGELINE_ENVIRONMENT": "test",
            "FORGELINE_DATA_DIR": str(tmp_path / "data"),
            "FORGELINE_SECRET_KEY": secrets.token_urlsafe(48),
        }
    )


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(settings, session_factory)
    with TestClient(app) as test_client:
        yield test_client
