"""Optimisers that scale each weight's step by its own gradient history: Adagrad, RMSprop and Adadelta."""

from __future__ import annotations

from typing import Any

from core.optimizers.base import Optimizer, check_bool, check_number


class Adagrad(Optimizer):
    """Adagrad: ``a += g²``, ``w −= lr·g / √(a + ε)``, the accumulator starting at ``initial_accumulator_value``."""

    name = "adagrad"
    slot_names = ("accumulator",)

    def __init__(self, learning_rate=None, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_number("Adagrad", "initial_accumulator_value",
                                                      initial_accumulator_value, 0)
        self.slot_initial_value = self.initial_accumulator_value
        self.epsilon = check_number("Adagrad", "epsilon", epsilon, 0, lo_open=True)

    def update(self, k, w, g, slots, lr, step):
        k.adagrad_update(w, g, slots[0], lr, self.epsilon, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: ``v = ρ·v + (1−ρ)·g²``, step ``lr·g / √(v + ε)`` (centered: ``v − ḡ²``), optionally with momentum."""

    name = "rmsprop"

    def __init__(self, learning_rate=None, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = check_number("RMSprop", "rho", rho, 0, 1)
        self.momentum = check_number("RMSprop", "momentum", momentum, 0, 1, hi_open=True)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, 0, lo_open=True)
        self.centered = check_bool("RMSprop", "centered", centered)
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

    def __init__(self, learning_rate=None, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = check_number("Adadelta", "rho", rho, 0, 1)
        self.epsilon = check_number("Adadelta", "epsilon", epsilon, 0, lo_open=True)

    def update(self, k, w, g, slots, lr, step):
        k.adadelta_update(w, g, slots[0], slots[1], lr, self.rho, self.epsilon, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
