"""Turning caller data into checked float arrays: individual values, subgroups, counts.

Every check names what is wrong and where (0-based index), so nothing downstream ever sees a
NaN, an infinity or a string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from forgeline.quality.spc.errors import SpcInputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _first_bad(data: Any) -> tuple[int, Any]:
    for i, item in enumerate(np.ravel(np.asarray(data, dtype=object))):
        try:
            value = float(item)
        except (TypeError, ValueError):
            return i, item
        if not np.isfinite(value):
            return i, item
    return -1, None


def as_values(data: ArrayLike, what: str = "values") -> FloatArray:
    """A 1-D float64 array of finite numbers, or SpcInputError naming the first bad element."""
    try:
        arr = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        index, item = _first_bad(data)
        raise SpcInputError(f"{what}[{index}] is not a number: {item!r}") from None
    if arr.ndim != 1:
        raise SpcInputError(f"{what} must be one-dimensional, got shape {arr.shape}")
    # A NaN or infinity makes the sum non-finite: one pass, no temporary array. Only then (or on
    # an overflowing sum of huge finite values) look element by element.
    if arr.size and not np.isfinite(np.add.reduce(arr)):
        finite = np.isfinite(arr)
        if not finite.all():
            index = int(np.argmin(finite))
            kind = "missing (NaN)" if np.isnan(arr[index]) else "infinite"
            raise SpcInputError(f"{what}[{index}] is {kind}")
    return arr


@dataclass(frozen=True)
class Subgroups:
    """Measurements in consecutive subgroups: ``values`` flat, ``sizes[i]`` of subgroup i."""

    values: FloatArray
    sizes: IntArray

    def __post_init__(self) -> None:
        if self.sizes.ndim != 1 or len(self.sizes) == 0:
            raise SpcInputError("there are no subgroups")
        if (self.sizes < 1).any():
            index = int(np.argmax(self.sizes < 1))
            raise SpcInputError(f"subgroup {index} is empty")
        if int(self.sizes.sum()) != len(self.values):
            raise SpcInputError(
                f"subgroup sizes add up to {int(self.sizes.sum())}, "
                f"but there are {len(self.values)} values"
            )

    @classmethod
    def of_size(cls, values: ArrayLike, size: int) -> Subgroups:
        """Consecutive subgroups of ``size`` values (the count must divide evenly)."""
        flat = as_values(values)
        if size < 1:
            raise SpcInputError(f"subgroup size must be at least 1, got {size}")
        if len(flat) % size:
            raise SpcInputError(
                f"{len(flat)} values do not split into subgroups of {size} "
                f"({len(flat) % size} left over)"
            )
        return cls(flat, np.full(len(flat) // size, size, dtype=np.int64))

    @classmethod
    def from_matrix(cls, matrix: ArrayLike) -> Subgroups:
        """One row per subgroup."""
        try:
            arr = np.asarray(matrix, dtype=np.float64)
        except (TypeError, ValueError):
            index, item = _first_bad(matrix)
            raise SpcInputError(f"values[{index}] is not a number: {item!r}") from None
        if arr.ndim != 2:
            raise SpcInputError(f"a subgroup matrix must be 2-D, got shape {arr.shape}")
        flat = as_values(arr.reshape(-1))
        return cls(flat, np.full(arr.shape[0], arr.shape[1], dtype=np.int64))

    @classmethod
    def from_lists(cls, groups: Sequence[ArrayLike]) -> Subgroups:
        """Ragged subgroups, one sequence each."""
        parts = [as_values(g, f"subgroup {i}") for i, g in enumerate(groups)]
        sizes = np.array([len(p) for p in parts], dtype=np.int64)
        flat = np.concatenate(parts) if parts else np.empty(0)
        return cls(flat, sizes)

    @classmethod
    def from_labels(cls, values: ArrayLike, labels: ArrayLike) -> Subgroups:
        """Group ``values`` by ``labels``, subgroups in order of each label's first appearance."""
        flat = as_values(values)
        keys = np.asarray(labels)
        if keys.shape != flat.shape:
            raise SpcInputError(f"{len(keys)} labels for {len(flat)} values")
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first))[inverse.reshape(-1)]  # group number by appearance
        order = np.argsort(rank, kind="stable")
        return cls(flat[order], np.bincount(rank).astype(np.int64))

    def __len__(self) -> int:
        return len(self.sizes)

    @property
    def equal_size(self) -> int | None:
        """The common subgroup size, or None when sizes vary (computed once)."""
        cached: int | str | None = self.__dict__.get("_equal", "unset")
        if cached == "unset":
            first = int(self.sizes[0])
            cached = first if bool((self.sizes == first).all()) else None
            object.__setattr__(self, "_equal", cached)
        return cached  # type: ignore[return-value]

    @property
    def starts(self) -> IntArray:
        starts: IntArray = np.concatenate(([0], np.cumsum(self.sizes[:-1]))).astype(np.int64)
        return starts

    def select(self, keep: NDArray[np.bool_]) -> Subgroups:
        """The subgroups where ``keep`` is true."""
        return Subgroups(self.values[np.repeat(keep, self.sizes)], self.sizes[keep])

    def _columns(self) -> list[FloatArray] | None:
        """Equal small subgroups as one strided view per position (fast column-wise passes:
        numpy reduces a short trailing axis slowly)."""
        n = self.equal_size
        if n is None or n > 32:
            return None
        matrix = self.values.reshape(-1, n)
        return [matrix[:, j] for j in range(n)]

    def _fold(self, op: np.ufunc) -> FloatArray | None:
        columns = self._columns()
        if columns is None:
            return None
        out = columns[0].copy()
        for column in columns[1:]:
            op(out, column, out=out)
        return out

    def _cached(self, name: str, compute: Callable[[], FloatArray]) -> FloatArray:
        """Statistics are computed once per Subgroups (estimate and evaluate share them); the
        arrays are read-only so the cache cannot be changed behind its back."""
        key = f"_stat_{name}"
        if key not in self.__dict__:
            value = compute()
            value.flags.writeable = False
            object.__setattr__(self, key, value)
        cached: FloatArray = self.__dict__[key]
        return cached

    def means(self) -> FloatArray:
        """Subgroup means (read-only, cached)."""
        return self._cached("means", self._means)

    def ranges(self) -> FloatArray:
        """Subgroup ranges (read-only, cached)."""
        return self._cached("ranges", self._ranges)

    def sds(self) -> FloatArray:
        """Sample standard deviations, ddof 1 (read-only, cached); subgroups need 2 values."""
        return self._cached("sds", self._sds)

    def _means(self) -> FloatArray:
        n = self.equal_size
        total = self._fold(np.add)
        if total is not None and n is not None:
            total /= n
            return total
        if n is not None:
            out: FloatArray = self.values.reshape(-1, n).mean(axis=1)
            return out
        sums: FloatArray = np.add.reduceat(self.values, self.starts)
        return sums / self.sizes

    def _ranges(self) -> FloatArray:
        top, bottom = self._fold(np.maximum), self._fold(np.minimum)
        if top is not None and bottom is not None:
            top -= bottom
            return top
        n = self.equal_size
        if n is not None:
            matrix = self.values.reshape(-1, n)
            out: FloatArray = matrix.max(axis=1) - matrix.min(axis=1)
            return out
        starts = self.starts
        highs: FloatArray = np.maximum.reduceat(self.values, starts)
        lows: FloatArray = np.minimum.reduceat(self.values, starts)
        return highs - lows

    def _sds(self) -> FloatArray:
        n = self.equal_size
        columns = self._columns()
        if columns is not None and n is not None:
            mean = self.means()
            squares = np.zeros_like(mean)
            step = np.empty_like(mean)
            for column in columns:
                np.subtract(column, mean, out=step)
                step *= step
                squares += step
            squares /= n - 1
            np.sqrt(squares, out=squares)
            return squares
        if n is not None:
            out: FloatArray = self.values.reshape(-1, n).std(axis=1, ddof=1)
            return out
        dev = self.values - np.repeat(self.means(), self.sizes)
        sq_sum: FloatArray = np.add.reduceat(dev * dev, self.starts)
        result: FloatArray = np.sqrt(sq_sum / (self.sizes - 1))
        return result


def as_subgroups(data: Subgroups | ArrayLike | Sequence[ArrayLike]) -> Subgroups:
    """Subgroups from a Subgroups, a 2-D array (one row each) or a list of sequences."""
    if isinstance(data, Subgroups):
        return data
    if isinstance(data, np.ndarray) and data.ndim == 2:
        return Subgroups.from_matrix(data)
    if (
        isinstance(data, Sequence)
        and data
        and all(isinstance(g, Sequence | np.ndarray) and not isinstance(g, str) for g in data)
    ):
        return Subgroups.from_lists(data)
    raise SpcInputError(
        "subgrouped charts need a Subgroups, a 2-D array (one row per subgroup) "
        "or a list of subgroups"
    )


def is_constant(values: NDArray[np.float64]) -> bool:
    """All entries equal (a broadcast scalar is recognised without a pass)."""
    if len(values) == 0 or (values.ndim == 1 and values.strides[0] == 0):
        return True
    return bool(values.min() == values.max())


def as_counts(
    counts: ArrayLike, sizes: ArrayLike | None, *, chart: str, need_sizes: bool
) -> tuple[FloatArray, FloatArray | None]:
    """Defect or defective counts (non-negative) and their sample sizes (positive)."""
    c = as_values(counts, "counts")
    if len(c) and c.min() < 0:
        index = int(np.argmax(c < 0))
        raise SpcInputError(f"counts[{index}] is negative: {c[index]!r}")
    if sizes is None:
        if need_sizes:
            raise SpcInputError(f"a {chart} chart needs the sample size of every point")
        return c, None
    n = as_values(np.broadcast_to(np.asarray(sizes), c.shape), "sizes")
    if len(n) and n.min() <= 0:
        index = int(np.argmax(n <= 0))
        raise SpcInputError(f"sample size at point {index} is {n[index]:g}; it must be positive")
    return c, n
