"""Adam and its family (AdamW, Nadam, Adamax): first and second moment estimates with bias correction."""

from __future__ import annotations

from typing import Any

from core.optimizers.base import EPSILON, Optimizer, unit_interval
from core.params import Param


class _AdamFamily(Optimizer):
    """Shared β₁, β₂, ε of Adam, AdamW, Nadam and Adamax (Keras's defaults 0.9, 0.999, 1e-7)."""

    params = (unit_interval("beta_1", 0.9, "decay of the gradient average (first moment)"),
              unit_interval("beta_2", 0.999, "decay of the squared-gradient average (second moment)"), EPSILON)

    def __init__(self, learning_rate=None, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = self._check("beta_1", beta_1)
        self.beta_2 = self._check("beta_2", beta_2)
        self.epsilon = self._check("epsilon", epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adam(_AdamFamily):
    """Adam (Kingma & Ba) as Keras: ``w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)``; ``amsgrad`` divides by the running
    maximum of ``v`` instead."""

    name = "adam"
    slot_names = ("momentum", "velocity")
    params = _AdamFamily.params + (Param("amsgrad", "bool", False, "divide by the largest second moment so far"),)

    def __init__(self, learning_rate=None, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = self._check("amsgrad", amsgrad)
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


class AdamW(Adam):
    """Adam with decoupled weight decay ``w ← w − lr·λ·w`` (Loshchilov & Hutter); Keras's default λ = 0.004."""

    name = "adamw"
    default_weight_decay = 0.004


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


class Adamax(_AdamFamily):
    """Adamax (Adam with the infinity norm): ``u = max(β₂·u, |g|)``, ``w −= lr·m / ((1−β₁ᵗ)·(u + ε))``."""

    name = "adamax"
    slot_names = ("momentum", "norm")

    def update(self, k, w, g, slots, lr, step):
        k.adamax_update(w, g, slots[0], slots[1], lr, self.beta_1, self.beta_2, self.epsilon, step,
                        self.weight_decay)
