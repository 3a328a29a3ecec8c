"""Sign-in, sign-out and the password change pages."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.auth.credentials import verify_password
from forgeline.auth.deps import SESSION_COOKIE, require
from forgeline.auth.principal import Principal
from forgeline.auth.service import get_user, set_password
from forgeline.auth.sessions import sign_in, sign_out
from forgeline.errors import DomainError
from forgeline.web.templating import render

LOGIN_CSRF_COOKIE = "forgeline_login_csrf"
router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link borrow our sign-in page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(
    request: Request, next_path: str, error: DomainError | None = None, username: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    status = error.kind.http_status if error else 200
    response = render(
        request,
        "auth/login.html",
        {
            "next": next_path,
            "login_csrf": token,
            "error": error,
            "username": username,
        },
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    request.state.principal = None
    return _login_page(request, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    login_csrf: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    request.state.principal = None
    target = safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, login_csrf):
        error = DomainError("auth.csrf_failed", "the sign-in form expired; please try again")
        return _login_page(request, target, error, username)
    result = sign_in(
        session, username, password, settings, user_agent=request.headers.get("user-agent", "")
    )
    if result.error is not None or result.token is None or result.user is None:
        return _login_page(request, target, result.error, username)
    if result.user.must_change_password:
        target = f"/account/password?next={target}"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=int(settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _principal: Annotated[Principal, Depends(require("self.read"))],
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sign_out(session, cookie, settings)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account/password")
def password_form(
    request: Request,
    principal: Annotated[Principal, Depends(require("self.read"))],
    next: str = "/",
) -> Response:
    return render(request, "auth/password.html", {"next": safe_next(next), "error": None})


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require("self.read"))],
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    confirm_password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    target = safe_next(next)
    user = get_user(session, principal.name)
    error: DomainError | None = None
    if not verify_password(current_password, user.password_hash):
        error = DomainError("auth.invalid_credentials", "the current password is wrong")
    elif new_password != confirm_password:
        error = DomainError("user.password_mismatch", "the two new passwords differ")
    elif new_password == current_password:
        error = DomainError("user.password_unchanged", "choose a password you have not used here")
    if error is None:
        try:
            set_password(session, principal.name, new_password, principal.actor)
        except DomainError as exc:
            error = exc
    if error is not None:
        return render(
            request,
            "auth/password.html",
            {"next": target, "error": error},
            status_code=error.kind.http_status,
        )
    return RedirectResponse(target, status_code=303)
