"""Request authentication and the permission guard used by every API route and page.

Routes and pages both declare `Depends(require("area.verb"))`. A station presents
`Authorization: Bearer <token>`; a person's browser presents the session cookie. A request that
changes state with a cookie must also carry the session's CSRF token (form field `csrf_token` or
header `X-CSRF-Token`); bearer requests cannot be forged cross-site, so they need none.
An anonymous request is refused with `auth.required` (401); the error handler turns that into a
redirect to the sign-in page for pages, and a JSON envelope for the API.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from forgeline.api.deps import SAFE_METHODS, SessionDep, SettingsDep
from forgeline.auth.principal import Principal
from forgeline.auth.sessions import principal_for_session, principal_for_token
from forgeline.errors import DomainError, ErrorKind, forbidden

SESSION_COOKIE = "forgeline_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# The one action open to someone who must still replace a one-time password.
SELF_ACTION = "self.read"


async def _presented_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it; the handler's Form() fields still work
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def optional_principal(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Principal | None:
    """Who is calling, or None. Sets request.state.principal for templates."""
    principal: Principal | None = None
    authorization = request.headers.get("authorization", "")
    unsafe = request.method not in SAFE_METHODS
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise DomainError(
                "auth.bad_authorization",
                "use 'Authorization: Bearer <token>'",
                kind=ErrorKind.UNAUTHENTICATED,
            )
        principal = principal_for_token(session, token.strip(), settings, touch=unsafe)
        if principal is None:
            raise DomainError(
                "auth.invalid_token",
                "the API token is unknown or revoked",
                kind=ErrorKind.UNAUTHENTICATED,
            )
    elif cookie := request.cookies.get(SESSION_COOKIE):
        principal = principal_for_session(session, cookie, settings)
        if principal is not None and unsafe:
            presented = await _presented_csrf(request)
            if not hmac.compare_digest(presented, principal.csrf_token or ""):
                raise forbidden(
                    "auth.csrf_failed",
                    "the form's security token is missing or stale; reload the page",
                )
    request.state.principal = principal
    request.state.csrf_token = principal.csrf_token if principal else None
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require(action: str) -> Callable[..., Principal]:
    """A dependency that lets the request through only for a principal allowed `action`."""

    def guard(principal: OptionalPrincipal) -> Principal:
        if principal is None:
            raise DomainError(
                "auth.required",
                "sign in or present an API token",
                {"action": action},
                ErrorKind.UNAUTHENTICATED,
            )
        if principal.must_change_password and action != SELF_ACTION:
            raise forbidden(
                "auth.password_change_required",
                "choose a new password first: the current one was issued for one use",
            )
        if not principal.can(action):
            raise forbidden(
                "auth.forbidden",
                f"{principal.actor} may not {action} (roles: {', '.join(sorted(principal.roles))})",
                action=action,
            )
        return principal

    guard.required_action = action  # type: ignore[attr-defined]  # read by the permission test
    return guard
