"""Detection against the good-glass model: quiet on good glass, finds clear defects, tiles."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from forgeline.inspection import decide, detect, pipeline, synth
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.metrics import match
from forgeline.inspection.model import GoodGlassModel, build, fit_mode
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
        assert (a.peak, a.thin, a.area, a.edge) == pytest.approx(
            (b.peak, b.thin, b.area, b.edge), rel=1e-4
        )


def test_only_the_inspected_box_is_computed_and_nothing_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    geom = dataclasses.replace(PieceGeometry.for_image(WIDTH, HEIGHT), margin_px=40.0)
    good = [synth.generate(4, i, geom, n_defects=0) for i in range(12)]
    dark = [s.image for s in good if s.mode == "dark"]
    model = build(geom, {"dark": fit_mode("dark", dark)})
    (top, bottom), (left, right) = model.inspected_span(16)
    assert (top, left) > (0, 0) and (bottom, right) < model.shape  # the margin is skipped
    images = [synth.generate(3, i, geom, n_defects=4, cnr_range=(3.0, 10.0)) for i in range(8)]
    image = next(s.image for s in images if s.mode == "dark")
    boxed = detect.scan(model, image)
    monkeypatch.setattr(
        GoodGlassModel, "inspected_span", lambda self, k: ((0, self.shape[0]), (0, self.shape[1]))
    )
    whole = detect.scan(model, image)
    assert np.array_equal(boxed.labels, whole.labels) and len(whole.candidates) > 0
    assert [(c.peak, c.thin, c.area, c.edge) for c in boxed.candidates] == [
        (c.peak, c.thin, c.area, c.edge) for c in whole.candidates
    ]


def test_faint_chips_on_the_outline_are_found(bundle: Bundle) -> None:
    """Chips of CNR 4-6 and 4-10 px sit on the outline's bright or dark line: they are found
    because the sub-pixel edge model keeps the deviation there near the shot noise."""
    geom = bundle.model.geometry
    found = tried = 0
    for i in range(30):
        sample = synth.generate(21, i, geom, n_defects=2, classes=("chip",), cnr_range=(4.0, 6.0))
        truths = [t for t in _truths(sample) if 4.0 <= float(t["size_px"]) <= 10.0]  # type: ignore[arg-type]
        if not truths:
            continue
        blobs, _ = pipeline.detect_blobs(bundle, sample.image)
        dets = [{"bbox": b.bbox, "mask": b.mask, "class": "", "rule_class": ""} for b in blobs]
        results, _ = match(dets, truths, sample.instance_mask.astype(np.int32))
        tried += len(results)
        found += sum(bool(r["found"]) for r in results)
    assert tried >= 12 and found >= tried - 1, (found, tried)


def test_wrong_shape_or_depth_is_refused(bundle: Bundle) -> None:
    with pytest.raises(detect.ImageError, match="model expects 512x256"):
        detect.scan(bundle.model, np.zeros((128, 256), np.uint8))
    with pytest.raises(detect.ImageError, match="8-bit grey"):
        detect.scan(bundle.model, np.zeros((HEIGHT, WIDTH), np.uint16))
