"""The inspection pages: latest results, one result with its image and overlays, the defect map."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from forgeline.config import Settings
from forgeline.db.base import utcnow
from forgeline.inspection.image_store import ImageStore
from tests.identities import station_headers
from tests.inspection.plant_kit import Images, aoi_model, plant_images, to_aoi
from tests.production.events_kit import Events, run

__all__ = ["aoi_model", "plant_images"]


@pytest.mark.usefixtures("aoi_model")
def test_result_page_shows_the_image_with_defect_boxes(
    db: Session, client: TestClient, settings: Settings, plant_images: Images,
    as_role: Callable[[str], dict[str, str]],
) -> None:  # fmt: skip
    uid = to_aoi(db, "PG00001")
    posted = client.post(
        f"/api/v1/inspection/units/{uid}/image",
        content=plant_images.reject,
        headers={**station_headers(db, settings, "AOI-01"), "Content-Type": "image/png"},
    )
    assert posted.status_code == 201, posted.text
    result = posted.json()
    viewer = as_role("support")  # inspection.read is for everyone in the plant

    listing = client.get("/inspection?station=AOI-01", headers=viewer)
    assert listing.status_code == 200
    assert uid in listing.text and 'data-verdict="reject"' in listing.text
    assert f'href="/inspection/results/{result["id"]}"' in listing.text
    other_day = client.get("/inspection?day=2001-01-01", headers=viewer)
    assert uid not in other_day.text and "No inspection results" in other_day.text

    page = client.get(f"/inspection/results/{result['id']}", headers=viewer)
    assert page.status_code == 200
    boxes = re.findall(r'<rect class="defect-box" data-class="(\w+)"', page.text)
    assert boxes == [d["defect_class"] for d in result["defects"]]
    assert f"/inspection/results/{result['id']}/image" in page.text
    assert "stroke-dasharray" in page.text  # zone outlines

    image = client.get(f"/inspection/results/{result['id']}/image", headers=viewer)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == plant_images.reject
    client.cookies.clear()  # the client keeps the cookies pages set; be nobody
    anonymous = client.get(f"/inspection/results/{result['id']}/image", follow_redirects=False)
    assert anonymous.status_code in (401, 303)

    ImageStore.in_data_dir(settings.data_dir).delete(result["image_digest"])
    purged = client.get(f"/inspection/results/{result['id']}", headers=viewer)
    assert "no longer kept" in purged.text
    gone = client.get(f"/inspection/results/{result['id']}/image", headers=viewer)
    assert gone.status_code == 404
    assert client.get("/inspection/results/999999", headers=viewer).status_code == 404


@pytest.mark.usefixtures("aoi_model")
def test_the_list_shows_one_verdict_when_asked(
    db: Session, client: TestClient, settings: Settings, plant_images: Images,
    as_role: Callable[[str], dict[str, str]],
) -> None:  # fmt: skip
    rejected, passed = to_aoi(db, "PG00011"), to_aoi(db, "PG00012", line=False)
    headers = {**station_headers(db, settings, "AOI-01"), "Content-Type": "image/png"}
    for uid, image in ((rejected, plant_images.reject), (passed, plant_images.passing)):
        posted = client.post(
            f"/api/v1/inspection/units/{uid}/image", content=image, headers=headers
        )
        assert posted.status_code == 201, posted.text
    viewer = as_role("quality")
    rejects = client.get("/inspection?verdict=reject", headers=viewer).text
    assert rejected in rejects and passed not in rejects and "1 reject result" in rejects
    assert '<option value="reject" selected>' in rejects
    passes = client.get("/inspection?verdict=pass&station=AOI-01", headers=viewer).text
    assert passed in passes and rejected not in passes
    both = client.get("/inspection?verdict=", headers=viewer).text
    assert rejected in both and passed in both
    assert (
        "No AOI station has reported a reclean result"
        in client.get("/inspection?verdict=reclean", headers=viewer).text
    )
    unknown = client.get("/inspection?verdict=maybe", headers=viewer)
    assert unknown.status_code == 422 and "inspection.unknown_verdict" in unknown.text


def test_defect_map_makes_a_repeated_spot_stand_out(
    db: Session, client: TestClient, settings: Settings, as_role: Callable[[str], dict[str, str]]
) -> None:
    token = station_headers(db, settings, "AOI-01")
    for i in range(4):
        uid = to_aoi(db, f"MAP{i:04d}", line=i == 0)
        # A fixture scratching the same place (within a 5 mm cell) on every piece.
        scratch = {"class": "scratch", "zone": "A", "length_mm": 4.0, "width_mm": 0.02,
                   "x_mm": 61.0 + i * 0.5, "y_mm": 21.0}  # fmt: skip
        dig = {"class": "dig", "zone": "C", "diameter_mm": 0.2, "x_mm": 10.0 * i + 2, "y_mm": 3.0}
        answer = client.post(
            f"/api/v1/inspection/units/{uid}/result",
            json={"defects": [scratch, dig]},
            headers=token,
        )
        assert answer.status_code == 201, answer.text
    # Defects sent as plain events (as the plant twin does) count too; one has no position.
    uid = to_aoi(db, "MAP0004", line=False)
    ev = Events(at=utcnow())
    report = run(
        db,
        [
            ev("defect", uid=uid, station="AOI-01", code="SCR", zone="A", x_mm=62.5, y_mm=22.0),
            ev("defect", uid=uid, station="AOI-01", code="DIG", zone="A"),
            ev("track_out", uid=uid, station="AOI-01", result="fail"),
        ],
    )
    assert [o.outcome for o in report.events] == ["accepted"] * 3
    db.commit()
    viewer = as_role("quality")
    today = utcnow().date().isoformat()
    page = client.get(f"/inspection/defect-map?day={today}&station=AOI-01", headers=viewer)
    assert page.status_code == 200
    assert page.text.count('class="map-point"') == 9
    assert page.text.count('data-code="SCR"') == 5
    assert "5 pieces tracked out" in page.text and "1 without a position" in page.text
    hot = re.findall(
        r'<tr class="hotspot-row"><td>([^<]+)</td><td>([^<]+)</td><td>(\d+)</td>', page.text
    )
    assert hot == [("60\u201365", "20\u201325", "5")]  # en dashes
    empty = client.get("/inspection/defect-map?day=2001-01-01", headers=viewer)
    assert empty.status_code == 200 and "No inspections" in empty.text
    assert client.get("/inspection/defect-map?day=yesterday", headers=viewer).status_code == 422
