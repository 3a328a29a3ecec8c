"""AOI in the plant through the API: an image or a station's result becomes defects and a
track-out on the unit; anything refused stores nothing (no file, no row)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from forgeline.audit.tables import AuditEntry
from forgeline.config import Settings
from forgeline.inspection import routes
from forgeline.inspection.image_store import ImageStore, digest_of
from forgeline.production.tables import Defect, OperationRecord
from tests.identities import station_headers
from tests.inspection.plant_kit import Images, aoi_model, plant_images, stored, to_aoi, unit

__all__ = ["aoi_model", "plant_images"]  # fixtures used by name
PNG = {"Content-Type": "image/png"}


def _url(uid: str, what: str = "image") -> str:
    return f"/api/v1/inspection/units/{uid}/{what}"


@pytest.mark.usefixtures("aoi_model")
def test_image_with_defects_fails_the_unit(
    db: Session, client: TestClient, settings: Settings, plant_images: Images
) -> None:
    uid = to_aoi(db, "AOI0001")
    headers = {**station_headers(db, settings, "AOI-01"), **PNG}
    answer = client.post(_url(uid), content=plant_images.reject, headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["verdict"], body["track_out"], body["source"]) == ("reject", "fail", "image")
    assert body["defects"] and body["reasons"]
    assert body["image_digest"] == digest_of(plant_images.reject)
    assert body["model_digest"] and set(body["timings_ms"]) == {"decode", "inspect", "total"}
    first = body["defects"][0]
    assert len(first["bbox"]) == 4 and first["zone"] in "ABC"
    assert 0 <= first["x_mm"] <= body["outline_w_mm"] + 1

    piece = unit(db, uid)
    assert piece.status == "failed"
    record = db.scalars(
        select(OperationRecord).where(
            OperationRecord.unit_id == piece.id, OperationRecord.operation_code == "AOI"
        )
    ).one()
    assert record.result == "fail"
    defects = db.scalars(select(Defect).where(Defect.unit_id == piece.id)).all()
    assert sorted(d.defect_code for d in defects) == sorted(
        d["defect_code"] for d in body["defects"]
    )
    assert all(d.station_code == "AOI-01" and d.record_id == record.id for d in defects)
    assert (
        ImageStore.in_data_dir(settings.data_dir).read(body["image_digest"]) == plant_images.reject
    )
    path = ImageStore.in_data_dir(settings.data_dir).path(body["image_digest"])
    assert path.parent.parent.name == body["image_digest"][:2]
    assert path.parent.name == body["image_digest"][2:4]
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "inspection.recorded")).one()
    again = client.get(f"/api/v1/inspection/results/{body['id']}", headers=headers)
    assert again.status_code == 403  # a station posts; reading is for people
    assert stored(db, settings)[:2] == (1, len(body["defects"]))


@pytest.mark.usefixtures("aoi_model")
def test_good_image_passes_the_unit_on(
    db: Session, client: TestClient, as_role: Callable[[str], dict[str, str]],
    plant_images: Images, settings: Settings,
) -> None:  # fmt: skip
    uid = to_aoi(db, "AOI0002")
    headers = {**as_role("operator"), **PNG}
    answer = client.post(
        _url(uid) + "?station=AOI-01", content=plant_images.passing, headers=headers
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["verdict"], answer.json()["track_out"]) == ("pass", "pass")
    piece = unit(db, uid)
    assert (piece.status, piece.next_operation) == ("waiting", "FQC")
    assert stored(db, settings) == (1, 0, 0, 1)


@pytest.mark.usefixtures("aoi_model")
def test_a_refused_track_out_stores_nothing(
    db: Session, client: TestClient, settings: Settings, plant_images: Images
) -> None:
    uid = to_aoi(db, "AOI0003", track_in=False)  # done at FILM, never tracked in at AOI
    headers = {**station_headers(db, settings, "AOI-01"), **PNG}
    answer = client.post(_url(uid), content=plant_images.reject, headers=headers)
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "unit.not_in_process"  # production's own code for the track-out
    assert error["details"]["event"] == "track_out"
    assert stored(db, settings) == (0, 0, 0, 0)
    assert not list((settings.data_dir / "images").rglob("*")) or all(
        p.is_dir() for p in (settings.data_dir / "images").rglob("*")
    )
    assert unit(db, uid).status == "waiting"


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.usefixtures("aoi_model")
def test_bad_uploads_are_refused_and_nothing_is_stored(
    db: Session, client: TestClient, settings: Settings, plant_images: Images,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    uid = to_aoi(db, "AOI0004")
    token = station_headers(db, settings, "AOI-01")
    grey = np.zeros((256, 512), np.uint8)
    cases = [
        (b"GIF89a not really", PNG, 422, "inspection.bad_image", "not a readable image"),
        (plant_images.reject[:2000], PNG, 422, "inspection.bad_image", "truncated"),
        (_png(grey[:100, :100]), PNG, 422, "inspection.bad_image", "model expects 512x256"),
        (_png(grey.astype(np.uint16)), PNG, 422, "inspection.bad_image", "mode I;16"),
        (_png(np.zeros((256, 512, 3), np.uint8)), PNG, 422, "inspection.bad_image", "mode RGB"),
        (b"", PNG, 422, "inspection.bad_image", "empty"),
        (b"hello", {"Content-Type": "text/plain"}, 415, "request.unsupported_media_type", "PNG"),
    ]
    for data, ctype, status, code, words in cases:
        answer = client.post(_url(uid), content=data, headers={**token, **ctype})
        assert answer.status_code == status, (words, answer.text)
        assert answer.json()["error"]["code"] == code
        assert words in answer.json()["error"]["message"], answer.text
    monkeypatch.setattr(routes, "MAX_UPLOAD_BYTES", 1000)
    answer = client.post(_url(uid), content=plant_images.reject, headers={**token, **PNG})
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "inspection.image_too_large"
    assert stored(db, settings) == (0, 0, 0, 0)
    assert unit(db, uid).status == "in_process"


def test_no_model_configured_is_a_clear_409(
    db: Session, client: TestClient, settings: Settings, plant_images: Images
) -> None:
    uid = to_aoi(db, "AOI0005")
    headers = {**station_headers(db, settings, "AOI-01"), **PNG}
    answer = client.post(_url(uid), content=plant_images.reject, headers=headers)
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "inspection.no_model" and "model.npz" in error["message"]
    assert stored(db, settings) == (0, 0, 0, 0)


def test_station_result_is_judged_by_the_plant_limits(
    db: Session, client: TestClient, settings: Settings
) -> None:
    uid = to_aoi(db, "AOI0006")
    other = to_aoi(db, "AOI0007", line=False)
    token = station_headers(db, settings, "AOI-01")
    small_dig = {"class": "dig", "zone": "C", "diameter_mm": 0.2, "x_mm": 3.0, "y_mm": 40.0}
    answer = client.post(
        _url(uid, "result"),
        json={"vision_system": "VS-9 v2", "defects": [small_dig]},
        headers=token,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["verdict"], body["track_out"], body["image_digest"]) == ("pass", "pass", None)
    assert body["model_version"] == "VS-9 v2" and body["defects"][0]["defect_code"] == "DIG"
    assert unit(db, uid).next_operation == "FQC"

    scratch = {"class": "scratch", "zone": "A", "length_mm": 3.0, "width_mm": 0.02,
               "x_mm": 70.0, "y_mm": 30.0}  # fmt: skip
    answer = client.post(_url(other, "result"), json={"defects": [scratch]}, headers=token)
    assert answer.status_code == 201, answer.text
    assert answer.json()["verdict"] == "reject"
    assert unit(db, other).status == "failed"
    found = db.scalars(select(Defect).where(Defect.unit_id == unit(db, other).id)).one()
    assert (found.defect_code, found.zone, found.x_mm, found.size_mm) == ("SCR", "A", 70.0, 3.0)


def test_station_result_bad_input_and_wrong_station(
    db: Session, client: TestClient, settings: Settings
) -> None:
    uid = to_aoi(db, "AOI0008")
    token = station_headers(db, settings, "AOI-01")
    bad = [
        {"defects": [{"class": "smudge", "zone": "A", "x_mm": 1, "y_mm": 1}]},
        {"defects": [{"class": "dig", "zone": "D", "x_mm": 1, "y_mm": 1}]},
        {"defects": [{"class": "dig", "zone": "A"}]},
        {"defects": [], "colour": "red"},
    ]
    for payload in bad:
        answer = client.post(_url(uid, "result"), json=payload, headers=token)
        assert answer.status_code == 422, payload
    answer = client.post(_url(uid, "result") + "?station=AOI-02", json={}, headers=token)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "inspection.wrong_station"
    cnc = station_headers(db, settings, "CNC-01")
    answer = client.post(_url(uid, "result"), json={}, headers=cnc)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "inspection.not_an_aoi_station"
    answer = client.post(_url("NO-SUCH-UNIT", "result"), json={}, headers=token)
    assert answer.status_code == 404
    assert stored(db, settings) == (0, 0, 0, 0)
    assert unit(db, uid).status == "in_process"


def test_dust_asks_for_a_reclean_and_a_second_one_is_refused(
    db: Session, client: TestClient, settings: Settings
) -> None:
    """Dust reworks the piece to FILM once; the plant allows one loop, so production refuses
    the second and nothing of that inspection is kept."""
    uid = to_aoi(db, "AOI0009")
    token = station_headers(db, settings, "AOI-01")
    dust = {"defects": [{"class": "dust", "zone": "A", "diameter_mm": 0.1, "x_mm": 9, "y_mm": 9}]}
    answer = client.post(_url(uid, "result"), json=dust, headers=token)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["verdict"], answer.json()["track_out"]) == ("reclean", "rework")
    from tests.production.events_kit import Events, run

    ev = Events()
    run(db, [*ev.visit(uid, "FILM-01"), ev("track_in", uid=uid, station="AOI-01", operator="ravi")])
    db.commit()
    before = stored(db, settings)
    answer = client.post(_url(uid, "result"), json=dust, headers=token)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "routing.rework_limit"
    assert stored(db, settings) == before
