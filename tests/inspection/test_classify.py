"""The forest kept as JSON predicts exactly what scikit-learn's forest predicts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from forgeline.inspection import classify
from forgeline.inspection.defects import CLASSES
from forgeline.inspection.features import FEATURE_NAMES
from forgeline.inspection.store import Bundle


def test_forest_from_json_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, len(FEATURE_NAMES)))
    y = np.array(["dig", "scratch", "stain"])[(x[:, 0] > 0).astype(int) + (x[:, 3] > 1).astype(int)]
    forest = classify.train_forest(x, list(y), seed=3)
    again = classify.Forest.from_json(json.loads(json.dumps(forest.to_json())))
    reference = RandomForestClassifier(**classify.FOREST_PARAMS, random_state=3).fit(x, y)
    test = rng.normal(size=(200, len(FEATURE_NAMES)))
    order = [list(reference.classes_).index(c) for c in again.classes]
    assert np.allclose(again.proba(test), reference.predict_proba(test)[:, order], atol=1e-3)
    assert again.predict(test) == list(reference.predict(test))


def test_trained_model_records_how_it_was_made(bundle: Bundle) -> None:
    meta = bundle.meta
    assert meta["version"] and meta["training_data"]["seed"] == 11
    assert meta["calibration"]["images"] == meta["training_data"]["good_calibration"] > 0
    assert bundle.forest is not None and set(bundle.forest.classes) <= set(CLASSES)
    assert meta["classifier_metrics"]["train_detections"] > 10


def test_rules_baseline_names_obvious_shapes() -> None:
    base = dict.fromkeys(FEATURE_NAMES, 0.0)
    base.update(edge_px=50.0, raw_halfmax_share=0.6, centre_ratio=1.0, major_px=3.0, log_area=2.0)
    line = {**base, "elongation": 12.0, "major_px": 40.0, "compactness": 0.2, "parts": 1.0}
    edge = {**base, "edge_px": 1.0, "elongation": 1.5}
    ragged = {**line, "compactness": 0.05}
    assert classify.rule_class([line[n] for n in FEATURE_NAMES]) == "scratch"
    assert classify.rule_class([ragged[n] for n in FEATURE_NAMES]) == "crack"
    assert classify.rule_class([edge[n] for n in FEATURE_NAMES]) == "chip"
    assert classify.rule_class([base[n] for n in FEATURE_NAMES]) == "dig"


def test_boosted_trees_from_json_match_sklearn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, len(FEATURE_NAMES)))
    label = (x[:, 0] > 0).astype(int) + (x[:, 5] > 0.7).astype(int) + (x[:, 9] > 1.2).astype(int)
    y = np.array(["stain", "dig", "dust", "scratch"])[label]
    boosted = classify.train_boosting(x, list(y), seed=2)
    again = classify.Forest.from_json(json.loads(json.dumps(boosted.to_json())))
    assert again.kind == "gradient_boosting"
    assert again.classes == ("scratch", "dig", "stain", "dust")
    reference = HistGradientBoostingClassifier(**classify.BOOSTING_PARAMS, random_state=2)
    reference.fit(x, y)
    test = rng.normal(size=(300, len(FEATURE_NAMES)))
    order = [list(reference.classes_).index(c) for c in again.classes]
    assert np.allclose(again.proba(test), reference.predict_proba(test)[:, order], atol=1e-3)
    assert again.predict(test) == list(reference.predict(test))


def test_classifier_of_unknown_kind_or_without_baseline_is_refused() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(120, len(FEATURE_NAMES)))
    y = list(np.array(["dig", "dust", "chip"])[rng.integers(0, 3, 120)])
    data = classify.train_boosting(x, y).to_json()
    with pytest.raises(ValueError, match="unknown classifier kind"):
        classify.Forest.from_json({**data, "kind": "neural_net"})
    with pytest.raises(ValueError, match="baseline"):
        classify.Forest.from_json({**data, "baseline": []})
    with pytest.raises(ValueError, match="different features"):
        classify.Forest.from_json({**data, "features": data["features"][:-1]})
