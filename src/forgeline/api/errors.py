"""The one mapping from failures to HTTP answers, and the request-id middleware."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forgeline.errors import DomainError
from forgeline.request_context import current_request_id

log = logging.getLogger("forgeline.api")
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def error_response(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details or {}}}, status_code=status
    )


def _location(loc: tuple[object, ...] | list[object]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body",)) or "body"


@dataclass(frozen=True)
class ErrorAnswer:
    """What a failure means to a client: HTTP status, stable code, sentence, details."""

    status: int
    code: str
    message: str
    details: dict[str, Any]


def error_answer(request: Request, exc: Exception) -> ErrorAnswer:
    """The one mapping from a failure to its answer; logs the failures that are bugs.

    The JSON handlers below and the HTML error pages (`forgeline.web.error_pages`) both use it,
    so a refusal has the same status and code whichever way it is shown.
    """
    if isinstance(exc, DomainError):
        return ErrorAnswer(exc.kind.http_status, exc.code, exc.message, exc.details)
    if isinstance(exc, RequestValidationError):
        problems = [
            {"field": _location(e["loc"]), "problem": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"field": "request", "problem": "invalid"}
        return ErrorAnswer(
            422, "request.invalid", f"{first['field']}: {first['problem']}", {"problems": problems}
        )
    if isinstance(exc, StarletteHTTPException):
        codes = {404: "route.not_found", 405: "route.method_not_allowed", 401: "auth.required"}
        code = codes.get(exc.status_code, f"http.{exc.status_code}")
        return ErrorAnswer(exc.status_code, code, str(exc.detail), {})
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    # The id is read from request.state: by the time the outermost (server error) handler runs,
    # the middleware has already reset the context variable.
    request_id = getattr(request.state, "request_id", None) or current_request_id.get()
    return ErrorAnswer(
        500,
        "internal",
        "internal error; quote the request id to support",
        {"request_id": request_id},
    )


async def api_error(request: Request, exc: Exception) -> Response:
    """The JSON envelope for any failure."""
    answer = error_answer(request, exc)
    return error_response(answer.status, answer.code, answer.message, answer.details)


async def request_id_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Take the caller's X-Request-ID if well-formed, else make one; echo it on the answer."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _VALID_REQUEST_ID.match(given) else secrets.token_hex(8)
    request.state.request_id = request_id
    token = current_request_id.set(request_id)
    try:
        response = await call_next(request)
    finally:
        current_request_id.reset(token)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


# Every failure type the app answers for; `Exception` is the last resort (a bug: 500).
HANDLED_ERRORS: tuple[type[Exception], ...] = (
    DomainError,
    RequestValidationError,
    StarletteHTTPException,
    Exception,
)
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def install_error_handlers(app: FastAPI, handler: ErrorHandler = api_error) -> None:
    """Answer every failure with `handler` (the JSON envelope unless the web shell wraps it)."""
    for error_type in HANDLED_ERRORS:
        app.add_exception_handler(error_type, handler)
    app.middleware("http")(request_id_middleware)
