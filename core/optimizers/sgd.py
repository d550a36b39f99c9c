"""Gradient descent, with optional momentum and Nesterov momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.optimizers.base import Optimizer, unit_interval
from core.params import Param


def _slot(slots: list[np.ndarray], index: int, w: np.ndarray) -> np.ndarray:
    """Slot ``index`` if the optimiser keeps it, else an empty array the kernel ignores."""
    return slots[index] if index < len(slots) else w[:0]


class SGD(Optimizer):
    """Gradient descent with optional momentum and Nesterov momentum (Keras 3's update:
    ``v = m·v − lr·g``, ``w += v`` or, with Nesterov, ``w += m·v − lr·g``)."""

    name = "sgd"
    default_learning_rate = 0.01
    params = (unit_interval("momentum", 0.0, "share of the last step carried into the next (0: none)"),
              Param("nesterov", "bool", False, "take the gradient after the momentum step (Nesterov)"))

    def __init__(self, learning_rate=None, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = self._check("momentum", momentum)
        self.nesterov = self._check("nesterov", nesterov)
        self.slot_names = ("momentum",) if self.momentum else ()

    def update(self, k, w, g, slots, lr, step):
        k.sgd_update(w, g, _slot(slots, 0, w), lr, self.momentum, self.nesterov, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
