"""Activation functions by Keras name, with the integer codes the kernels use.

Definitions follow Keras 3: ``leaky_relu`` has slope 0.2, ``elu`` alpha 1, ``gelu`` is the exact (erf) form,
``hard_sigmoid`` is ``clip(x / 6 + 0.5, 0, 1)``. ``hard_sigmoid_tf2`` is tf.keras 2's ``clip(0.2 x + 0.5, 0, 1)``,
kept so that files written by tf.keras 2 compute what they computed there.
"""

from __future__ import annotations

from core.errors import ConfigError

ACTIVATIONS: tuple[str, ...] = (
    "linear", "sigmoid", "tanh", "relu", "softmax",
    "leaky_relu", "elu", "gelu", "softplus", "hard_sigmoid", "hard_sigmoid_tf2",
)
CODES = {name: i for i, name in enumerate(ACTIVATIONS)}
LEAKY_SLOPE = 0.2
ELU_ALPHA = 1.0


def code(name: str | None) -> int:
    """The kernel code of an activation name (``None`` means linear)."""
    if name is None:
        return CODES["linear"]
    try:
        return CODES[name]
    except KeyError:
        raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
