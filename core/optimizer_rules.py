"""The optimisers themselves (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Nadam, Adamax): their options, checked
as Keras names them, and the kernel each update runs. The base class, the registry and :func:`core.optimizers.get`
are in :mod:`core.optimizers`, which exports every class here too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.optimizers import Optimizer, _check, _check_bool, register

def _slot(slots: list[np.ndarray], index: int, w: np.ndarray) -> np.ndarray:
    """Slot ``index`` if the optimiser keeps it, else an empty array the kernel ignores."""
    return slots[index] if index < len(slots) else w[:0]


@register
class SGD(Optimizer):
    """Gradient descent with optional momentum and Nesterov momentum (Keras 3's update:
    ``v = m·v − lr·g``, ``w += v`` or, with Nesterov, ``w += m·v − lr·g``)."""

    name = "sgd"
    default_learning_rate = 0.01

    def __init__(self, learning_rate=None, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = _check("SGD", "momentum", momentum, 0, 1, hi_open=True)
        self.nesterov = _check_bool("SGD", "nesterov", nesterov)
        self.slot_names = ("momentum",) if self.momentum else ()

    def update(self, k, w, g, slots, lr, step):
        k.sgd_update(w, g, _slot(slots, 0, w), lr, self.momentum, self.nesterov, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@register
class Adagrad(Optimizer):
    """Adagrad: ``a += g²``, ``w −= lr·g / √(a + ε)``, the accumulator starting at ``initial_accumulator_value``."""

    name = "adagrad"
    slot_names = ("accumulator",)

    def __init__(self, learning_rate=None, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = _check("Adagrad", "initial_accumulator_value", initial_accumulator_value, 0)
        self.slot_initial_value = self.initial_accumulator_value
        self.epsilon = _check("Adagrad", "epsilon", epsilon, 0, lo_open=True)

    def update(self, k, w, g, slots, lr, step):
        k.adagrad_update(w, g, slots[0], lr, self.epsilon, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@register
class RMSprop(Optimizer):
    """RMSprop: ``v = ρ·v + (1−ρ)·g²``, step ``lr·g / √(v + ε)`` (centered: ``v − ḡ²``), optionally with momentum."""

    name = "rmsprop"

    def __init__(self, learning_rate=None, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = _check("RMSprop", "rho", rho, 0, 1)
        self.momentum = _check("RMSprop", "momentum", momentum, 0, 1, hi_open=True)
        self.epsilon = _check("RMSprop", "epsilon", epsilon, 0, lo_open=True)
        self.centered = _check_bool("RMSprop", "centered", centered)
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


@register
class Adadelta(Optimizer):
    """Adadelta: ``Δ = −√(E[Δ²] + ε) / √(E[g²] + ε) · g``, ``w += lr·Δ`` (Keras's default lr 0.001; Zeiler's
    paper uses 1.0)."""

    name = "adadelta"
    slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=None, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = _check("Adadelta", "rho", rho, 0, 1)
        self.epsilon = _check("Adadelta", "epsilon", epsilon, 0, lo_open=True)

    def update(self, k, w, g, slots, lr, step):
        k.adadelta_update(w, g, slots[0], slots[1], lr, self.rho, self.epsilon, self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class _AdamFamily(Optimizer):
    """Shared β₁, β₂, ε of Adam, AdamW, Nadam and Adamax (Keras's defaults 0.9, 0.999, 1e-7)."""

    def __init__(self, learning_rate=None, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        owner = type(self).__name__
        self.beta_1 = _check(owner, "beta_1", beta_1, 0, 1, hi_open=True)
        self.beta_2 = _check(owner, "beta_2", beta_2, 0, 1, hi_open=True)
        self.epsilon = _check(owner, "epsilon", epsilon, 0, lo_open=True)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@register
class Adam(_AdamFamily):
    """Adam (Kingma & Ba) as Keras: ``w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)``; ``amsgrad`` divides by the running
    maximum of ``v`` instead."""

    name = "adam"
    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=None, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = _check_bool(type(self).__name__, "amsgrad", amsgrad)
        self.slot_names = ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def update(self, k, w, g, slots, lr, step):
        if self.amsgrad:
            k.amsgrad_update(w, g, slots[0], slots[1], slots[2], lr, self.beta_1, self.beta_2, self.epsilon, step,
                             self.weight_decay)
        else:
            k.adam_update(w, g, slots[0], slots[1], lr, self.beta_1, self.beta_2, self.epsilon, step,
                          self.weight_decay)

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


@register
class AdamW(Adam):
    """Adam with decoupled weight decay ``w ← w − lr·λ·w`` (Loshchilov & Hutter); Keras's default λ = 0.004."""

    name = "adamw"
    default_weight_decay = 0.004


@register
class Nadam(_AdamFamily):
    """Adam with Nesterov momentum (Dozat), Keras's momentum schedule ``μₜ = β₁·(1 − ½·0.96ᵗ)``.

    The product ``Πμ`` is derived from the iteration count, so the saved state stays iterations + slots.
    """

    name = "nadam"
    slot_names = ("momentum", "velocity")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._u_step, self._u_product = 0, 1.0

    def prepare_step(self, step):
        if self._u_step != step - 1:
            self._u_step, self._u_product = 0, 1.0
            for t in range(1, step):
                self._u_product *= self.beta_1 * (1.0 - 0.5 * 0.96 ** t)
        self._u_product *= self.beta_1 * (1.0 - 0.5 * 0.96 ** step)
        self._u_step = step

    def update(self, k, w, g, slots, lr, step):
        k.nadam_update(w, g, slots[0], slots[1], lr, self.beta_1, self.beta_2, self.epsilon, step, self._u_product,
                       self.weight_decay)


@register
class Adamax(_AdamFamily):
    """Adamax (Adam with the infinity norm): ``u = max(β₂·u, |g|)``, ``w −= lr·m / ((1−β₁ᵗ)·(u + ε))``."""

    name = "adamax"
    slot_names = ("momentum", "norm")

    def update(self, k, w, g, slots, lr, step):
        k.adamax_update(w, g, slots[0], slots[1], lr, self.beta_1, self.beta_2, self.epsilon, step,
                        self.weight_decay)
