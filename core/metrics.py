"""Training metrics, by Keras name.

A metric is a :class:`Metric` that accumulates over batches (``update``) and reports a running value
(``result``), so an epoch's figure is exact however the epoch is split into batches. ``'accuracy'`` resolves to
binary, categorical or sparse accuracy from the loss and output shape, as Keras does.

Precision, recall and F1 accumulate a confusion matrix: for a one-unit (sigmoid) output they score the positive
class (threshold 0.5); for several classes they are macro averages (unweighted mean over the classes present in
the targets or predictions, predictions by arg-max). :func:`confusion_matrix` and :func:`precision_recall_f1`
give the per-class figures for evaluation views. R² accumulates sums, so it too is exact over an epoch.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from core.errors import ConfigError, ShapeError


class Metric:
    """Base class: a weighted running mean of a per-sample quantity."""

    name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._total = 0.0
        self._count = 0

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """Add a batch; return the batch's own value."""
        values = self.per_sample(y_pred, y_true)
        self._total += float(np.sum(values))
        self._count += values.size
        return float(np.mean(values)) if values.size else 0.0

    def result(self) -> float:
        return self._total / self._count if self._count else 0.0


class CategoricalAccuracy(Metric):
    name = "categorical_accuracy"

    def per_sample(self, y_pred, y_true):
        return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float64)


class SparseCategoricalAccuracy(Metric):
    name = "sparse_categorical_accuracy"

    def per_sample(self, y_pred, y_true):
        return (np.argmax(y_pred, axis=-1) == np.asarray(y_true).reshape(-1)).astype(np.float64)


class BinaryAccuracy(Metric):
    name = "binary_accuracy"

    def per_sample(self, y_pred, y_true):
        return ((y_pred > 0.5) == (np.asarray(y_true) > 0.5)).astype(np.float64).reshape(-1)


class MeanAbsoluteErrorMetric(Metric):
    name = "mae"

    def per_sample(self, y_pred, y_true):
        return np.abs(y_pred - y_true).reshape(len(y_pred), -1).mean(axis=1)


class MeanSquaredErrorMetric(Metric):
    name = "mse"

    def per_sample(self, y_pred, y_true):
        return ((y_pred - y_true) ** 2).reshape(len(y_pred), -1).mean(axis=1)


class RootMeanSquaredErrorMetric(MeanSquaredErrorMetric):
    name = "rmse"

    def update(self, y_pred, y_true):
        return float(np.sqrt(super().update(y_pred, y_true)))

    def result(self):
        return float(np.sqrt(super().result()))


class TopKCategoricalAccuracy(Metric):
    """Share of samples whose true class (one-hot targets) is among the ``k`` highest scores (ties count for the
    true class)."""

    name = "top_k_categorical_accuracy"

    def __init__(self, k: int = 5) -> None:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError(f"{type(self).__name__}: k must be a positive integer, got {k!r}")
        self.k = int(k)
        super().__init__()

    def labels(self, y_true: np.ndarray) -> np.ndarray:
        return np.argmax(y_true, axis=-1)

    def per_sample(self, y_pred, y_true):
        scores = np.asarray(y_pred).reshape(len(y_pred), -1)
        labels = np.asarray(self.labels(np.asarray(y_true))).reshape(-1).astype(np.int64)
        target = scores[np.arange(len(scores)), labels]
        return (np.sum(scores > target[:, None], axis=1) < self.k).astype(np.float64)


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Top-k accuracy with integer class labels as targets."""

    name = "sparse_top_k_categorical_accuracy"

    def labels(self, y_true):
        return y_true


class _ConfusionMetric(Metric):
    """A classification metric computed from a confusion matrix accumulated over batches.

    ``average='binary'`` scores class 1 of a one-unit (sigmoid) output, thresholded at ``threshold``;
    ``'macro'`` is the unweighted mean over the classes that occur in the targets or the predictions (as
    scikit-learn), predictions being the arg-max of the outputs. ``None`` picks binary for one output unit.
    """

    def __init__(self, average: str | None = None, threshold: float = 0.5, num_classes: int | None = None) -> None:
        if average not in (None, "binary", "macro"):
            raise ConfigError(f"{type(self).__name__}: average must be 'binary' or 'macro', got {average!r}")
        self.average, self.threshold, self.num_classes = average, float(threshold), num_classes
        super().__init__()

    def reset(self) -> None:
        self.matrix: np.ndarray | None = None
        self._mode = self.average or "macro"

    def update(self, y_pred, y_true):
        one_unit = np.ndim(y_pred) == 1 or np.shape(y_pred)[-1] == 1
        self._mode = self.average or ("binary" if one_unit else "macro")
        batch = confusion_matrix(y_true, y_pred, self.num_classes, self.threshold)
        if self.matrix is None or self.matrix.shape != batch.shape:
            self.matrix = np.zeros_like(batch) if self.matrix is None else _grow(self.matrix, len(batch))
            batch = _grow(batch, len(self.matrix))
        self.matrix += batch
        return self.score(batch)

    def result(self):
        return self.score(self.matrix) if self.matrix is not None else 0.0

    def score(self, matrix: np.ndarray) -> float:
        scores = precision_recall_f1(matrix)[self.key]
        if self._mode == "binary":
            return float(scores[1]) if len(scores) > 1 else 0.0
        present = (matrix.sum(axis=0) + matrix.sum(axis=1)) > 0
        return float(np.mean(scores[present])) if present.any() else 0.0

    key = ""


class Precision(_ConfusionMetric):
    name = "precision"
    key = "precision"


class Recall(_ConfusionMetric):
    name = "recall"
    key = "recall"


class F1Score(_ConfusionMetric):
    name = "f1_score"
    key = "f1"


class R2Score(Metric):
    """Coefficient of determination ``1 − SS_res / SS_tot`` over the whole epoch, averaged uniformly over the
    outputs (Keras's ``R2Score``); an output whose targets are constant scores 0."""

    name = "r2_score"

    def reset(self) -> None:
        self._sums: np.ndarray | None = None  # rows: count, Σy, Σy², Σ(y − ŷ)²

    @staticmethod
    def _batch_sums(y_pred, y_true) -> np.ndarray:
        t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
        p = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
        return np.stack([np.full(t.shape[1], float(len(t))), t.sum(0), (t * t).sum(0), ((t - p) ** 2).sum(0)])

    @staticmethod
    def _r2(sums: np.ndarray) -> float:
        n, s, s2, res = sums
        total = s2 - s * s / np.maximum(n, 1.0)
        ok = total > 1e-12 * np.maximum(s2, 1e-300)
        return float(np.mean(np.where(ok, 1.0 - res / np.where(ok, total, 1.0), 0.0)))

    def update(self, y_pred, y_true):
        batch = self._batch_sums(y_pred, y_true)
        self._sums = batch if self._sums is None else self._sums + batch
        return self._r2(batch)

    def result(self):
        return self._r2(self._sums) if self._sums is not None else 0.0


def _grow(matrix: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, size), dtype=matrix.dtype)
    out[:len(matrix), :len(matrix)] = matrix
    return out


def _class_labels(values: np.ndarray, threshold: float, role: str) -> np.ndarray:
    """Class indices from one-hot / score rows (arg-max), one probability per sample (threshold) or labels."""
    values = np.asarray(values)
    if values.ndim >= 2 and values.shape[-1] > 1:
        return np.argmax(values.reshape(len(values), -1), axis=-1)
    flat = values.reshape(-1)
    if flat.dtype.kind == "f" and np.any((flat != np.round(flat)) | (flat < 0)):
        if np.any((flat < 0) | (flat > 1)):
            raise ShapeError(f"confusion matrix: the {role} are neither class labels nor probabilities")
        return (flat > threshold).astype(np.int64)
    return flat.astype(np.int64)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None,
                     threshold: float = 0.5) -> np.ndarray:
    """Counts ``[i, j]`` of samples of true class ``i`` predicted as class ``j`` (rows: truth, as Keras and
    scikit-learn). Each argument may be class labels, one-hot rows or scores (arg-max), or one probability per
    sample (positive above ``threshold``)."""
    pred = np.asarray(y_pred)
    if pred.ndim >= 1 and pred.dtype.kind == "f" and (pred.ndim == 1 or pred.shape[-1] == 1):
        pred = (pred.reshape(-1) > threshold).astype(np.int64)
        true = _class_labels(y_true, 0.5, "targets")
        width = 2
    else:
        true, pred = _class_labels(y_true, threshold, "targets"), _class_labels(pred, threshold, "predictions")
        width = np.asarray(y_pred).shape[-1] if np.asarray(y_pred).ndim >= 2 else 0
    if len(true) != len(pred):
        raise ShapeError(f"confusion matrix: {len(true)} targets but {len(pred)} predictions")
    size = num_classes or max(width, int(max(true.max(initial=0), pred.max(initial=0))) + 1)
    if true.min(initial=0) < 0 or pred.min(initial=0) < 0 or max(true.max(initial=0), pred.max(initial=0)) >= size:
        raise ShapeError(f"confusion matrix: a class label is outside 0..{size - 1}; check num_classes")
    return np.bincount(true * size + pred, minlength=size * size).reshape(size, size).astype(np.int64)


def precision_recall_f1(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion matrix (0 where undefined)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    tp = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(tp), where=both > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": actual.astype(np.int64)}


_METRICS: dict[str, type[Metric]] = {
    cls.name: cls for cls in (CategoricalAccuracy, SparseCategoricalAccuracy, BinaryAccuracy,
                              MeanAbsoluteErrorMetric, MeanSquaredErrorMetric, RootMeanSquaredErrorMetric,
                              TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, F1Score,
                              R2Score)}
_ALIASES = {"mean_absolute_error": "mae", "mean_squared_error": "mse", "root_mean_squared_error": "rmse",
            "top_k_accuracy": "top_k_categorical_accuracy", "f1": "f1_score", "r2": "r2_score"}


def names() -> list[str]:
    """Every metric name ``get`` accepts, for menus."""
    return sorted({"accuracy", *_METRICS})


def get(identifier: "str | Metric", loss_name: str = "", output_units: int = 1) -> Metric:
    """A fresh metric (an instance is reset and returned). ``accuracy`` / ``acc`` picks the variant that fits the
    loss and the output, as Keras; precision, recall and F1 are binary for one output unit, macro otherwise."""
    if isinstance(identifier, Metric):
        identifier.reset()
        return identifier
    name = _ALIASES.get(identifier, identifier) if isinstance(identifier, str) else identifier
    if name in ("accuracy", "acc"):
        if loss_name == "sparse_categorical_crossentropy":
            cls = SparseCategoricalAccuracy
        elif loss_name == "binary_crossentropy" or output_units == 1:
            cls = BinaryAccuracy
        else:
            cls = CategoricalAccuracy
        metric = cls()
        metric.name = "accuracy" if identifier == "accuracy" else identifier
        return metric
    try:
        cls = _METRICS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown metric {identifier!r}; choose one of {', '.join(names())}") from None
    if issubclass(cls, _ConfusionMetric):
        return cls(average="binary" if output_units == 1 else "macro")
    return cls()
