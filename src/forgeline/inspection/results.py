"""Reading inspection results back: the latest, one with its defects, the defect map; purging.

The defect map puts every AOI defect of a station and day at its place on the glass outline, in mm,
and counts defects per 5 mm cell: a fixture that scratches the same spot on every piece makes
one cell stand out however the defects are spread otherwise.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.errors import not_found
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.image_store import ImageStore
from forgeline.inspection.tables import InspectionDefect, InspectionResult
from forgeline.production import tallies
from forgeline.production.catalog import catalogs, current_revision_number
from forgeline.production.performance import station_counts
from forgeline.production.tables import Defect, Unit

CELL_MM = 5.0
HOTSPOT_MIN = 3  # defects in one cell before it is called a hot spot
NOT_COUNTED = frozenset({"DST"})  # dust is cleaned off, not made by a fixture
# The glass outline of the default 2048 x 1024 camera layout (geometry.PieceGeometry.for_image).
_DEFAULT = PieceGeometry.for_image(2048, 1024)
OUTLINE_W_MM = round(_DEFAULT.mm_per_px * (_DEFAULT.width - 2 * _DEFAULT.margin_px), 1)
OUTLINE_H_MM = round(_DEFAULT.mm_per_px * (_DEFAULT.height - 2 * _DEFAULT.margin_px), 1)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, dtime(0, 0), tzinfo=UTC)
    return start, start + timedelta(days=1)


LATEST = 200  # results the list shows at most: the newest


def latest(
    session: Session,
    station: str | None = None,
    day: date | None = None,
    verdict: str | None = None,
    limit: int = LATEST,
) -> list[tuple[InspectionResult, int]]:
    """Newest first, with each result's defect count."""
    query = select(InspectionResult).order_by(
        InspectionResult.inspected_at.desc(), InspectionResult.id.desc()
    )
    if station:
        query = query.where(InspectionResult.station_code == station)
    if verdict:
        query = query.where(InspectionResult.verdict == verdict)
    if day is not None:
        start, end = _day_bounds(day)
        query = query.where(
            InspectionResult.inspected_at >= start, InspectionResult.inspected_at < end
        )
    rows = list(session.scalars(query.limit(limit)))
    counts: Counter[int] = Counter(
        session.scalars(
            select(InspectionDefect.result_id).where(
                InspectionDefect.result_id.in_([r.id for r in rows])
            )
        )
    )
    return [(r, counts[r.id]) for r in rows]


def stations(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(InspectionResult.station_code).distinct().order_by(InspectionResult.station_code)
        )
    )


def result(session: Session, result_id: int) -> tuple[InspectionResult, list[InspectionDefect]]:
    row = session.get(InspectionResult, result_id)
    if row is None:
        raise not_found(
            "inspection.unknown_result", f"no inspection result {result_id}", id=result_id
        )
    defects = list(
        session.scalars(
            select(InspectionDefect)
            .where(InspectionDefect.result_id == result_id)
            .order_by(InspectionDefect.seq)
        )
    )
    return row, defects


@dataclass
class MapPoint:
    uid: str
    defect_code: str
    zone: str | None
    x_mm: float
    y_mm: float
    size_mm: float | None


@dataclass
class StationMap:
    station: str
    outline_w_mm: float
    outline_h_mm: float
    inspected: int  # pieces tracked out at the station that day
    points: list[MapPoint]
    unplaced: int  # defects reported without a position
    hotspots: list[tuple[float, float, int]]  # cell's x0, y0 (mm) and its defect count


def aoi_stations(session: Session) -> list[str]:
    """The current plant revision's AOI stations."""
    number = current_revision_number(session)
    catalog = catalogs(session, [number])[number]
    return sorted(c for c, info in catalog.stations.items() if info.station_type == "aoi")


def defect_map(session: Session, day: date, station: str | None = None) -> list[StationMap]:
    """Per AOI station, the day's defects on the glass outline and the cells where they gather.

    Read from production's defect records, so every AOI defect counts: those Forgeline found in
    a posted image, those a station's own vision system reported, and those sent as plain
    events (the plant twin's)."""
    start, end = _day_bounds(day)
    codes = [s for s in aoi_stations(session) if station in (None, s)]
    # Pieces tracked out of each station that day, from production's tallies.
    counts = station_counts(tallies.track_outs(session, [(start, end)])[0])
    inspected = {code: counts[code].total for code in codes if code in counts}
    rows = session.execute(
        select(Defect, Unit.uid)
        .join(Unit, Unit.id == Defect.unit_id)
        .where(Defect.station_code.in_(codes), Defect.found_at >= start, Defect.found_at < end)
        .order_by(Defect.id)
    )
    maps: dict[str, StationMap] = {}
    for code in codes:
        if inspected.get(code):
            maps[code] = StationMap(code, OUTLINE_W_MM, OUTLINE_H_MM, inspected[code], [], 0, [])
    for d, uid in rows:
        entry = maps.setdefault(
            d.station_code,
            StationMap(d.station_code, OUTLINE_W_MM, OUTLINE_H_MM, 0, [], 0, []),
        )
        if d.x_mm is None or d.y_mm is None:
            entry.unplaced += 1
            continue
        entry.points.append(MapPoint(uid, d.defect_code, d.zone, d.x_mm, d.y_mm, d.size_mm))
    for entry in maps.values():
        cells = Counter(
            (int(p.x_mm // CELL_MM), int(p.y_mm // CELL_MM))
            for p in entry.points
            if p.defect_code not in NOT_COUNTED
        )
        entry.hotspots = [
            (cx * CELL_MM, cy * CELL_MM, n)
            for (cx, cy), n in cells.most_common()
            if n >= HOTSPOT_MIN
        ]
    return [maps[k] for k in sorted(maps)]


@dataclass
class PurgeReport:
    examined: int
    deleted: list[str]
    kept_on_hold: list[str]


def purge_images(
    session: Session,
    images: ImageStore,
    retention_days: float,
    *,
    dry_run: bool = False,
    now: float | None = None,
) -> PurgeReport:
    """Delete images written more than `retention_days` ago, except those of units on hold
    (evidence for a quality decision still to be made). Result rows keep their digest."""
    old = images.older_than(retention_days, time.time() if now is None else now)
    held: set[str] = set()
    for chunk in range(0, len(old), 500):
        part = old[chunk : chunk + 500]
        held.update(
            d
            for d in session.scalars(
                select(InspectionResult.image_digest)
                .join(Unit, Unit.id == InspectionResult.unit_id)
                .where(InspectionResult.image_digest.in_(part), Unit.hold_count > 0)
            )
            if d is not None
        )
    deleted = [d for d in old if d not in held]
    if not dry_run:
        for digest in deleted:
            images.delete(digest)
    return PurgeReport(len(old), deleted, sorted(held))
