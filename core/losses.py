"""Losses with their gradients, by Keras name.

Every loss returns ``(value, gradient w.r.t. y_pred)``; the value is averaged over the batch, so the learning
rate does not depend on the batch size. Cross-entropies can also be computed from the output layer's logits
(``from_logits``), which is what the engine does when the output activation is softmax or sigmoid: stable for
any logit, and the activation's backward is folded into the loss's.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from core import activations
from core.errors import ConfigError, ShapeError

EPSILON = 1e-7  # Keras's backend.epsilon(), used to clip probabilities

_LOSSES: dict[str, type["Loss"]] = {}


def register(cls: type["Loss"]) -> type["Loss"]:
    for name in (cls.name,) + cls.aliases:
        _LOSSES[name] = cls
    return cls


class Loss:
    """Base class. ``logits_activation`` names the output activation this loss can take logits for.

    The class attributes below are the facts :mod:`core.tasks` reads to suggest a loss, prepare targets and find
    what prevents training: ``task`` (``"classification"`` or ``"regression"``), ``targets`` (the form of the
    targets: ``"values"``, integer ``"labels"``, ``"one_hot"`` rows or one ``"binary"`` column of 0/1),
    ``output_activations`` (the output activations the loss suits; empty: any) and ``integer_targets``.
    """

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    logits_activation: ClassVar[str | None] = None
    integer_targets: ClassVar[bool] = False
    task: ClassVar[str] = "regression"
    targets: ClassVar[str] = "values"
    output_activations: ClassVar[tuple[str, ...]] = ()

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        self.check_targets(y_pred, y_true)
        return self.value_and_grad(y_pred, np.asarray(y_true, dtype=y_pred.dtype))

    def value_and_grad(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def from_logits(self, k: Any, logits: np.ndarray, y_true: np.ndarray,
                    checked: bool = False) -> tuple[float, np.ndarray]:
        """Value and gradient w.r.t. the logits of ``logits_activation``; ``checked``: the targets already passed
        :meth:`check_targets` (the trainer checks a whole data set once, not every batch)."""
        raise NotImplementedError

    def check_targets(self, y_pred: np.ndarray, y_true: np.ndarray) -> None:
        if y_true.shape != y_pred.shape:
            raise ShapeError(f"loss '{self.name}': targets have shape {y_true.shape[1:]} per sample but the network "
                             f"outputs {y_pred.shape[1:]}" + _hint(y_pred, y_true))

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _hint(y_pred: np.ndarray, y_true: np.ndarray) -> str:
    if y_true.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return ": the targets look like integer labels; one-hot encode them or use sparse_categorical_crossentropy"
    if y_true.ndim == 2 and y_pred.ndim == 2 and y_true.shape[1] != y_pred.shape[1]:
        return f": make the last layer output {y_true.shape[1]} values"
    return ""


@register
class MeanSquaredError(Loss):
    """Mean over outputs of (y − t)², averaged over the batch."""

    name = "mean_squared_error"
    aliases = ("mse", "MSE", "MeanSquaredError")

    def value_and_grad(self, y_pred, y_true):
        diff = y_pred - y_true
        return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


@register
class MeanAbsoluteError(Loss):
    """Mean over outputs of |y − t|, averaged over the batch."""

    name = "mean_absolute_error"
    aliases = ("mae", "MAE", "MeanAbsoluteError")

    def value_and_grad(self, y_pred, y_true):
        diff = y_pred - y_true
        return float(np.mean(np.abs(diff))), np.sign(diff) / diff.size


@register
class RootMeanSquaredError(Loss):
    """Square root of the mean of (y − t)² over the batch and outputs."""

    name = "root_mean_squared_error"
    aliases = ("rmse", "RMSE", "RootMeanSquaredError")

    def value_and_grad(self, y_pred, y_true):
        diff = y_pred - y_true
        value = float(np.sqrt(np.mean(diff * diff)))
        scale = 0.0 if value == 0.0 else 1.0 / (diff.size * value)
        return value, diff * scale


@register
class SumOfSquares(Loss):
    """The course's sum-of-squares error ½·Σ (y − t)² over the outputs of a sample, averaged over the batch."""

    name = "sum_of_squares"
    aliases = ("sse", "SumOfSquares", "sum_squared_error")

    def value_and_grad(self, y_pred, y_true):
        diff = y_pred - y_true
        n = y_pred.shape[0]
        return float(0.5 * np.sum(diff * diff) / n), diff / n


@register
class AbsoluteError(Loss):
    """Σ |y − t| over the outputs of a sample, averaged over the batch."""

    name = "absolute_error"
    aliases = ("sae", "AbsoluteError", "sum_absolute_error")

    def value_and_grad(self, y_pred, y_true):
        diff = y_pred - y_true
        n = y_pred.shape[0]
        return float(np.sum(np.abs(diff)) / n), np.sign(diff) / n


@register
class Hinge(Loss):
    """Mean over outputs of max(0, 1 − t·y) with targets in {−1, 1} (0/1 targets are mapped to −1/1, as in
    Keras)."""

    name = "hinge"
    aliases = ("Hinge",)
    task = "classification"
    targets = "binary"

    def value_and_grad(self, y_pred, y_true):
        if np.all((y_true == 0) | (y_true == 1)):
            y_true = 2 * y_true - 1
        margin = 1 - y_true * y_pred
        active = margin > 0
        return float(np.mean(np.where(active, margin, 0))), np.where(active, -y_true, 0) / y_pred.size


@register
class BinaryCrossentropy(Loss):
    """Mean over outputs of −(t·log p + (1 − t)·log(1 − p)), p clipped to [1e-7, 1 − 1e-7] as in Keras."""

    name = "binary_crossentropy"
    aliases = ("bce", "BinaryCrossentropy")
    logits_activation = "sigmoid"
    task = "classification"
    targets = "binary"
    output_activations = ("sigmoid",)

    def value_and_grad(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        value = -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
        inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
        grad = np.where(inside, (p - y_true) / (p * (1 - p)), 0) / y_pred.size
        return float(value), grad.astype(y_pred.dtype)

    def from_logits(self, k, logits, y_true, checked=False):
        logits = k.to_host(logits)  # computed on the host; the engine sends the gradient back up
        y_true = np.asarray(y_true, dtype=logits.dtype)
        if not checked:
            self.check_targets(logits, y_true)
        value = np.mean(np.maximum(logits, 0) - logits * y_true + np.log1p(np.exp(-np.abs(logits))))
        p = k.to_host(k.activation_forward(logits, activations.code("sigmoid")))
        return float(value), ((p - y_true) / logits.size).astype(logits.dtype)


@register
class CategoricalCrossentropy(Loss):
    """−Σ t·log p over classes, averaged over the batch; targets one-hot (or probabilities)."""

    name = "categorical_crossentropy"
    aliases = ("cce", "CategoricalCrossentropy")
    logits_activation = "softmax"
    task = "classification"
    targets = "one_hot"
    output_activations = ("softmax",)

    def value_and_grad(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        n = y_pred.shape[0]
        inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
        grad = np.where(inside, -y_true / p, 0) / n
        return float(-np.sum(y_true * np.log(p)) / n), grad.astype(y_pred.dtype)

    def from_logits(self, k, logits, y_true, checked=False):
        y_true = np.asarray(y_true, dtype=logits.dtype)
        if not checked:
            self.check_targets(logits, y_true)
        return k.softmax_xent(logits, y_true)


@register
class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels ``(batch,)`` instead of one-hot targets."""

    name = "sparse_categorical_crossentropy"
    aliases = ("scce", "SparseCategoricalCrossentropy")
    integer_targets = True
    targets = "labels"

    def check_targets(self, y_pred, y_true):
        labels = np.asarray(y_true).reshape(y_true.shape[0], -1)
        if labels.shape[1] != 1 or y_pred.ndim != 2:
            raise ShapeError(f"loss '{self.name}' expects one integer label per sample, got targets of shape "
                             f"{np.asarray(y_true).shape[1:]}: use categorical_crossentropy for one-hot targets")
        bad = (labels < 0) | (labels >= y_pred.shape[1]) | (labels != np.floor(labels))
        if bad.any():
            raise ShapeError(f"loss '{self.name}': labels must be integers in 0..{y_pred.shape[1] - 1} (the "
                             f"network has {y_pred.shape[1]} outputs), found {labels[bad][0]!r}")

    def __call__(self, y_pred, y_true):
        self.check_targets(y_pred, y_true)
        labels = np.asarray(y_true).reshape(-1).astype(np.int64)
        onehot = np.zeros_like(y_pred)
        onehot[np.arange(len(labels)), labels] = 1
        return self.value_and_grad(y_pred, onehot)

    def from_logits(self, k, logits, y_true, checked=False):
        if not checked:
            self.check_targets(logits, y_true)
        return k.softmax_xent(logits, np.asarray(y_true, dtype=np.int64).reshape(-1))


def names(task: str | None = None) -> list[str]:
    """The canonical name of every loss (of ``task``'s losses only, when given)."""
    return sorted({cls.name for cls in _LOSSES.values() if task is None or cls.task == task})


def classes() -> list[type[Loss]]:
    """Every registered loss class, once each (``from core import MeanSquaredError`` reads this)."""
    return sorted(set(_LOSSES.values()), key=lambda cls: cls.__name__)


def get(identifier: "str | Loss") -> Loss:
    """A loss from its Keras name, alias, or an instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    try:
        return _LOSSES[identifier]()
    except (KeyError, TypeError):
        raise ConfigError(f"unknown loss {identifier!r}; choose one of {', '.join(names())}") from None
