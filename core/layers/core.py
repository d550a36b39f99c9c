"""Core layers: InputLayer, Dense, Activation, Dropout, Flatten, Reshape."""

from __future__ import annotations

import math

import numpy as np

from core.formatting import format_shape as _fmt
from core.layers.base import (ActivatedLayer, Layer, WeightSpec, activation_param, initializer_param,
                              regularizer_param)
from core.layers.registry import Param, register


@register
class InputLayer(Layer):
    """The network's input: a batch of samples of a fixed shape. Output: ``(None, *shape)``.

    Images are channels-last ``(height, width, channels)``, sequences ``(time steps, features)``.
    """

    category = "Core"
    params = (Param("shape", "shape", (1,), "shape of one sample, without the batch axis"),)
    min_inputs = max_inputs = 0

    def output_shape(self, input_shapes):
        return tuple(self.config["shape"])

    def forward(self, ctx, inputs, weights):
        return inputs[0], None

    def backward(self, ctx, dout, cache, weights, need_dx):
        return [dout], []


@register
class Dense(ActivatedLayer):
    """Fully connected layer: ``activation(x @ kernel + bias)``. Input ``(None, ..., in)``, output
    ``(None, ..., units)``; applied to the last axis, as in Keras.

    The kernel has shape ``(in, units)``. With ``softmax`` it is the usual classifier head.
    """

    params = (
        Param("units", "int", 1, "number of output neurons", min=1, max=1_000_000),
        activation_param(),
        Param("use_bias", "bool", True, "whether to add a bias vector"),
        initializer_param("kernel_initializer", "glorot_uniform", "the weight matrix"),
        initializer_param("bias_initializer", "zeros", "the bias"),
        regularizer_param("kernel_regularizer"),
        regularizer_param("bias_regularizer"),
    )

    def output_shape(self, input_shapes):
        (shape,) = input_shapes
        if len(shape) > 2:
            raise self.shape_error(
                f"Dense expects a flat input (None, features) but gets {_fmt(shape)}: add a Flatten layer before it")
        return shape[:-1] + (self.config["units"],)

    def weight_specs(self, input_shapes):
        cfg = self.config
        specs = [WeightSpec("kernel", (input_shapes[0][-1], cfg["units"]), cfg["kernel_initializer"],
                            regularizer=cfg["kernel_regularizer"])]
        if cfg["use_bias"]:
            specs.append(WeightSpec("bias", (cfg["units"],), cfg["bias_initializer"], regularizer=cfg["bias_regularizer"]))
        return specs

    def forward_linear(self, ctx, inputs, weights):
        x = inputs[0]
        b = weights[1] if self.config["use_bias"] else None
        x2 = x.reshape(-1, x.shape[-1])
        z = ctx.k.dense_forward(x2, weights[0], b)
        return z.reshape(x.shape[:-1] + (z.shape[-1],)), x2

    def backward_linear(self, ctx, dz, x2, weights, need_dx):
        dx, dw, db = ctx.k.dense_backward(x2, weights[0], dz.reshape(-1, dz.shape[-1]), need_dx)
        if dx is not None:
            dx = dx.reshape(dz.shape[:-1] + (dx.shape[-1],))
        return [dx], ([dw, db] if self.config["use_bias"] else [dw])

    @classmethod
    def examples(cls):
        acts = ("linear", "sigmoid", "tanh", "relu", "softmax", "leaky_relu", "elu", "gelu", "softplus",
                "hard_sigmoid", "hard_sigmoid_tf2")
        return [({"units": 3, "activation": a}, [(4,)]) for a in acts] + [({"units": 2, "use_bias": False}, [(5,)]),
                                                                            ({"units": 2}, [(3, 4)])]


@register
class Activation(ActivatedLayer):
    """Applies an activation function element-wise (softmax: over the last axis). Output shape = input shape."""

    params = (activation_param("linear"),)

    def output_shape(self, input_shapes):
        return input_shapes[0]

    def forward_linear(self, ctx, inputs, weights):
        return inputs[0], None

    def backward_linear(self, ctx, dz, cache, weights, need_dx):
        return [dz], []

    @classmethod
    def examples(cls):
        return [({"activation": a}, [(3, 4)]) for a in ("relu", "tanh", "softmax", "sigmoid", "gelu")]


@register
class Dropout(Layer):
    """During training, sets a random fraction ``rate`` of the inputs to 0 and scales the rest by
    ``1 / (1 - rate)``; at inference it passes its input through. Output shape = input shape.
    """

    category = "Regularization"
    params = (
        Param("rate", "float", 0.5, "fraction of the inputs to drop", min=0.0, max=1.0, max_open=True),
        Param("seed", "int", None, "random seed of this layer (None: derived from the model's seed)",
              min=0, nullable=True),
    )

    def output_shape(self, input_shapes):
        return input_shapes[0]

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        rate = self.config["rate"]
        if not ctx.training or rate == 0.0:
            return x, None
        mask = (ctx.rng.random(x.shape, dtype=np.float32) >= rate).astype(x.dtype) / x.dtype.type(1.0 - rate)
        mask = ctx.k.to_device(mask)
        return ctx.k.mul(x, mask), mask

    def backward(self, ctx, dout, mask, weights, need_dx):
        return [dout if mask is None else ctx.k.mul(dout, mask)], []

    @classmethod
    def examples(cls):
        return [({"rate": 0.5}, [(6,)]), ({"rate": 0.2}, [(2, 3)])]


@register
class Flatten(Layer):
    """Flattens each sample into a vector, in row-major (channels-last) order. ``(None, H, W, C)`` →
    ``(None, H·W·C)``."""

    category = "Reshaping"
    params = ()

    def output_shape(self, input_shapes):
        return (math.prod(input_shapes[0]),)  # Python integers: a product past 2**63 does not wrap

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        return x.reshape(x.shape[0], -1), x.shape

    def backward(self, ctx, dout, shape, weights, need_dx):
        return [dout.reshape(shape)], []

    @classmethod
    def examples(cls):
        return [({}, [(2, 3, 2)])]


@register
class Reshape(Layer):
    """Gives each sample a new shape with the same number of values (one dimension may be -1).
    ``(None, *in)`` → ``(None, *target_shape)``."""

    category = "Reshaping"
    params = (Param("target_shape", "shape", (1,), "new shape of one sample, without the batch axis"),)

    def output_shape(self, input_shapes):
        size = math.prod(input_shapes[0])
        target = list(self.config["target_shape"])
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if size % known:
                raise self.shape_error(f"cannot reshape {size} values per sample into {tuple(target)}: "
                                       f"{size} is not a multiple of {known}")
            target[target.index(-1)] = size // known
        elif known != size:
            raise self.shape_error(f"cannot reshape {_fmt(input_shapes[0])} ({size} values) into "
                                   f"{tuple(target)} ({known} values): choose a target_shape with {size} values")
        return tuple(target)

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        return x.reshape((x.shape[0],) + tuple(self.config["target_shape"])), x.shape

    def backward(self, ctx, dout, shape, weights, need_dx):
        return [dout.reshape(shape)], []

    @classmethod
    def examples(cls):
        return [({"target_shape": (3, 2)}, [(6,)]), ({"target_shape": (-1, 2)}, [(2, 2)])]
