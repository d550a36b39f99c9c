"""Regularisation layers that add noise in training and pass their input through at inference:
SpatialDropout2D, GaussianNoise, GaussianDropout. (Dropout lives with the core layers.)

Every one multiplies or shifts its input by a random tensor drawn from the context's generator, keeps that
tensor for the backward pass, and is the identity when ``ctx.training`` is false.
"""

from __future__ import annotations

import math

import numpy as np

from core.formatting import format_shape
from core.layers.base import Layer
from core.layers.registry import Param, register


def _seed_param() -> Param:
    return Param("seed", "int", None, "random seed of this layer (None: derived from the model's seed)",
                 min=0, nullable=True)


def _rate_param(help_text: str) -> Param:
    return Param("rate", "float", 0.5, help_text, min=0.0, max=1.0, max_open=True)


class _NoiseLayer(Layer):
    """Shared shape and backward of the multiplicative noise layers: ``y = x * mask``."""

    category = "Regularization"

    def output_shape(self, input_shapes):
        return input_shapes[0]

    def backward(self, ctx, dout, mask, weights, need_dx):
        return [dout if mask is None else ctx.k.mul(dout, mask)], []


@register
class SpatialDropout2D(_NoiseLayer):
    """Dropout of whole feature maps: during training each channel of each sample is set to 0 with probability
    ``rate`` (the rest scaled by ``1 / (1 - rate)``); at inference the input passes through. Input and output
    ``(None, H, W, C)``.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels (Dropout) barely
    regularises a convolutional network; dropping the whole map does.
    """

    params = (_rate_param("fraction of the channels to drop"), _seed_param())

    def output_shape(self, input_shapes):
        shape = input_shapes[0]
        if len(shape) != 3:
            raise self.shape_error(
                f"expects images (None, height, width, channels) but gets {format_shape(shape)}: use Dropout "
                "for other inputs, or put SpatialDropout2D after a Conv2D layer")
        return shape

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        rate = self.config["rate"]
        if not ctx.training or rate == 0.0:
            return x, None
        keep = ctx.rng.random((x.shape[0], 1, 1, x.shape[-1]), dtype=np.float32) >= rate
        mask = ctx.k.to_device(keep.astype(x.dtype) / x.dtype.type(1.0 - rate))
        return ctx.k.mul(x, mask), mask

    @classmethod
    def examples(cls):
        return [({"rate": 0.5}, [(2, 2, 4)]), ({"rate": 0.3}, [(3, 1, 2)])]


@register
class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` during training; at inference the input
    passes through. Output shape = input shape.

    A simple data augmentation for real-valued inputs, and a regulariser that makes the network robust to small
    changes of its input.
    """

    category = "Regularization"
    params = (Param("stddev", "float", 0.1, "standard deviation of the added noise", min=0.0), _seed_param())

    def output_shape(self, input_shapes):
        return input_shapes[0]

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        stddev = self.config["stddev"]
        if not ctx.training or stddev == 0.0:
            return x, None
        noise = ctx.rng.standard_normal(x.shape, dtype=np.float32).astype(x.dtype) * x.dtype.type(stddev)
        return ctx.k.add(x, ctx.k.to_device(noise)), None

    def backward(self, ctx, dout, cache, weights, need_dx):
        return [dout], []

    @classmethod
    def examples(cls):
        return [({"stddev": 0.5}, [(4,)]), ({"stddev": 0.1}, [(2, 2, 3)])]


@register
class GaussianDropout(_NoiseLayer):
    """Multiplies the input by Gaussian noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))``
    during training; at inference the input passes through. Output shape = input shape.

    The noise has the same mean and variance as Dropout's ``1 / (1 - rate)`` scaled mask, without zeroing values.
    """

    params = (_rate_param("drop probability of the equivalent Dropout"), _seed_param())

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        rate = self.config["rate"]
        if not ctx.training or rate == 0.0:
            return x, None
        stddev = math.sqrt(rate / (1.0 - rate))
        noise = ctx.rng.standard_normal(x.shape, dtype=np.float32).astype(x.dtype)
        mask = ctx.k.to_device(noise * x.dtype.type(stddev) + x.dtype.type(1.0))
        return ctx.k.mul(x, mask), mask

    @classmethod
    def examples(cls):
        return [({"rate": 0.5}, [(5,)]), ({"rate": 0.2}, [(2, 3, 2)])]
