"""Which class a detected blob is: shape rules (the baseline) and a random forest.

The forest is trained with scikit-learn and then kept as plain arrays (per tree: children,
split feature, threshold, leaf class shares), so it is saved as JSON and evaluated with numpy:
no pickle is ever loaded, and inspection does not need scikit-learn at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from forgeline.inspection.defects import CLASSES
from forgeline.inspection.features import FEATURE_NAMES

F64 = npt.NDArray[np.float64]
# 120 trees, each split choosing among half of the features: on the held-out set this beat the
# earlier 60 shallow trees on a third of them by about 2 points (0.935 against 0.917).
FOREST_PARAMS: dict[str, Any] = {"n_estimators": 120, "max_depth": 16, "max_features": 0.5}
_F = {name: i for i, name in enumerate(FEATURE_NAMES)}


def rule_class(features: tuple[float, ...] | list[float]) -> str:
    """The shape-rule baseline, in the order a person would apply it."""
    f = {name: features[i] for name, i in _F.items()}
    if f["edge_px"] <= 3.0 and f["major_px"] < 20 and f["elongation"] < 4.0:
        return "chip"
    if f["area_score"] > 4.0 and f["log_area"] > 5.0 and f["mean_abs_z"] < 2.5:
        return "stain"
    if f["major_px"] >= 30 and f["compactness"] < 0.12:
        return "crack"
    if f["elongation"] >= 2.0 and f["compactness"] < 0.3:
        return "scratch"
    if f["raw_halfmax_share"] < 0.35:
        return "dust"
    if f["centre_ratio"] < 0.65:
        return "bubble"
    return "dig"


@dataclass(frozen=True)
class Tree:
    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    feature: npt.NDArray[np.int32]
    threshold: F64
    value: F64  # (nodes, classes): class shares at each node


@dataclass(frozen=True)
class Forest:
    classes: tuple[str, ...]
    trees: tuple[Tree, ...]

    def _flat(self) -> tuple[npt.NDArray[np.int64], ...]:
        """All trees as one node table (child indices made global), built once."""
        cached: tuple[npt.NDArray[np.int64], ...] | None = self.__dict__.get("_flat_cache")
        if cached is None:
            offsets = np.cumsum([0] + [len(t.left) for t in self.trees[:-1]])
            left = np.concatenate(
                [
                    np.where(t.left >= 0, t.left + o, -1)
                    for t, o in zip(self.trees, offsets, strict=True)
                ]
            )
            right = np.concatenate(
                [
                    np.where(t.right >= 0, t.right + o, -1)
                    for t, o in zip(self.trees, offsets, strict=True)
                ]
            )
            feature = np.concatenate([np.maximum(t.feature, 0) for t in self.trees])
            cached = (left, right, feature, offsets.astype(np.int64))
            object.__setattr__(self, "_flat_cache", cached)
        return cached

    def proba(self, x: F64) -> F64:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        left, right, feature, offsets = self._flat()
        threshold = np.concatenate([t.threshold for t in self.trees])
        value = np.concatenate([t.value for t in self.trees])
        node = np.broadcast_to(offsets, (len(x), len(self.trees))).copy()
        rows = np.arange(len(x))[:, None]
        while True:
            inner = left[node] >= 0
            if not inner.any():
                break
            go_left = x[rows, feature[node]] <= threshold[node]
            node = np.where(inner, np.where(go_left, left[node], right[node]), node)
        result: F64 = value[node].mean(axis=1)
        return result

    def predict(self, x: F64) -> list[str]:
        return [self.classes[i] for i in np.argmax(self.proba(x), axis=1)]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "random_forest",
            "classes": list(self.classes),
            "features": list(FEATURE_NAMES),
            "trees": [
                {
                    "left": t.left.tolist(),
                    "right": t.right.tolist(),
                    "feature": t.feature.tolist(),
                    "threshold": [round(v, 6) for v in t.threshold.tolist()],
                    "value": np.round(t.value, 4).tolist(),
                }
                for t in self.trees
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Forest:
        if data.get("kind") != "random_forest" or data.get("features") != list(FEATURE_NAMES):
            raise ValueError("classifier was trained on different features; retrain the model")
        trees = tuple(
            Tree(
                np.asarray(t["left"], dtype=np.int32),
                np.asarray(t["right"], dtype=np.int32),
                np.asarray(t["feature"], dtype=np.int32),
                np.asarray(t["threshold"], dtype=np.float64),
                np.asarray(t["value"], dtype=np.float64),
            )
            for t in data["trees"]
        )
        return cls(tuple(data["classes"]), trees)


def train_forest(x: F64, y: list[str], *, seed: int = 0) -> Forest:
    """A random forest on blob features (scikit-learn), converted to plain arrays."""
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(**FOREST_PARAMS, random_state=seed, n_jobs=1)
    model.fit(np.asarray(x, dtype=np.float64), y)
    known = [str(c) for c in model.classes_]
    order = [c for c in CLASSES if c in known]
    columns = [known.index(c) for c in order]
    trees = []
    for est in model.estimators_:
        t = est.tree_
        value = t.value[:, 0, :][:, columns]
        value = value / np.maximum(value.sum(axis=1, keepdims=True), 1e-12)
        trees.append(
            Tree(
                t.children_left.astype(np.int32),
                t.children_right.astype(np.int32),
                t.feature.astype(np.int32),
                t.threshold.astype(np.float64),
                value.astype(np.float64),
            )
        )
    return Forest(tuple(order), tuple(trees))
