"""Training metrics, by Keras name.

A metric is a :class:`Metric` that accumulates over batches (``update``) and reports a running value
(``result``), so an epoch's figure is exact however the epoch is split into batches. ``'accuracy'`` resolves to
binary, categorical or sparse accuracy from the loss and output shape, as Keras does.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from core.errors import ConfigError


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


_METRICS: dict[str, type[Metric]] = {
    cls.name: cls for cls in (CategoricalAccuracy, SparseCategoricalAccuracy, BinaryAccuracy,
                              MeanAbsoluteErrorMetric, MeanSquaredErrorMetric, RootMeanSquaredErrorMetric)}
_ALIASES = {"mean_absolute_error": "mae", "mean_squared_error": "mse", "root_mean_squared_error": "rmse"}


def get(identifier: "str | Metric", loss_name: str = "", output_units: int = 1) -> Metric:
    """A fresh metric. ``accuracy`` / ``acc`` picks the variant that fits the loss and the output, as Keras."""
    if isinstance(identifier, Metric):
        return identifier
    name = _ALIASES.get(identifier, identifier)
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
        return _METRICS[name]()
    except (KeyError, TypeError):
        known = ", ".join(["accuracy"] + sorted(_METRICS))
        raise ConfigError(f"unknown metric {identifier!r}; choose one of {known}") from None
