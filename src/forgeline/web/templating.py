"""One Jinja2 environment for every page, and `render`, the one way a page answers.

Templates live in ``web/templates/`` (the shell: layout, error page, macros) and in each domain's
``<domain>/templates/<domain>/`` folder, found by listing the package directory, so a new domain
needs no registration here. Names are namespaced by folder (``plant/index.html``), so the search
order only matters for the shell, which comes first.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forgeline import __version__
from forgeline.web.navigation import Viewer, visible_entries

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SHELL_TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_PREFIX = "/static"
EMPTY_VALUE = "\u2013"  # an en dash: what a table shows for "no value"


def template_dirs(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The shell's templates first, then every domain's ``templates/`` folder, sorted by name."""
    domains = sorted(
        path
        for path in package_dir.glob("*/templates")
        if path.is_dir() and path.resolve() != SHELL_TEMPLATES
    )
    return [SHELL_TEMPLATES, *domains]


def format_number(value: float | int | None, empty: str = EMPTY_VALUE) -> str:
    """Numbers as people read them in a table: no float noise, no trailing zeros, thin gaps.

    ``None`` (an open specification limit, an unset batch size) shows as a dash, not "None".
    """
    if value is None:
        return empty
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.6g}"


def format_percent(value: float | None, digits: int = 1, empty: str = EMPTY_VALUE) -> str:
    """A ratio (0.973) as people read it ("97.3 %"); None (nothing to measure) as a dash."""
    if value is None:
        return empty
    return f"{value * 100:.{digits}f}\u202f%"


def static_url(path: str) -> str:
    """URL of a file under web/static; the version query makes browsers refetch after upgrades."""
    return f"{STATIC_PREFIX}/{path.lstrip('/')}?v={__version__}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The process's Jinja2 environment, built on first use."""
    env = Environment(
        loader=FileSystemLoader([str(p) for p in template_dirs()]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        # A misspelt variable should fail the page in tests, not render as an empty string.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.filters["number"] = format_number
    env.filters["percent"] = format_percent
    env.globals["app_version"] = __version__
    return env


def page_context(request: Request, context: Mapping[str, Any]) -> dict[str, Any]:
    """What every template may rely on, merged under the page's own context.

    A page may pass ``principal`` explicitly (it has it from its dependency); otherwise the one
    that authentication left on ``request.state`` is used. Both may be absent: error and login
    pages are rendered for people who are not signed in.
    """
    principal: Viewer | None = context.get("principal", getattr(request.state, "principal", None))
    return {
        "request": request,
        "csrf_token": getattr(request.state, "csrf_token", None),
        "app_version": __version__,
        **context,
        "principal": principal,
        "nav": visible_entries(principal),
    }


def render(
    request: Request,
    template_name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page (or an htmx fragment) with the shell's context."""
    template = environment().get_template(template_name)
    html = template.render(page_context(request, context or {}))
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
