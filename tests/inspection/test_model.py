"""The good-glass model's sub-pixel edge band and its deviation image; the model file's format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from forgeline.inspection import store, synth
from forgeline.inspection.geometry import PieceGeometry
from forgeline.inspection.model import PAD, fit_mode


def _piece(geom: PieceGeometry, dy: float, dx: float) -> npt.NDArray[np.uint8]:
    clean = synth.background(geom, "dark", dy, dx, synth.LEVELS["dark"]["vignette"])
    return np.clip(np.rint(clean), 0, 255).astype(np.uint8)


def test_band_copies_predict_a_sub_pixel_shift_of_the_sharp_edges() -> None:
    geom = PieceGeometry.for_image(512, 256)
    rng = np.random.default_rng(0)
    mode = fit_mode("dark", [_piece(geom, *rng.uniform(-2.5, 2.5, 2)) for _ in range(12)])
    image = _piece(geom, 0.43, -1.38)
    shift = mode.shift_of(image)
    rows, cols, _ = mode.band_prediction(shift, image.shape)
    assert 0 < len(rows) < image.size // 3  # the band is the sharp features only
    predicted = mode.predict(shift, image.shape)
    integer_only = mode.mean[mode.view(shift, image.shape)]
    err = np.abs(image - predicted)[rows, cols]
    err_integer = np.abs(image - integer_only)[rows, cols]
    # The outline's bright line is 82 grey levels over 1.2 px: a sub-pixel miss of 0.4 px is
    # tens of grey levels; interpolating the band copies leaves the 8-bit rounding and what the
    # shift estimate misses (a few hundredths of a px on a slope of up to 80 levels per px).
    assert err_integer.max() > 15
    assert err.max() < 6.0
    assert np.quantile(err, 0.99) < 0.3 * np.quantile(err_integer, 0.99)
    # Away from the band the integer view is the prediction, and it is right.
    flat = np.ones(image.shape, bool)
    flat[rows, cols] = False
    assert np.abs(image - predicted)[flat].max() <= 1.5


def test_deviation_beside_the_outline_is_not_inflated_by_the_edge_line() -> None:
    """The deviation image is not smoothed on the band: the bright edge line's noise must not
    spread onto the glass beside it (where chips are)."""
    geom = PieceGeometry.for_image(512, 256)
    images: list[npt.NDArray[np.uint8]] = []
    index = 0
    while len(images) < 24:
        sample = synth.generate(5, index, geom, n_defects=0)
        index += 1
        if sample.mode == "dark":
            images.append(sample.image)
    mode = fit_mode("dark", images)
    sigma = 1 / mode.inv_sigma[PAD:-PAD, PAD:-PAD]
    inside = -geom.outline_distance()  # the model is aligned to its first image: +/- 2.5 px
    beside_edge = np.median(sigma[(inside > 2) & (inside < 3)])
    further_in = np.median(sigma[(inside > 3.5) & (inside < 5)])
    # 1.2x here; smoothing the deviation over 3 x 3 px on the band too made it 1.55x.
    assert beside_edge < 1.35 * further_in


def test_a_model_file_of_an_older_format_is_refused_with_the_reason(
    bundle: store.Bundle, tmp_path: Path
) -> None:
    """A `/2` file's classifier saw 48 features, not the shape fits: it is not read as if it
    were current, and the message says what to do."""
    path = tmp_path / "old.npz"
    store.save(bundle, path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name != "sha256"}
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["format"] = "forgeline-aoi-model/2"
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    arrays["sha256"] = np.frombuffer(store._digest(arrays).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=r"older model file \(forgeline-aoi-model/2.*retrain"):
        store.load(path)
    meta["format"] = "something-else/9"
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    del arrays["sha256"]
    arrays["sha256"] = np.frombuffer(store._digest(arrays).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="is not a forgeline-aoi-model/3 file"):
        store.load(path)


def test_trained_classifier_names_the_shape_fit_features(bundle: store.Bundle) -> None:
    assert bundle.forest is not None and bundle.forest.kind == "random_forest"
    features = bundle.meta["classifier"]["features"]
    assert "fit_pit_vs_particle" in features and "radial_ring_vs_disc" in features
