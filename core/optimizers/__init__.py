"""Optimisers with Keras's parameter names, defaults and formulas, and state that saves and restores exactly.

An optimiser owns its slots (momentum, moment estimates) and its iteration count. ``apply`` runs the update of
each weight in place through the backend's fused kernel. ``learning_rate`` may be a number or a schedule (any
callable taking the iteration and returning a rate, e.g. those of :mod:`core.schedules`); the Keras-2 ``decay``
argument applies the time-based decay ``lr / (1 + decay · iterations)`` on top, and ``lr`` is accepted for
``learning_rate``. ``weight_decay`` is the decoupled decay of Keras 3 (``w ← w − lr·λ·w`` before the update); the
L2 penalty in the loss is the layers' ``kernel_regularizer`` instead.

The base class is in :mod:`core.optimizers.base`, the optimisers in :mod:`~core.optimizers.sgd`,
:mod:`~core.optimizers.adaptive` and :mod:`~core.optimizers.adam`; this module holds the registry that
:func:`get` and :func:`names` read. A new optimiser is a subclass of :class:`Optimizer` in one of those modules
(or a new one), listed in ``_BUILT_IN`` below.

The three gradient-descent modes differ only in the batch size given to ``fit``: see
:func:`gradient_descent_mode`.
"""

from __future__ import annotations

from typing import Any

from core.errors import ConfigError
from core.optimizers.adam import Adam, Adamax, AdamW, Nadam
from core.optimizers.adaptive import Adadelta, Adagrad, RMSprop
from core.optimizers.base import Optimizer
from core.optimizers.modes import GRADIENT_DESCENT_MODES, batch_size_for_mode, gradient_descent_mode
from core.optimizers.sgd import SGD

_OPTIMIZERS: dict[str, type[Optimizer]] = {}


def register(cls: type[Optimizer]) -> type[Optimizer]:
    """Make ``cls`` known to :func:`get` by its Keras name, its class name and its aliases."""
    for name in (cls.name, cls.__name__) + cls.aliases:
        _OPTIMIZERS[name] = cls
    return cls


def names() -> list[str]:
    """The Keras names of every optimiser, for menus."""
    return sorted({cls.name for cls in _OPTIMIZERS.values()})


def classes() -> list[type[Optimizer]]:
    """Every registered optimiser class, once each (``from core import Adam`` reads this)."""
    return sorted(set(_OPTIMIZERS.values()), key=lambda cls: cls.__name__)


def get(identifier: "str | dict | Optimizer", **kwargs: Any) -> Optimizer:
    """An optimiser from its Keras name (``'sgd'``, ``'adam'``), class name, a Keras
    ``{"class_name": ..., "config": ...}`` dict, or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        name = str(identifier.get("class_name", "")).removeprefix("Custom>")
        if name not in _OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(names())}")
        return _OPTIMIZERS[name].from_config({**identifier.get("config", {}), **kwargs})
    try:
        cls = _OPTIMIZERS[identifier]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown optimizer {identifier!r}; choose one of {', '.join(names())}") from None
    return cls(**kwargs)


_BUILT_IN = (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Nadam, Adamax)
for _cls in _BUILT_IN:
    register(_cls)
del _cls

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Nadam", "Adamax", "get", "names",
           "gradient_descent_mode", "batch_size_for_mode", "GRADIENT_DESCENT_MODES"]
