"""Optimisers with Keras's parameter names, defaults and formulas, and state that saves and restores exactly.

An optimiser owns its slots (momentum, moment estimates) and its iteration count. ``apply`` runs the update of
each weight in place through the backend's fused kernel. ``learning_rate`` may be a number or a schedule (any
callable taking the iteration and returning a rate); the Keras-2 ``decay`` argument applies the time-based decay
``lr / (1 + decay · iterations)`` on top.
"""

from __future__ import annotations

import math
from typing import Any, Callable, ClassVar

import numpy as np

from core.errors import ConfigError

_OPTIMIZERS: dict[str, type["Optimizer"]] = {}


def register(cls: type["Optimizer"]) -> type["Optimizer"]:
    for name in (cls.name,) + cls.aliases:
        _OPTIMIZERS[name] = cls
    return cls


def _check(owner: str, name: str, value: Any, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, hi_open: bool = False, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value < hi if hi_open else value <= hi
    if not ok:
        lo_text = "" if lo is None else f"{'>' if lo_open else '≥'} {lo}"
        hi_text = "" if hi is None else f"{'<' if hi_open else '≤'} {hi}"
        allowed = " and ".join(t for t in (lo_text, hi_text) if t) or "a finite number"
        raise ConfigError(f"{owner}: '{name}' must be a number {allowed}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: learning rate (number or schedule), Keras-2 ``decay``, clipping and decoupled weight decay.

    Subclasses define ``slot_names`` and ``update(k, w, g, slots, lr, step)`` on flat arrays.
    """

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    slot_names: ClassVar[tuple[str, ...]] = ()
    default_learning_rate: ClassVar[float] = 0.001

    def __init__(self, learning_rate: float | Callable[[int], float] | None = None, *, lr: float | None = None,
                 decay: float = 0.0, clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, weight_decay: float | None = None) -> None:
        if learning_rate is not None and lr is not None:
            raise ConfigError(f"{type(self).__name__}: give learning_rate or lr, not both")
        rate = learning_rate if learning_rate is not None else lr
        rate = self.default_learning_rate if rate is None else rate
        owner = type(self).__name__
        self.learning_rate = rate if callable(rate) else _check(owner, "learning_rate", rate, 0, lo_open=True)
        self.decay = _check(owner, "decay", decay, 0)
        self.clipnorm = _check(owner, "clipnorm", clipnorm, 0, lo_open=True, nullable=True)
        self.clipvalue = _check(owner, "clipvalue", clipvalue, 0, lo_open=True, nullable=True)
        self.global_clipnorm = _check(owner, "global_clipnorm", global_clipnorm, 0, lo_open=True, nullable=True)
        self.weight_decay = _check(owner, "weight_decay", weight_decay, 0, nullable=True) or 0.0
        self.iterations = 0
        self.slots: list[list[np.ndarray]] = []

    # -- learning rate -------------------------------------------------------------------------------------
    def current_learning_rate(self) -> float:
        """The rate the next update will use."""
        base = self.learning_rate(self.iterations) if callable(self.learning_rate) else self.learning_rate
        return float(base) / (1.0 + self.decay * self.iterations) if self.decay else float(base)

    # -- updates -------------------------------------------------------------------------------------------
    def build(self, weights: list[np.ndarray]) -> None:
        """Create zeroed slots for ``weights`` (done on the first ``apply`` if not before)."""
        self.slots = [[np.zeros_like(w) for _ in self.slot_names] for w in weights]

    def apply(self, k: Any, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """One update of every ``(weight, gradient)`` pair, in place."""
        if len(self.slots) != len(pairs):
            self.build([w for w, _ in pairs])
        grads = self._clipped([g for _, g in pairs])
        lr = self.current_learning_rate()
        self.iterations += 1
        for (w, _), g, slots in zip(pairs, grads, self.slots):
            self.update(k, w.reshape(-1), g.reshape(-1), [s.reshape(-1) for s in slots], lr, self.iterations)

    def update(self, k: Any, w: np.ndarray, g: np.ndarray, slots: list[np.ndarray], lr: float, step: int) -> None:
        raise NotImplementedError

    def _clipped(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        if self.clipvalue is not None:
            grads = [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            grads = [_scale_to_norm(g, float(np.sqrt(np.sum(g * g))), self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
            grads = [_scale_to_norm(g, norm, self.global_clipnorm) for g in grads]
        return [np.ascontiguousarray(g) for g in grads]

    # -- state ---------------------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        rate = self.learning_rate
        config = {"learning_rate": rate if not callable(rate) else getattr(rate, "get_config", lambda: None)(),
                  "decay": self.decay, "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                  "global_clipnorm": self.global_clipnorm, "weight_decay": self.weight_decay or None}
        return config

    def get_state(self) -> dict[str, Any]:
        """Iteration count and copies of every slot: enough to continue exactly where training stopped."""
        return {"iterations": self.iterations, "slots": [[s.copy() for s in group] for group in self.slots]}

    def set_state(self, state: dict[str, Any]) -> None:
        self.iterations = int(state["iterations"])
        self.slots = [[np.array(s, copy=True) for s in group] for group in state["slots"]]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


def _scale_to_norm(g: np.ndarray, norm: float, limit: float) -> np.ndarray:
    return g * (limit / norm) if norm > limit else g


@register
class SGD(Optimizer):
    """Gradient descent with optional momentum and Nesterov momentum (Keras 3's update:
    ``v = m·v − lr·g``, ``w += v`` or, with Nesterov, ``w += m·v − lr·g``)."""

    name = "sgd"
    aliases = ("SGD",)
    slot_names = ("momentum",)
    default_learning_rate = 0.01

    def __init__(self, learning_rate=None, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = _check("SGD", "momentum", momentum, 0, 1, hi_open=True)
        if not isinstance(nesterov, bool):
            raise ConfigError(f"SGD: 'nesterov' must be true or false, got {nesterov!r}")
        self.nesterov = nesterov

    def update(self, k, w, g, slots, lr, step):
        k.sgd_update(w, g, slots[0], lr, self.momentum, self.nesterov, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@register
class Adam(Optimizer):
    """Adam (Kingma & Ba) with Keras's defaults: β₁ 0.9, β₂ 0.999, ε 1e-7."""

    name = "adam"
    aliases = ("Adam",)
    slot_names = ("m", "v")

    def __init__(self, learning_rate=None, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _check("Adam", "beta_1", beta_1, 0, 1, hi_open=True)
        self.beta_2 = _check("Adam", "beta_2", beta_2, 0, 1, hi_open=True)
        self.epsilon = _check("Adam", "epsilon", epsilon, 0, lo_open=True)

    def update(self, k, w, g, slots, lr, step):
        k.adam_update(w, g, slots[0], slots[1], lr, self.beta_1, self.beta_2, self.epsilon, step, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


def names() -> list[str]:
    return sorted({cls.name for cls in _OPTIMIZERS.values()})


def get(identifier: "str | Optimizer", **kwargs: Any) -> Optimizer:
    """An optimiser from its Keras name (``'sgd'``, ``'adam'``) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    try:
        cls = _OPTIMIZERS[identifier]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown optimizer {identifier!r}; choose one of {', '.join(names())}") from None
    return cls(**kwargs)
