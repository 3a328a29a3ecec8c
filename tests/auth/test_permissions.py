"""Generated permission tests: every route, every role, plus anonymous.

The route table is read from the app itself, so a new route is covered the day it is added:
it must either declare exactly one action with `require(...)` or be on the public list below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from forgeline.auth.permissions import PERMISSIONS, Role

# Reachable without signing in, on purpose.
PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/login"),
    ("POST", "/login"),
}


def required_actions(route: APIRoute) -> list[str]:
    found: list[str] = []

    def walk(dependant: object) -> None:
        call = getattr(dependant, "call", None)
        action = getattr(call, "required_action", None)
        if action is not None:
            found.append(action)
        for sub in getattr(dependant, "dependencies", []):
            walk(sub)

    walk(route.dependant)
    return found


def flat_routes(routes: Iterable[object]) -> Iterator[tuple[str, object]]:
    """(full path, route) for every route, looking inside included routers.

    FastAPI keeps included routers as nested objects (with their effective, prefixed paths)
    rather than copying their routes into app.routes; read both shapes.
    """
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from flat_routes(route.effective_candidates())
        elif hasattr(route, "original_route"):
            yield route.path, route.original_route
        else:
            yield getattr(route, "path", ""), route


def guarded_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for path, route in flat_routes(app.routes):
        if isinstance(route, Mount) or not isinstance(route, APIRoute):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            if (method, path) not in PUBLIC:
                yield method, path, route


def concrete(path: str) -> str:
    """A URL for a route template: every path parameter replaced by a value naming nothing
    (so an allowed DELETE cannot revoke the very token the next check relies on)."""
    return re.sub(r"\{[^}]+\}", "999999", path)


def test_every_route_declares_exactly_one_known_action(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    problems = []
    for method, path, route in guarded_routes(app):
        actions = required_actions(route)
        if len(actions) != 1:
            problems.append(f"{method} {path}: {len(actions)} actions {actions}")
        elif actions[0] not in PERMISSIONS:
            problems.append(f"{method} {path}: action {actions[0]!r} not in PERMISSIONS")
    assert not problems, "\n".join(problems)


def _answer(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    kwargs: dict[str, object] = {"headers": headers, "follow_redirects": False}
    if method in {"POST", "PUT", "PATCH"}:
        if path.startswith("/api/"):
            kwargs["json"] = {}
        else:
            kwargs["data"] = {}
    return client.request(method, concrete(path), **kwargs).status_code  # type: ignore[arg-type]


def test_permission_table_is_enforced_for_every_route_and_role(
    client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    identities = {role.value: as_role(role.value) for role in Role}
    # Signing out ends the session the other checks rely on, so it goes last.
    routes = sorted(guarded_routes(app), key=lambda r: r[1] == "/logout")
    assert routes, "no guarded routes found"
    problems = []
    for method, path, route in routes:
        action = required_actions(route)[0]
        allowed = PERMISSIONS[action]
        is_api = path.startswith("/api/")
        anonymous = _answer(client, method, path, {})
        expected_anonymous = 401 if is_api else 303
        if anonymous != expected_anonymous:
            problems.append(f"{method} {path} anonymous: {anonymous}, want {expected_anonymous}")
        for role, headers in identities.items():
            status = _answer(client, method, path, headers)
            if Role(role) in allowed:
                if status in {401, 403} or (not is_api and status == 303 and method == "GET"):
                    problems.append(f"{method} {path} as {role} ({action}): refused {status}")
            elif status != 403:
                problems.append(f"{method} {path} as {role} ({action}): {status}, want 403")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_every_action_is_allowed_to_someone(action: str) -> None:
    assert PERMISSIONS[action], f"{action} is allowed to nobody"
