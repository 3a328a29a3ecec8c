"""Detection against the good-glass model: quiet on good glass, finds clear defects, tiles."""

from __future__ import annotations

import numpy as np
import pytest

from forgeline.inspection import decide, detect, pipeline, synth
from forgeline.inspection.metrics import match
from forgeline.inspection.store import Bundle
from tests.inspection.conftest import HEIGHT, WIDTH


def _truths(sample: synth.Sample) -> list[dict[str, object]]:
    return [t.to_json() for t in sample.defects]


def test_good_glass_from_another_seed_passes(
    bundle: Bundle, rules: dict[str, decide.CodeRule]
) -> None:
    geom = bundle.model.geometry
    verdicts = [
        pipeline.inspect(bundle, synth.generate(99, i, geom, n_defects=0).image, rules)["verdict"]
        for i in range(30)
    ]
    assert verdicts.count(decide.PASS) >= 29, verdicts


@pytest.mark.parametrize("cls", ["scratch", "dig", "bubble", "crack", "stain", "dust", "chip"])
def test_clear_defects_are_found_and_located(bundle: Bundle, cls: str) -> None:
    geom = bundle.model.geometry
    found = 0
    tried = 0
    for i in range(40):
        sample = synth.generate(7, i, geom, n_defects=1, classes=(cls,), cnr_range=(8.0, 12.0))
        if not sample.defects or sample.defects[0].size_px < 4:
            continue
        tried += 1
        blobs, _ = pipeline.detect_blobs(bundle, sample.image)
        dets = [{"bbox": b.bbox, "mask": b.mask, "class": "", "rule_class": ""} for b in blobs]
        (result,), _ = match(dets, _truths(sample), sample.instance_mask.astype(np.int32))
        found += bool(result["found"] and result["localised"])
        if tried == 4:
            break
    assert tried == 4 and found == 4


def test_a_dig_in_the_viewing_area_rejects_and_is_reported_there(
    bundle: Bundle, rules: dict[str, decide.CodeRule]
) -> None:
    geom = bundle.model.geometry
    sample = synth.generate(1, 0, geom, n_defects=0)
    image = sample.image.astype(np.float32)
    cy, cx = HEIGHT // 2, WIDTH // 2 + 40
    sign = 1 if sample.mode == "dark" else -1
    image[cy - 3 : cy + 3, cx - 3 : cx + 3] += sign * 40
    result = pipeline.inspect(bundle, np.clip(image, 0, 255).astype(np.uint8), rules)
    assert result["verdict"] == decide.REJECT
    (d,) = result["defects"]
    x0, y0, x1, y1 = d["bbox"]
    assert x0 <= cx - 2 and x1 >= cx + 2 and y0 <= cy - 2 and y1 >= cy + 2
    assert d["zone"] == "A" and d["violates"] and d["area_px"] >= 30


def test_tile_size_does_not_change_the_result(
    bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = synth.generate(3, 1, bundle.model.geometry, n_defects=3, cnr_range=(4.0, 10.0))
    whole = detect.scan(bundle.model, sample.image).candidates
    monkeypatch.setattr(detect, "TILE_ROWS", 16)
    tiled = detect.scan(bundle.model, sample.image).candidates
    assert [(c.rows, c.cols) for c in tiled] == [(c.rows, c.cols) for c in whole]
    for a, b in zip(tiled, whole, strict=True):
        assert (a.peak, a.thin, a.area) == pytest.approx((b.peak, b.thin, b.area), rel=1e-4)


def test_wrong_shape_or_depth_is_refused(bundle: Bundle) -> None:
    with pytest.raises(detect.ImageError, match="model expects 512x256"):
        detect.scan(bundle.model, np.zeros((128, 256), np.uint8))
    with pytest.raises(detect.ImageError, match="8-bit grey"):
        detect.scan(bundle.model, np.zeros((HEIGHT, WIDTH), np.uint16))
