"""Optimisers that scale each weight's step by its own gradient history: Adagrad, RMSprop and Adadelta."""

from __future__ import annotations

from typing import Any

from core.optimizers.base import EPSILON, Optimizer, unit_interval
from core.params import Param


class Adagrad(Optimizer):
    """Adagrad: ``a += g²``, ``w −= lr·g / √(a + ε)``, the accumulator starting at ``initial_accumulator_value``."""

    name = "adagrad"
    slot_names = ("accumulator",)
    params = (Param("initial_accumulator_value", "float", 0.1, "starting value of each squared-gradient sum",
                    min=0.0), EPSILON)

    def __init__(self, learning_rate=None, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = self._check("initial_accumulator_value", initial_accumulator_value)
        self.slot_initial_value = self.initial_accumulator_value
        self.epsilon = self._check("epsilon", epsilon)

    def update(self, k, w, g, slots, lr, step):
        k.adagrad_update(w, g, slots[0], lr, self.epsilon, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: ``v = ρ·v + (1−ρ)·g²``, step ``lr·g / √(v + ε)`` (centered: ``v − ḡ²``), optionally with momentum."""

    name = "rmsprop"
    params = (unit_interval("rho", 0.9, "decay of the squared-gradient average"),
              unit_interval("momentum", 0.0, "share of the last step carried into the next (0: none)"), EPSILON,
              Param("centered", "bool", False, "divide by the gradient's variance rather than its mean square"))

    def __init__(self, learning_rate=None, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = self._check("rho", rho)
        self.momentum = self._check("momentum", momentum)
        self.epsilon = self._check("epsilon", epsilon)
        self.centered = self._check("centered", centered)
        self.slot_names = ("velocity",) + (("momentum",) if self.momentum else ()) + \
            (("average_gradient",) if self.centered else ())

    def update(self, k, w, g, slots, lr, step):
        mom = slots[1] if self.momentum else w[:0]
        avg = slots[-1] if self.centered else w[:0]
        k.rmsprop_update(w, g, slots[0], mom, avg, lr, self.rho, self.momentum, self.epsilon, self.centered,
                         self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


class Adadelta(Optimizer):
    """Adadelta: ``Δ = −√(E[Δ²] + ε) / √(E[g²] + ε) · g``, ``w += lr·Δ`` (Keras's default lr 0.001; Zeiler's
    paper uses 1.0)."""

    name = "adadelta"
    slot_names = ("accumulated_grad", "accumulated_delta_var")
    params = (unit_interval("rho", 0.95, "decay of the squared-gradient and squared-step averages"), EPSILON)

    def __init__(self, learning_rate=None, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = self._check("rho", rho)
        self.epsilon = self._check("epsilon", epsilon)

    def update(self, k, w, g, slots, lr, step):
        k.adadelta_update(w, g, slots[0], slots[1], lr, self.rho, self.epsilon, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
