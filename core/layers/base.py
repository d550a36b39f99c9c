"""The base class every layer type derives from.

A layer is one small class: a parameter spec, ``output_shape``, ``weight_specs``, ``forward`` and ``backward``.
Shapes here are per sample, without the batch axis: Dense on ``(None, 20)`` sees ``(20,)``. A layer instance holds
its name and validated config only; weights live in the built :class:`~core.engine.Network`, so one graph can be
built many times, on any backend.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np

from core import activations
from core.errors import ConfigError, ShapeError
from core.layers.registry import Param, validate_config

Shape = tuple[int, ...]

MAX_WEIGHT_VALUES = 2**28  # one weight tensor: 1 GiB as float32 (VGG16's largest Dense, 25088×4096, fits)
SIZE_PARAMS = ("units", "filters", "kernel_size", "depth_multiplier")  # what makes a layer's weights large

INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
                "zeros", "ones", "random_normal", "random_uniform", "orthogonal")


@dataclass(frozen=True)
class WeightSpec:
    """One weight tensor of a layer, in Keras's order (trainable first) and layout."""

    name: str
    shape: Shape
    initializer: str = "zeros"
    trainable: bool = True
    regularizer: dict[str, float] | None = None  # {"l1": a, "l2": b}: penalty added to the loss


@dataclass
class Context:
    """What a forward or backward call needs besides tensors: the kernels, the random generator, the mode."""

    k: Any
    rng: np.random.Generator
    training: bool = False


def activation_param(default: str | None = None) -> Param:
    return Param("activation", "choice", default, "function applied to the output",
                 choices=(None,) + activations.ACTIVATIONS, nullable=True)


def initializer_param(name: str, default: str, what: str) -> Param:
    return Param(name, "choice", default, f"how {what} is initialised", choices=INITIALIZERS)


def regularizer_param(name: str) -> Param:
    """A Keras-style weight regulariser parameter: ``a·Σ|w| + b·Σw²`` added to the loss."""
    what = name.replace("_regularizer", "").replace("_", " ")
    return Param(name, "regularizer", None, f"L1/L2 penalty on the {what} weights, added to the loss",
                 nullable=True)


def snake_case(name: str) -> str:
    """Keras's default layer name for a class name: ``MaxPooling2D`` → ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class SymbolicTensor:
    """The output of a layer in Keras's functional style: ``x = Dense(10)(inp)``."""

    def __init__(self, layer: "Layer", inputs: Sequence["SymbolicTensor"]):
        self.layer = layer
        self.inputs = list(inputs)

    def __repr__(self) -> str:
        return f"<SymbolicTensor from {self.layer.type_name} {self.layer.name or ''}>"


class Layer:
    """Base layer. Subclasses set ``params`` (Keras's positional order), ``category`` and the four methods."""

    type_name: ClassVar[str] = "Layer"
    category: ClassVar[str] = "Core"
    params: ClassVar[tuple[Param, ...]] = ()
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int] = 1
    default_name: ClassVar[str | None] = None

    def __init__(self, *args: Any, name: str | None = None, input_shape: Sequence[int] | None = None,
                 input_dim: int | None = None, batch_input_shape: Sequence[int | None] | None = None,
                 batch_shape: Sequence[int | None] | None = None, **kwargs: Any) -> None:
        if len(args) > len(self.params):
            raise ConfigError(f"{self.type_name} takes at most {len(self.params)} positional arguments "
                              f"({', '.join(p.name for p in self.params)}), got {len(args)}")
        for param, value in zip(self.params, args):
            if param.name in kwargs:
                raise ConfigError(f"{self.type_name}: parameter '{param.name}' given twice")
            kwargs[param.name] = value
        kwargs = self.translate_aliases(kwargs)
        self.config: dict[str, Any] = validate_config(type(self), kwargs)
        self.name = name
        self.input_shape_hint = _shape_hint(self.type_name, input_shape, input_dim, batch_input_shape, batch_shape)
        if self.input_shape_hint is not None:
            self._check_hinted_weights(self.input_shape_hint)

    def _check_hinted_weights(self, shape: Shape) -> None:
        """With its input shape given, a layer too large to allocate is refused as it is made."""
        try:
            specs = self.weight_specs([shape])
        except (ShapeError, ConfigError, IndexError, KeyError, ValueError):
            return  # a hint that does not fit: shape inference says so where the layer is placed
        self.check_weight_sizes(specs)

    # -- configuration -------------------------------------------------------------------------------------
    @classmethod
    def translate_aliases(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Map older Keras spellings of parameters onto the current ones (overridden where any exist)."""
        return kwargs

    @classmethod
    def from_config(cls, config: dict[str, Any], name: str | None = None) -> "Layer":
        return cls(name=name, **config)

    def get_config(self) -> dict[str, Any]:
        return dict(self.config)

    def with_config(self, changes: dict[str, Any]) -> "Layer":
        """A copy with some parameters changed (validated); the original is untouched."""
        new = type(self).from_config({**self.config, **changes}, name=self.name)
        new.input_shape_hint = self.input_shape_hint
        return new

    @classmethod
    def base_name(cls) -> str:
        return cls.default_name or snake_case(cls.type_name)

    def __repr__(self) -> str:
        return f"{self.type_name}(name={self.name!r}, {self.config})"

    # -- functional API ------------------------------------------------------------------------------------
    def __call__(self, inputs: "SymbolicTensor | Sequence[SymbolicTensor]") -> SymbolicTensor:
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if not all(isinstance(t, SymbolicTensor) for t in items):
            raise ConfigError(f"{self.type_name} must be called on the output of Input(...) or of another layer")
        if not self.min_inputs <= len(items) <= self.max_inputs:
            raise ConfigError(f"{self.type_name} takes {_count_text(self.min_inputs, self.max_inputs)}, "
                              f"got {len(items)}")
        return SymbolicTensor(self, items)

    # -- what each layer type defines ----------------------------------------------------------------------
    def output_shape(self, input_shapes: list[Shape]) -> Shape:
        """The per-sample output shape, or a ShapeError that says how to fix the network."""
        raise NotImplementedError

    def weight_specs(self, input_shapes: list[Shape]) -> list[WeightSpec]:
        return []

    def forward(self, ctx: Context, inputs: list[np.ndarray], weights: list[np.ndarray]) -> tuple[np.ndarray, Any]:
        """``(output, cache)``; ``cache`` is whatever backward needs."""
        raise NotImplementedError

    def backward(self, ctx: Context, dout: np.ndarray, cache: Any, weights: list[np.ndarray],
                 need_dx: bool) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
        """``(input gradients, weight gradients)``; an input gradient may be None when ``need_dx`` is false, a
        weight gradient is None for non-trainable weights."""
        raise NotImplementedError

    @classmethod
    def examples(cls) -> list[tuple[dict[str, Any], list[Shape]]]:
        """Small ``(config, input shapes)`` cases that the registry-wide gradient check runs."""
        return []

    # -- helpers for subclasses ----------------------------------------------------------------------------
    def shape_error(self, message: str) -> ShapeError:
        return ShapeError(f"{self.type_name} '{self.name}': {message}")

    def param_count(self, input_shapes: list[Shape]) -> int:
        """The number of weights; a ConfigError when one weight would be too large to allocate."""
        specs = self.weight_specs(input_shapes)
        self.check_weight_sizes(specs)
        return sum(math.prod(s.shape) for s in specs)

    def check_weight_sizes(self, specs: Sequence[WeightSpec]) -> None:
        """Refuse, before anything is allocated, a weight of more than ``MAX_WEIGHT_VALUES`` values, naming the
        parameters that size it and their allowed ranges."""
        for spec in specs:
            count = math.prod(spec.shape)
            if count > MAX_WEIGHT_VALUES:
                knobs = [f"{p.name} (now {self.config[p.name]}, allowed: {p.describe()})" for p in self.params
                         if p.name in SIZE_PARAMS]
                lower = f"lower {' or '.join(knobs)}, or" if knobs else ""
                named = f" '{self.name}'" if self.name else ""
                raise ConfigError(f"{self.type_name}{named}: its {spec.name} would hold {count:,} values "
                                  f"({' × '.join(map(str, spec.shape))}, {count * 4 / 2**30:,.1f} GiB as float32), "
                                  f"more than the {MAX_WEIGHT_VALUES:,} one weight may hold: {lower} make its "
                                  "input smaller (e.g. pool or stride before it)")


class ActivatedLayer(Layer):
    """A layer with an ``activation`` parameter: a linear part (``forward_linear`` / ``backward_linear``)
    followed by the activation. The engine may skip the activation's backward when the loss hands it the
    gradient with respect to the pre-activation directly (softmax + cross-entropy computed from logits)."""

    def activation_name(self) -> str:
        return self.config.get("activation") or "linear"

    def forward_linear(self, ctx: Context, inputs: list[np.ndarray], weights: list[np.ndarray]):
        raise NotImplementedError

    def backward_linear(self, ctx: Context, dz: np.ndarray, cache: Any, weights: list[np.ndarray], need_dx: bool):
        raise NotImplementedError

    def forward(self, ctx, inputs, weights):
        z, inner = self.forward_linear(ctx, inputs, weights)
        code = activations.code(self.activation_name())
        y = z if code == 0 else ctx.k.activation_forward(z, code)
        return y, (inner, z, y)

    def backward(self, ctx, dout, cache, weights, need_dx):
        inner, z, y = cache
        code = activations.code(self.activation_name())
        dz = dout if code == 0 else ctx.k.activation_backward(z, y, dout, code)
        return self.backward_linear(ctx, dz, inner, weights, need_dx)

    def backward_from_logits(self, ctx, dz, cache, weights, need_dx):
        """Backward from the gradient w.r.t. the pre-activation (the loss already folded the activation in)."""
        return self.backward_linear(ctx, dz, cache[0], weights, need_dx)

    def logits(self, cache) -> np.ndarray:
        return cache[1]


def _count_text(lo: int, hi: int) -> str:
    if lo == hi:
        return f"{lo} input" + ("s" if lo != 1 else "")
    return f"{lo} or more inputs" if hi > 1000 else f"{lo} to {hi} inputs"


def _shape_hint(type_name, input_shape, input_dim, batch_input_shape, batch_shape) -> Shape | None:
    given = [v for v in (input_shape, input_dim, batch_input_shape, batch_shape) if v is not None]
    if len(given) > 1:
        raise ConfigError(f"{type_name}: give only one of input_shape, input_dim, batch_input_shape")
    if input_dim is not None:
        shape = (input_dim,)
    elif input_shape is not None:
        shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else (input_shape,)
    elif batch_input_shape is not None or batch_shape is not None:
        shape = tuple(batch_input_shape if batch_input_shape is not None else batch_shape)[1:]
    else:
        return None
    if not shape or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shape):
        raise ConfigError(f"{type_name}: input shape must be positive integers per sample, got {shape}")
    return tuple(int(d) for d in shape)
