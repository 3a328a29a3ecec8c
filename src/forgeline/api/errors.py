"""The one mapping from failures to HTTP answers, and the request-id middleware."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forgeline.audit.log import current_request_id
from forgeline.errors import DomainError

log = logging.getLogger("forgeline.api")
REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def error_response(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details or {}}}, status_code=status
    )


def _location(loc: tuple[object, ...] | list[object]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body",)) or "body"


async def _domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return error_response(exc.kind.http_status, exc.code, exc.message, exc.details)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": _location(e["loc"]), "problem": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"field": "request", "problem": "invalid"}
    return error_response(
        422, "request.invalid", f"{first['field']}: {first['problem']}", {"problems": problems}
    )


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "route.not_found", 405: "route.method_not_allowed", 401: "auth.required"}
    code = codes.get(exc.status_code, f"http.{exc.status_code}")
    return error_response(exc.status_code, code, str(exc.detail), None)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal", "internal error; quote the request id to support",
        {"request_id": current_request_id.get()},
    )


async def request_id_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Take the caller's X-Request-ID if well-formed, else make one; echo it on the answer."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _VALID_REQUEST_ID.match(given) else secrets.token_hex(8)
    token = current_request_id.set(request_id)
    try:
        response = await call_next(request)
    finally:
        current_request_id.reset(token)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.middleware("http")(request_id_middleware)
