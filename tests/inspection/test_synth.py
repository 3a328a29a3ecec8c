"""The ground-truth generator: reproducible, and its masks say what its manifest says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forgeline.inspection import synth
from forgeline.inspection.dataset import (
    Recipe,
    load_gray,
    load_instances,
    read_manifest,
    write_dataset,
)
from forgeline.inspection.defects import CLASS_ID, CLASSES
from forgeline.inspection.geometry import OUTSIDE, ZONE_A, ZONE_B, ZONE_C, PieceGeometry

GEOM = PieceGeometry.for_image(512, 256)


def test_same_seed_same_image_and_different_seed_differs() -> None:
    a = synth.generate(3, 7, GEOM, n_defects=2)
    b = synth.generate(3, 7, GEOM, n_defects=2)
    c = synth.generate(4, 7, GEOM, n_defects=2)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.instance_mask, b.instance_mask)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("cls", CLASSES)
def test_each_class_is_drawn_where_its_mask_says(cls: str) -> None:
    for index in range(6):
        sample = synth.generate(1, index, GEOM, n_defects=1, classes=(cls,))
        if sample.defects:
            break
    (truth,) = sample.defects
    x0, y0, x1, y1 = truth.bbox
    inst = sample.instance_mask == truth.instance
    assert inst.sum() == truth.area_px > 0
    assert set(np.unique(sample.class_mask[inst])) == {CLASS_ID[cls]}
    ys, xs = np.nonzero(inst)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)
    clean = synth.generate(1, index, GEOM, n_defects=0)
    # The defect changes the image where it is drawn (the noise differs, so compare means).
    diff = np.abs(sample.image[inst].astype(float).mean() - clean.image[inst].astype(float).mean())
    assert diff > 0.2
    if cls == "chip":
        assert GEOM.edge_distance()[inst].min() < 2.0
    assert truth.cnr > 0


def test_cnr_matches_the_drawn_contrast_for_a_dig() -> None:
    """A dig's recorded CNR is its peak contrast over the local noise sigma."""
    for index in range(30):
        sample = synth.generate(5, index, GEOM, n_defects=1, classes=("dig",))
        if sample.defects and sample.defects[0].size_px > 6:
            break
    truth = sample.defects[0]
    inst = sample.instance_mask == truth.instance
    clean = synth.generate(5, index, GEOM, n_defects=0)
    contrast = abs(float(sample.image[inst].mean()) - float(clean.image[inst].mean()))
    sigma = float(synth.noise_sigma(float(clean.image[inst].mean())))
    assert contrast / sigma == pytest.approx(truth.cnr, rel=0.35)


def test_zone_map_orders_zones_from_edge_inward() -> None:
    zones = GEOM.zone_map()
    mid = zones[GEOM.height // 2]
    assert mid[0] == OUTSIDE and mid[GEOM.width // 2] == ZONE_A
    seen = [int(v) for i, v in enumerate(mid[: GEOM.width // 2]) if i == 0 or v != mid[i - 1]]
    assert seen[:2] == [OUTSIDE, ZONE_C] and ZONE_B in seen and seen[-1] == ZONE_A


def test_dataset_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    manifest = write_dataset(Recipe(seed=2, width=256, height=128, good_fraction=0.5), 6, out)
    again = read_manifest(out)
    assert again == manifest
    for record in again["images"]:
        img = load_gray(out / record["image"])
        inst = load_instances(out / record["instance_mask"])
        assert img.shape == (128, 256) and img.dtype == np.uint8
        assert record["good"] == (not record["defects"]) == (inst.max() == 0)
    with pytest.raises(ValueError, match="not empty"):
        write_dataset(Recipe(seed=2, width=256, height=128), 2, out)
