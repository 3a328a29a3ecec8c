"""Browser tests: a real server on a loopback port, driven by Debian's chromium through Playwright.

One server per test session, on a fresh SQLite file that is migrated, loaded with the default
plant, given an admin whose password the tests know and a few hours of plant history sent
through ingest (`plant_history`: an operator, a quality engineer and a planner among it).
Each test gets its own browser context (fresh cookies), and leaves a screenshot under
test-output/screenshots/<test name>.png so people can look at what the browser saw, pass or
fail.

Playwright never downloads a browser here: the plant network has no route out, and Debian's
package is the one that gets security updates (`make browser` installs it).
"""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from forgeline.app import create_app
from forgeline.auth.service import create_user
from forgeline.config import Settings, load_settings
from forgeline.db.engine import make_engine
from forgeline.db.migrate import upgrade
from forgeline.db.session import make_session_factory, session_scope
from forgeline.plant.service import DEFAULT_PLANT, load_definition_file
from tests.e2e.plant_history import build_plant_history

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
ADMIN_USERNAME = "admin"
SERVER_START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    settings: Settings
    admin_username: str
    admin_password: str

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prepare_database(settings: Settings, admin_password: str) -> None:
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)  # the schema as `forgeline init` makes it: migrations, not create_all
        with session_scope(make_session_factory(engine), write=True) as session:
            load_definition_file(session, DEFAULT_PLANT, "system")
            create_user(
                session,
                username=ADMIN_USERNAME,
                full_name="Ada Admin",
                roles=["admin"],
                actor="system",
                password=admin_password,
            )
            build_plant_history(session)
    finally:
        engine.dispose()


def _wait_until_healthy(base_url: str, server: uvicorn.Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.started:
            try:
                if httpx.get(base_url + "/api/v1/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"the test server at {base_url} did not become healthy")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("e2e")
    settings = load_settings(
        {
            "FORGELINE_ENVIRONMENT": "test",
            "FORGELINE_DATA_DIR": str(data_dir),
            "FORGELINE_SECRET_KEY": secrets.token_urlsafe(48),
        }
    )
    admin_password = secrets.token_urlsafe(16)
    _prepare_database(settings, admin_password)
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, server)
        yield LiveServer(base_url, settings, ADMIN_USERNAME, admin_password)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _screenshot_name(node_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name).strip("_") + ".png"


@pytest.fixture
def page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser tab on the live server; a screenshot of it is saved after the test."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.base_url)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    try:
        yield tab
    finally:
        save_screenshot(tab, request.node.name)
        context.close()


def save_screenshot(tab: Any, name: str) -> Path:
    """Save a full-page screenshot as test-output/screenshots/<name>.png and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / _screenshot_name(name)
    tab.screenshot(path=str(path), full_page=True)
    return path


def sign_in(tab: Any, server: LiveServer, username: str, password: str) -> None:
    """Fill in the sign-in form the browser is on and submit it."""
    tab.get_by_label("User name").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_load_state()
