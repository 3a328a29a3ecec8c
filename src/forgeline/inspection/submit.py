"""An AOI station's inspection of a unit, recorded in the plant.

Two ways in: the station posts the image (Forgeline's detector inspects it with the plant's model
file, `<data_dir>/aoi/model.npz`), or the station posts its own vision system's defects. Either
way Forgeline decides the verdict from the current plant revision's zone limits, and the defects
and a track-out go to production through its public path, `ingest`: pass -> pass, reject ->
fail, reclean (dust only) -> rework. All or nothing: if ingest refuses any event, the savepoint
is rolled back and the refusal is raised with ingest's code, so no inspection row is written;
the image file is written only after the rows are, and deleted again if the transaction rolls
back.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from forgeline.audit.log import append
from forgeline.auth.principal import Principal, PrincipalKind
from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.errors import DomainError, ErrorKind, conflict, forbidden, invalid, not_found
from forgeline.inspection import decide, images, pipeline, store
from forgeline.inspection.detect import ImageError
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.image_store import ImageStore, digest_of
from forgeline.inspection.limits import zone_rules
from forgeline.inspection.schemas import StationResultIn
from forgeline.inspection.tables import InspectionDefect, InspectionResult
from forgeline.production.catalog import PlantCatalog, catalogs, current_revision_number
from forgeline.production.events import new_event_id
from forgeline.production.ingest import ingest
from forgeline.production.tables import Unit
from forgeline.production.unit_handlers import canonical_uid

AOI_STATION_TYPE = "aoi"
TRACK_OUT = {decide.PASS: "pass", decide.REJECT: "fail", decide.RECLEAN: "rework"}
# The layout of the default 2048 x 1024 camera: the glass outline a station's result lies on.
DEFAULT_GEOMETRY = PieceGeometry.for_image(2048, 1024)


def model_path(settings: Settings) -> Path:
    return settings.data_dir / "aoi" / "model.npz"


_models: dict[Path, tuple[tuple[int, int], store.Bundle]] = {}
_models_lock = threading.Lock()


def plant_model(settings: Settings) -> store.Bundle:
    """The plant's model file, loaded once per version of the file (it is tens of MB)."""
    path = model_path(settings)
    try:
        stat = path.stat()
    except OSError:
        raise conflict(
            "inspection.no_model",
            f"no AOI model is configured: train one with `forgeline aoi train ... --out {path}`",
            path=str(path),
        ) from None
    key = (stat.st_mtime_ns, stat.st_size)
    with _models_lock:
        cached = _models.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            bundle = store.load(path)
        except ValueError as exc:
            raise conflict("inspection.bad_model", str(exc), path=str(path)) from exc
        _models[path] = (key, bundle)
        return bundle


@dataclass(frozen=True)
class Found:
    """A defect as recorded: from the detector (with box, area, score) or from a station."""

    cls: str
    zone: str
    length_mm: float
    width_mm: float
    diameter_mm: float
    x_mm: float
    y_mm: float
    bbox: list[int] | None = None
    area_px: int | None = None
    score: float | None = None


@dataclass
class Inspection:
    """What is recorded for one inspection, before it is checked by production."""

    uid: str
    station: str
    at: datetime
    source: str
    defects: list[Found]
    model_version: str | None = None
    model_digest: str | None = None
    image: bytes | None = None
    image_size: tuple[int, int] | None = None  # width, height
    geometry: PieceGeometry | None = None


def station_of(principal: Principal, station: str | None) -> str:
    """A station's token speaks for itself; a person names the station."""
    if principal.kind is PrincipalKind.STATION:
        if station not in (None, principal.name):
            raise forbidden(
                "inspection.wrong_station",
                f"this token is station {principal.name}; it may not report for {station}",
                station=station,
            )
        return principal.name
    if not station:
        raise invalid("inspection.station_required", "say which AOI station inspected the unit")
    return station


def _catalog(session: Session) -> PlantCatalog:
    number = current_revision_number(session)
    return catalogs(session, [number])[number]


def _check_station(catalog: PlantCatalog, station: str) -> None:
    info = catalog.station(station)
    if info.station_type != AOI_STATION_TYPE:
        raise invalid(
            "inspection.not_an_aoi_station",
            f"station {station} is a {info.station_type} station, not an AOI station",
            station=station,
        )


def _unit(session: Session, uid: str) -> Unit:
    unit = session.scalars(select(Unit).where(Unit.uid == canonical_uid(uid))).first()
    if unit is None:
        raise not_found("unit.unknown", f"no unit {uid!r}", uid=uid)
    return unit


@dataclass(frozen=True)
class Detected:
    """A posted image inspected, before any database work: defects, model, timings."""

    data: bytes
    found: list[Found]
    geometry: PieceGeometry
    model_version: str | None
    model_digest: str | None
    timings: dict[str, float]
    started: float


def detect(settings: Settings, data: bytes) -> Detected:
    """Decode and inspect an image with the plant's model; no database work."""
    started = time.perf_counter()
    bundle = plant_model(settings)
    geom = bundle.model.geometry
    try:
        image = images.decode(data, expected=(geom.height, geom.width))
    except ImageError as exc:
        raise invalid("inspection.bad_image", str(exc)) from exc
    decoded = time.perf_counter()
    blobs, _ = pipeline.detect_blobs(bundle, image)
    classes = pipeline.classify_blobs(bundle, blobs)
    inspected = time.perf_counter()
    mm = geom.mm_per_px
    found = [
        Found(
            c, b.zone, b.length_px * mm, b.width_px * mm, b.diameter_px * mm,
            round(((b.bbox[0] + b.bbox[2]) / 2 - geom.margin_px) * mm, 3),
            round(((b.bbox[1] + b.bbox[3]) / 2 - geom.margin_px) * mm, 3),
            list(b.bbox), int(b.area_px), round(float(b.score), 3),
        )
        for b, c in zip(blobs, classes, strict=True)
    ]  # fmt: skip
    timings = {"decode": (decoded - started) * 1000, "inspect": (inspected - decoded) * 1000}
    return Detected(
        data, found, geom,
        str(bundle.meta.get("version", "")) or None,
        str(bundle.meta.get("sha256", "")) or None,
        timings, started,
    )  # fmt: skip


def inspect_image(
    session: Session,
    settings: Settings,
    principal: Principal,
    uid: str,
    station: str | None,
    detected: Detected,
) -> InspectionResult:
    """Record an inspected image: verdict from the plant's limits, production, rows, file."""
    code = station_of(principal, station)
    catalog = _catalog(session)
    _check_station(catalog, code)
    unit = _unit(session, uid)
    geom = detected.geometry
    inspection = Inspection(
        unit.uid, code, utcnow(), "image", detected.found,
        model_version=detected.model_version, model_digest=detected.model_digest,
        image=detected.data, image_size=(geom.width, geom.height), geometry=geom,
    )  # fmt: skip
    timings = dict(detected.timings)
    return record(session, settings, principal, catalog, inspection, timings, detected.started)


def station_result(
    session: Session,
    settings: Settings,
    principal: Principal,
    uid: str,
    station: str | None,
    body: StationResultIn,
) -> InspectionResult:
    """Record the station's own vision result; the verdict is still the plant's zone rules'."""
    started = time.perf_counter()
    code = station_of(principal, station)
    catalog = _catalog(session)
    _check_station(catalog, code)
    unit = _unit(session, uid)
    found = [
        Found(d.cls, d.zone, d.length_mm, d.width_mm, d.diameter_mm, d.x_mm, d.y_mm,
              score=d.score)
        for d in body.defects
    ]  # fmt: skip
    inspection = Inspection(
        unit.uid, code, body.at or utcnow(), "station", found, model_version=body.vision_system
    )
    return record(session, settings, principal, catalog, inspection, {}, started)


def record(
    session: Session,
    settings: Settings,
    principal: Principal,
    catalog: PlantCatalog,
    inspection: Inspection,
    timings: dict[str, float],
    started: float,
) -> InspectionResult:
    """Decide, send defects and track-out through ingest, write the rows, then the image."""
    rules_json = zone_rules(catalog.definition)
    rules = decide.rules_from_json(rules_json)
    findings = [
        decide.Finding(f.cls, f.zone, f.length_mm, f.width_mm, f.diameter_mm)
        for f in inspection.defects
    ]
    decision = decide.decide(findings, rules)
    track_out = TRACK_OUT[decision.verdict]
    unit = _unit(session, inspection.uid)
    _send(session, principal, inspection, rules_json, track_out)
    geom = inspection.geometry or DEFAULT_GEOMETRY
    outline = geom.mm_per_px * (geom.width - 2 * geom.margin_px)
    outline_h = geom.mm_per_px * (geom.height - 2 * geom.margin_px)
    digest = digest_of(inspection.image) if inspection.image is not None else None
    width, height = inspection.image_size or (None, None)
    result = InspectionResult(
        unit_id=unit.id, uid=unit.uid, station_code=inspection.station,
        inspected_at=inspection.at, source=inspection.source, verdict=decision.verdict,
        track_out=track_out, reasons=list(decision.reasons),
        model_version=inspection.model_version, model_digest=inspection.model_digest,
        image_digest=digest, image_width=width, image_height=height,
        geometry=inspection.geometry.to_json() if inspection.geometry else None,
        outline_w_mm=round(outline, 3), outline_h_mm=round(outline_h, 3),
        timings_ms={}, submitted_by=principal.actor,
    )  # fmt: skip
    session.add(result)
    session.flush()
    session.add_all(
        InspectionDefect(
            result_id=result.id, seq=i, defect_class=f.cls,
            defect_code=decide.CLASS_CODES[f.cls], zone=f.zone, bbox=f.bbox,
            area_px=f.area_px, score=f.score, length_mm=round(f.length_mm, 3),
            width_mm=round(f.width_mm, 3), diameter_mm=round(f.diameter_mm, 3),
            x_mm=f.x_mm, y_mm=f.y_mm,
            violates=i in decision.violating,
        )
        for i, f in enumerate(inspection.defects)
    )  # fmt: skip
    append(
        session, actor=principal.actor, action="inspection.recorded",
        object_type="inspection_result", object_id=str(result.id),
        after={
            "uid": unit.uid, "station": inspection.station, "verdict": decision.verdict,
            "defects": len(inspection.defects), "image": digest,
        },
    )  # fmt: skip
    session.flush()
    if inspection.image is not None:
        _store_image(session, ImageStore.in_data_dir(settings.data_dir), inspection.image)
    timings["total"] = (time.perf_counter() - started) * 1000
    result.timings_ms = {k: round(v, 1) for k, v in timings.items()}
    session.flush()
    return result


def _send(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    rules_json: dict[str, Any],
    track_out: str,
) -> None:
    """Defect events and the track-out, accepted together or not at all."""
    at = inspection.at.isoformat()
    events: list[dict[str, Any]] = []
    for f in inspection.defects:
        code = decide.CLASS_CODES[f.cls]
        allowed = rules_json.get(code, {}).get("zones", [])
        events.append(
            {
                "event_id": str(new_event_id()), "type": "defect", "at": at,
                "uid": inspection.uid, "station": inspection.station, "code": code,
                # A zone the plant does not record this code in stays on the inspection row.
                "zone": f.zone if f.zone in allowed else None,
                "x_mm": f.x_mm, "y_mm": f.y_mm,
                "size_mm": round(max(f.length_mm, f.diameter_mm), 3),
            }
        )  # fmt: skip
    events.append(
        {
            "event_id": str(new_event_id()), "type": "track_out", "at": at,
            "uid": inspection.uid, "station": inspection.station, "result": track_out,
        }
    )  # fmt: skip
    savepoint = session.begin_nested()
    report = ingest(session, events, principal)
    refused = next((e for e in report.events if e.outcome != "accepted"), None)
    if refused is None:
        savepoint.commit()
        return
    savepoint.rollback()
    details = dict(refused.details or {})
    details["event"] = next(
        (e["type"] for e in events if e["event_id"] == refused.event_id), "unknown"
    )
    raise DomainError(
        refused.code or "event.refused",
        refused.message or f"production refused the {details['event']} event",
        details,
        ErrorKind.CONFLICT,
    )


def _store_image(session: Session, images_dir: ImageStore, data: bytes) -> None:
    """Write the file now; delete it again if the transaction is rolled back after all."""
    digest, created = images_dir.put(data)
    if not created:
        return

    settled = [False]

    def undo(_: Session) -> None:
        if not settled[0]:
            settled[0] = True
            images_dir.delete(digest)

    def keep(_: Session) -> None:
        settled[0] = True

    event.listen(session, "after_rollback", undo)
    event.listen(session, "after_commit", keep)
