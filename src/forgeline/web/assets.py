"""Static assets (stylesheet, vendored htmx) served from the package at /static.

Everything is shipped inside the wheel: the plant floor has no route to a CDN, and pages must
work the same offline as in the office.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from forgeline.web.templating import STATIC_PREFIX

STATIC_DIR = Path(__file__).resolve().parent / "static"


def mount_static(app: FastAPI) -> None:
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
