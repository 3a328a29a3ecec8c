"""Static assets (stylesheet, vendored htmx, plotly.js) served from packages at /static.

Everything is shipped inside the wheel: the plant floor has no route to a CDN, and pages must
work the same offline as in the office.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from forgeline.web.templating import STATIC_PREFIX

STATIC_DIR = Path(__file__).resolve().parent / "static"
# plotly.js as the installed `plotly` package ships it (package_data/plotly.min.js): the
# version always matches the Python package, and nothing is copied into this repository.
PLOTLY_DIR = Path(str(getattr(find_spec("plotly"), "origin", ""))).resolve().parent / "package_data"
PLOTLY_PREFIX = f"{STATIC_PREFIX}/plotly"


def mount_static(app: FastAPI) -> None:
    # The more specific mount first: /static would otherwise answer 404 for /static/plotly/.
    app.mount(PLOTLY_PREFIX, StaticFiles(directory=PLOTLY_DIR), name="plotly")
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
