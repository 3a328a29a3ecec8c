"""Failures shown to people: an HTML error page for pages, the JSON envelope for the API.

The status and code come from the API's one mapping (`forgeline.api.errors.error_answer`); this
module only chooses how to show them. A page request that needs a signed-in user is sent to the
login page (303) with the page it wanted, so signing in brings the person back to it.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from forgeline.api.errors import api_error, error_answer
from forgeline.errors import ErrorKind
from forgeline.web.templating import render

API_PATH_PREFIX = "/api/"
LOGIN_PATH = "/login"
PASSWORD_PATH = "/account/password"  # noqa: S105 - a URL path
# Raised by auth for a person still holding a one-time password; pages send them to change it.
PASSWORD_CHANGE_CODE = "auth.password_change_required"  # noqa: S105 - an error code

# Titles people read; the code stays visible on the page for support.
_TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported format",
    422: "Cannot do that",
    423: "Locked",
    429: "Too many requests",
    500: "Something went wrong",
}

# Starlette's own refusals say only "Not Found"; on a page that repeats the title, so say more.
_PLAIN_MESSAGES = {
    404: "Nothing lives at this address. Check the link, or start again from the overview.",
    405: "This address does not accept that kind of request.",
}


def _page_message(status: int, message: str) -> str:
    try:
        bare = message == HTTPStatus(status).phrase
    except ValueError:
        bare = False
    return _PLAIN_MESSAGES.get(status, "") if bare else message


def is_api_path(path: str) -> bool:
    return path == API_PATH_PREFIX.rstrip("/") or path.startswith(API_PATH_PREFIX)


def login_url(request: Request, page: str = LOGIN_PATH) -> str:
    """<page>?next=<the page asked for>; only a local path ever goes into `next`."""
    wanted = request.url.path
    if request.url.query:
        wanted += "?" + request.url.query
    return f"{page}?next={quote(wanted, safe='/')}"


def _send_to(request: Request, page: str, status: int) -> Response:
    target = login_url(request, page)
    if request.headers.get("HX-Request") == "true":
        # An htmx fragment request must not swap a whole form into part of a page; htmx
        # follows HX-Redirect with a full navigation whatever the status.
        return Response(status_code=status, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def page_or_api_error(request: Request, exc: Exception) -> Response:
    """The app's handler for every failure: JSON under /api/, an HTML page everywhere else."""
    if is_api_path(request.url.path):
        return await api_error(request, exc)
    answer = error_answer(request, exc)
    if answer.status == ErrorKind.UNAUTHENTICATED.http_status:
        return _send_to(request, LOGIN_PATH, answer.status)
    if answer.code == PASSWORD_CHANGE_CODE:
        return _send_to(request, PASSWORD_PATH, answer.status)
    return render(
        request,
        "error.html",
        {
            "status": answer.status,
            "title": _TITLES.get(answer.status, "Error"),
            "code": answer.code,
            "message": _page_message(answer.status, answer.message),
            "request_id": answer.details.get("request_id"),
        },
        status_code=answer.status,
    )
