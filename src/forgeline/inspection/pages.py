"""Inspection pages: the latest results, one result with its image and defect overlays, and the
defect map (defects on the glass outline per station and day).

Overlays and the map are SVG drawn by the template from plain numbers computed here: boxes in
image pixels over the image, zone outlines from the model's geometry, points in mm on the outline.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from PIL import Image

from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.db.base import utcnow
from forgeline.errors import invalid, not_found
from forgeline.inspection import results
from forgeline.inspection.decide import CLASS_CODES, VERDICTS
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.image_store import ImageStore
from forgeline.inspection.tables import InspectionResult
from forgeline.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(require("inspection.read"))]
StationQuery = Annotated[str | None, Query(max_length=64)]
DayQuery = Annotated[date | None, Query()]

CLASS_COLOURS = {
    "scratch": "#d81b60",
    "dig": "#e65100",
    "chip": "#6a1b9a",
    "crack": "#b71c1c",
    "bubble": "#1565c0",
    "stain": "#2e7d32",
    "dust": "#757575",
}
CODE_COLOURS = {CLASS_CODES[c]: colour for c, colour in CLASS_COLOURS.items()}
OTHER_CODE_COLOUR = "#455a64"
ZONE_COLOURS = {"A": "#1e88e5", "B": "#fb8c00", "C": "#8e24aa"}


@router.get("/inspection", response_class=HTMLResponse)
def index(
    request: Request,
    session: SessionDep,
    _: Reader,
    station: StationQuery = None,
    day: DayQuery = None,
    verdict: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    """The latest inspection results, newest first; filter by station, day and verdict (the
    rejects of a shift are what a quality engineer looks at first)."""
    if verdict and verdict not in VERDICTS:
        raise invalid(
            "inspection.unknown_verdict",
            f"no verdict {verdict!r}; one of {', '.join(VERDICTS)}",
            verdict=verdict,
        )
    rows = results.latest(session, station or None, day, verdict or None)
    return render(
        request,
        "inspection/index.html",
        {
            "rows": rows,
            "limit": results.LATEST,
            "stations": results.stations(session),
            "station": station or "",
            "day": day.isoformat() if day else "",
            "verdicts": VERDICTS,
            "verdict": verdict or "",
        },
    )


def zone_outlines(geometry: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rounded rectangles and circles (image pixels) bounding zones C, B and A."""
    if not geometry:
        return []
    g = PieceGeometry.from_json(geometry)
    shapes: list[dict[str, Any]] = []
    for inset, label in ((0.0, "C"), (g.ink_px, "B"), (g.ink_px + g.near_edge_px, "A")):
        shapes.append(
            {
                "kind": "rect", "zone": label, "colour": ZONE_COLOURS[label],
                "x": g.margin_px + inset, "y": g.margin_px + inset,
                "w": g.width - 2 * (g.margin_px + inset),
                "h": g.height - 2 * (g.margin_px + inset),
                "r": max(g.corner_radius_px - inset, 0.0),
            }
        )  # fmt: skip
    for radius, label in ((g.hole_radius_px, "C"), (g.hole_radius_px + g.near_edge_px, "A")):
        shapes.append(
            {
                "kind": "circle", "zone": label, "colour": ZONE_COLOURS[label],
                "cx": g.hole_x, "cy": g.hole_y, "r": radius,
            }
        )  # fmt: skip
    return shapes


@router.get("/inspection/results/{result_id}", response_class=HTMLResponse)
def detail(
    request: Request, result_id: int, session: SessionDep, settings: SettingsDep, _: Reader
) -> HTMLResponse:
    """One result: the image with its defects boxed by class, the zones outlined, the table."""
    row, defects = results.result(session, result_id)
    store = ImageStore.in_data_dir(settings.data_dir)
    has_image = row.image_digest is not None and store.exists(row.image_digest)
    return render(
        request,
        "inspection/detail.html",
        {
            "r": row,
            "defects": defects,
            "has_image": has_image,
            "zones": zone_outlines(row.geometry),
            "colours": CLASS_COLOURS,
            "retention_days": settings.image_retention_days,
        },
    )


def _browser_image(data: bytes) -> tuple[bytes, str]:
    if data.startswith(b"\x89PNG"):
        return data, "image/png"
    if data.startswith(b"BM"):
        return data, "image/bmp"
    with Image.open(io.BytesIO(data)) as img:  # TIFF: browsers do not show it
        out = io.BytesIO()
        img.save(out, format="PNG")
    return out.getvalue(), "image/png"


@router.get("/inspection/results/{result_id}/image")
def image(result_id: int, session: SessionDep, settings: SettingsDep, _: Reader) -> Response:
    """The inspected image, for signed-in readers only."""
    row = session.get(InspectionResult, result_id)
    if row is None or row.image_digest is None:
        raise not_found("inspection.no_image", f"result {result_id} has no image", id=result_id)
    data = ImageStore.in_data_dir(settings.data_dir).read(row.image_digest)
    if data is None:
        raise not_found(
            "inspection.image_purged",
            f"the image of result {result_id} is no longer kept "
            f"(retention {settings.image_retention_days} days)",
            id=result_id,
        )
    body, media_type = _browser_image(data)
    return Response(body, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/inspection/defect-map", response_class=HTMLResponse)
def defect_map(
    request: Request,
    session: SessionDep,
    _: Reader,
    station: StationQuery = None,
    day: DayQuery = None,
) -> HTMLResponse:
    """Where the day's defects fall on the glass outline, one map per station."""
    shown = day or utcnow().date()
    maps = results.defect_map(session, shown, station or None)
    return render(
        request,
        "inspection/defect_map.html",
        {
            "maps": maps,
            "stations": results.aoi_stations(session),
            "station": station or "",
            "day": shown.isoformat(),
            "colours": CODE_COLOURS,
            "cell_mm": results.CELL_MM,
            "hotspot_min": results.HOTSPOT_MIN,
            "other_colour": OTHER_CODE_COLOUR,
        },
    )
