"""Fitted preprocessing: standardisation, min-max scaling, label and one-hot encoding.

Scalers are fitted on the training split only and then applied to every split and to new data, so a prediction
sees inputs scaled exactly as in training. Every fitted step turns into a plain dict (``to_dict``) of lists and
numbers that a model file can store beside the weights; ``from_dict`` rebuilds it.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from core.data.errors import DataError
from core.data.sources import is_lazy, iter_chunks


def _moments(x: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Per-feature mean, std, min and max over the sample axis, read in blocks (works on lazy sources)."""
    count, total, total_sq, lo, hi = 0, None, None, None, None
    for block in iter_chunks(x) if is_lazy(x) else [np.asarray(x)]:
        b = block.astype(np.float64, copy=False)
        if b.dtype.kind not in "biuf":
            raise DataError("preprocessing needs numeric data: encode text columns first")
        s, sq = b.sum(axis=0), np.square(b).sum(axis=0)
        total = s if total is None else total + s
        total_sq = sq if total_sq is None else total_sq + sq
        lo = b.min(axis=0) if lo is None else np.minimum(lo, b.min(axis=0))
        hi = b.max(axis=0) if hi is None else np.maximum(hi, b.max(axis=0))
        count += len(b)
    if not count:
        raise DataError("cannot fit preprocessing on an empty data set")
    mean = total / count
    var = np.maximum(total_sq / count - np.square(mean), 0.0)
    return mean, np.sqrt(var), lo, hi, count


class Scaler:
    """Base of the fitted per-feature affine maps ``(x - shift) / scale``."""

    kind = ""

    def __init__(self, shift: Any = None, scale: Any = None) -> None:
        self.shift = None if shift is None else np.asarray(shift, dtype=np.float64)
        self.scale = None if scale is None else np.asarray(scale, dtype=np.float64)

    @property
    def fitted(self) -> bool:
        return self.shift is not None

    def transform(self, x: Any) -> np.ndarray:
        """``x`` scaled, as float32 (the network's dtype)."""
        if not self.fitted:
            raise DataError(f"the {self.kind} scaler is not fitted yet: call fit(training_x) first")
        x = np.asarray(x)
        if x.shape[1:] != self.shift.shape:
            raise DataError(f"the {self.kind} scaler was fitted on samples of shape {self.shift.shape} but got "
                            f"{x.shape[1:]}: give data shaped as in training")
        return ((x - self.shift) / self.scale).astype(np.float32)

    def inverse_transform(self, x: Any) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) * self.scale + self.shift).astype(np.float32)

    __call__ = transform

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "shift": self.shift.tolist(), "scale": self.scale.tolist()}


class Standardizer(Scaler):
    """Zero mean and unit variance per feature: ``(x - mean) / std`` (constant features keep std 1)."""

    kind = "standard"

    def fit(self, x: Any) -> "Standardizer":
        mean, std, _, _, _ = _moments(x)
        self.shift, self.scale = mean, np.where(std > 1e-12, std, 1.0)
        return self


class MinMaxScaler(Scaler):
    """Each feature mapped linearly onto ``feature_range`` (default ``[0, 1]``), from the training min and max."""

    kind = "minmax"

    def __init__(self, shift: Any = None, scale: Any = None, feature_range: Sequence[float] = (0.0, 1.0)) -> None:
        super().__init__(shift, scale)
        self.feature_range = (float(feature_range[0]), float(feature_range[1]))
        if self.feature_range[0] >= self.feature_range[1]:
            raise DataError(f"feature_range must be (low, high) with low < high, got {feature_range}")

    def fit(self, x: Any) -> "MinMaxScaler":
        _, _, lo, hi, _ = _moments(x)
        low, high = self.feature_range
        span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
        self.scale = span / (high - low)
        self.shift = lo - low * self.scale
        return self

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "feature_range": list(self.feature_range)}


class LabelEncoder:
    """Class labels (text or numbers) ↔ integers ``0..n-1``, keeping the class names in sorted order."""

    kind = "labels"

    def __init__(self, classes: Sequence[Any] | None = None) -> None:
        self.classes = None if classes is None else [str(c) for c in classes]

    def fit(self, labels: Iterable[Any]) -> "LabelEncoder":
        values = sorted({str(v) for v in labels}, key=_natural_key)
        self.classes = values
        return self

    def transform(self, labels: Iterable[Any]) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.classes or [])}
        labels = [str(v) for v in labels]
        unknown = sorted({v for v in labels if v not in index})
        if unknown:
            raise DataError(f"unknown class label(s) {', '.join(unknown[:5])}: the known classes are "
                            f"{', '.join(self.classes or [])}")
        return np.array([index[v] for v in labels], dtype=np.int64)

    def inverse_transform(self, codes: Iterable[int]) -> list[str]:
        return [self.classes[int(c)] for c in codes]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "classes": list(self.classes or [])}


def _natural_key(text: str) -> tuple:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)


def one_hot(labels: Any, num_classes: int | None = None) -> np.ndarray:
    """Integer labels ``(n,)`` as a float32 one-hot matrix ``(n, num_classes)``."""
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    n = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise DataError(f"labels must lie in 0..{n - 1} for {n} classes, got {labels.min()}..{labels.max()}")
    out = np.zeros((labels.size, n), dtype=np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out


class Preprocessing:
    """The fitted steps a model's inputs go through, in order, plus the class names of its outputs."""

    def __init__(self, steps: Sequence[Any] = (), class_names: Sequence[str] | None = None,
                 feature_names: Sequence[str] | None = None) -> None:
        self.steps = list(steps)
        self.class_names = None if class_names is None else list(class_names)
        self.feature_names = None if feature_names is None else list(feature_names)

    def apply(self, x: Any) -> np.ndarray:
        """New data prepared exactly as the training data was."""
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise DataError(f"the data is not numeric ({x.dtype}): encode it as in training first")
        for step in self.steps:
            x = step.transform(x)
        return x.astype(np.float32, copy=False)

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "steps": [s.to_dict() for s in self.steps], "class_names": self.class_names,
                "feature_names": self.feature_names}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Preprocessing":
        steps = []
        for d in data.get("steps", []):
            kind = d.get("type")
            if kind == "standard":
                steps.append(Standardizer(d["shift"], d["scale"]))
            elif kind == "minmax":
                steps.append(MinMaxScaler(d["shift"], d["scale"], d.get("feature_range", (0.0, 1.0))))
            else:
                raise DataError(f"unknown preprocessing step {kind!r} in the stored settings: the file was "
                                "written by a newer version; update NeuroCanvas")
        return cls(steps, data.get("class_names"), data.get("feature_names"))


def make_scaler(kind: str) -> Scaler:
    """A new scaler by name: ``'standard'`` or ``'minmax'``."""
    if kind in ("standard", "standardize", "zscore"):
        return Standardizer()
    if kind in ("minmax", "min_max", "normalize"):
        return MinMaxScaler()
    raise DataError(f"unknown scaling {kind!r}: use 'standard' or 'minmax'")
