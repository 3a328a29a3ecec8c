"""Bad images are refused with a reason; model files are checked before use."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forgeline.inspection import images, store
from forgeline.inspection.detect import ImageError


def _png(array: np.ndarray, mode: str | None = None, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buf, format=fmt)
    return buf.getvalue()


GOOD = np.random.default_rng(0).integers(0, 255, (32, 64), dtype=np.uint8)


def test_good_png_decodes() -> None:
    assert np.array_equal(images.decode(_png(GOOD), (32, 64)), GOOD)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not an image at all", "not a readable image"),
        (_png(GOOD)[:1000], "truncated"),
        (_png(np.zeros((32, 64, 3), np.uint8)), "8-bit grey image, got mode RGB"),
        (_png(np.zeros((32, 64), np.uint16)), "8-bit grey image, got mode I;16"),
        (_png(GOOD, fmt="JPEG"), "JPEG images are not accepted"),
        (_png(np.zeros((32, 32), np.uint8)), "image is 32x32 px, the model expects 64x32"),
    ],
)
def test_bad_images_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message.replace("(", r"\(")):
        images.decode(data, (32, 64))


def test_too_large_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    with pytest.raises(ImageError, match="over the 1000 px limit"):
        images.decode(_png(GOOD))
    monkeypatch.setattr(images, "MAX_BYTES", 10)
    with pytest.raises(ImageError, match="the limit is 10"):
        images.decode(_png(GOOD))


def test_model_round_trip_and_tamper_check(bundle: store.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    store.save(bundle, path)
    again = store.load(path)
    assert again.model.thresholds == bundle.model.thresholds
    assert again.meta["training_data"] == bundle.meta["training_data"]
    for name, mode in bundle.model.modes.items():
        assert np.array_equal(again.model.modes[name].mean, mode.mean)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"integrity|not a readable"):
        store.load(tmp_path / "bad.npz")
    (tmp_path / "cut.npz").write_bytes(bytes(data[:1000]))
    with pytest.raises(ValueError, match=r"integrity|not a readable"):
        store.load(tmp_path / "cut.npz")
