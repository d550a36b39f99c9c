"""Pooling and upsampling layers: MaxPooling1D/2D, AveragePooling1D/2D, the global poolings, UpSampling2D."""

from __future__ import annotations

import math

from core.layers.base import Layer
from core.layers.conv import check_spatial, check_window_fits, conv_length
from core.layers.registry import Param, register


def pool_params(rank: int) -> tuple[Param, ...]:
    """Keras's pooling parameters: ``pool_size``, ``strides`` (None: the pool size), ``padding``."""
    return (
        Param("pool_size", "ints", 2, "size of the pooling window", min=1, max=1000, length=rank),
        Param("strides", "ints", None, "step between windows (None: the pool size)", min=1, max=1000,
              length=rank, nullable=True),
        Param("padding", "choice", "valid", "'valid': no padding; 'same': pad so that the output has "
              "ceil(input / strides) positions", choices=("valid", "same")),
    )


class _Pool(Layer):
    """Shared shapes of the windowed poolings; 1-D ones run the 2-D kernels on a height-1 image."""

    category = "Pooling"
    rank = 2

    def _strides(self) -> tuple[int, ...]:
        return self.config["strides"] or self.config["pool_size"]

    def output_shape(self, input_shapes):
        (shape,) = input_shapes
        check_spatial(self, shape, self.rank)
        cfg = self.config
        check_window_fits(self, shape, cfg["pool_size"], (1,) * self.rank, cfg["padding"],
                          "the pool window", "a smaller pool_size")
        return tuple(conv_length(n, k, s, 1, cfg["padding"])
                     for n, k, s in zip(shape[:-1], cfg["pool_size"], self._strides())) + (shape[-1],)

    def _as_2d(self, x):
        """``(x as N, H, W, C, pool, strides)``: 1-D data becomes one row of pixels."""
        if self.rank == 2:
            return x, self.config["pool_size"], self._strides()
        return x.reshape((x.shape[0], 1) + tuple(x.shape[1:])), (1,) + self.config["pool_size"], \
            (1,) + self._strides()

    def _from_2d(self, y):
        return y if self.rank == 2 else y.reshape((y.shape[0],) + tuple(y.shape[2:]))


class _MaxPool(_Pool):
    def forward(self, ctx, inputs, weights):
        x, pool, strides = self._as_2d(inputs[0])
        y, index = ctx.k.max_pool2d_forward(x, pool, strides, self.config["padding"])
        return self._from_2d(y), (index, x.shape)

    def backward(self, ctx, dout, cache, weights, need_dx):
        index, shape = cache
        dy = self._as_2d(dout)[0]
        return [self._from_2d(ctx.k.max_pool2d_backward(dy, index, shape))], []


class _AvgPool(_Pool):
    def forward(self, ctx, inputs, weights):
        x, pool, strides = self._as_2d(inputs[0])
        return self._from_2d(ctx.k.avg_pool2d_forward(x, pool, strides, self.config["padding"])), x.shape

    def backward(self, ctx, dout, shape, weights, need_dx):
        dy, pool, strides = self._as_2d(dout)
        return [self._from_2d(ctx.k.avg_pool2d_backward(dy, shape, pool, strides, self.config["padding"]))], []


_EXAMPLES_2D = [
    ({}, [(4, 4, 2)]),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, [(5, 6, 2)]),
    ({"pool_size": (2, 3), "strides": 1}, [(4, 5, 1)]),
    ({"pool_size": 2, "padding": "same"}, [(5, 3, 2)]),
]
_EXAMPLES_1D = [
    ({}, [(6, 2)]),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, [(6, 2)]),
    ({"pool_size": 3, "strides": 1}, [(5, 3)]),
]


@register
class MaxPooling2D(_MaxPool):
    """Keeps the largest value of each ``pool_size`` window, per channel. Input ``(None, height, width,
    channels)``, output ``(None, height / strides, width / strides, channels)`` (rounded as the padding says).

    ``strides`` defaults to ``pool_size`` (non-overlapping windows), as in Keras.
    """

    params = pool_params(2)

    @classmethod
    def examples(cls):
        return _EXAMPLES_2D


@register
class MaxPooling1D(_MaxPool):
    """Keeps the largest value of each ``pool_size`` window of time steps, per channel. Input ``(None, steps,
    channels)``, output ``(None, steps / strides, channels)``."""

    params = pool_params(1)
    rank = 1

    @classmethod
    def examples(cls):
        return _EXAMPLES_1D


@register
class AveragePooling2D(_AvgPool):
    """Averages each ``pool_size`` window, per channel. Input ``(None, height, width, channels)``, output
    ``(None, height / strides, width / strides, channels)``.

    With ``padding='same'``, border windows average only their real (unpadded) cells, as in Keras.
    """

    params = pool_params(2)

    @classmethod
    def examples(cls):
        return _EXAMPLES_2D


@register
class AveragePooling1D(_AvgPool):
    """Averages each ``pool_size`` window of time steps, per channel. Input ``(None, steps, channels)``, output
    ``(None, steps / strides, channels)``."""

    params = pool_params(1)
    rank = 1

    @classmethod
    def examples(cls):
        return _EXAMPLES_1D


class _GlobalPool(Layer):
    """Reduces every spatial axis, keeping the channels; ``keepdims`` keeps the reduced axes with size 1."""

    category = "Pooling"
    rank = 2
    params = (Param("keepdims", "bool", False, "keep the reduced axes (size 1) instead of dropping them"),)

    def output_shape(self, input_shapes):
        (shape,) = input_shapes
        check_spatial(self, shape, self.rank)
        return ((1,) * self.rank if self.config["keepdims"] else ()) + (shape[-1],)

    def _shape_out(self, y, x_shape):
        return y.reshape((x_shape[0],) + (1,) * self.rank + (x_shape[-1],)) if self.config["keepdims"] else y


class _GlobalMax(_GlobalPool):
    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        x3 = x.reshape(x.shape[0], -1, x.shape[-1])
        y, index = ctx.k.global_max_pool_forward(x3)
        return self._shape_out(y, x.shape), (index, x.shape)

    def backward(self, ctx, dout, cache, weights, need_dx):
        index, shape = cache
        dx = ctx.k.global_max_pool_backward(dout.reshape(shape[0], shape[-1]), index, math.prod(shape[1:-1]))
        return [dx.reshape(shape)], []


class _GlobalAvg(_GlobalPool):
    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        y = ctx.k.global_avg_pool_forward(x.reshape(x.shape[0], -1, x.shape[-1]))
        return self._shape_out(y, x.shape), x.shape

    def backward(self, ctx, dout, shape, weights, need_dx):
        dx = ctx.k.global_avg_pool_backward(dout.reshape(shape[0], shape[-1]), math.prod(shape[1:-1]))
        return [dx.reshape(shape)], []


@register
class GlobalMaxPooling2D(_GlobalMax):
    """Keeps the largest value of each channel over the whole image. Input ``(None, height, width, channels)``,
    output ``(None, channels)``."""

    @classmethod
    def examples(cls):
        return [({}, [(3, 4, 2)]), ({"keepdims": True}, [(2, 2, 3)])]


@register
class GlobalMaxPooling1D(_GlobalMax):
    """Keeps the largest value of each channel over all time steps. Input ``(None, steps, channels)``, output
    ``(None, channels)``."""

    rank = 1

    @classmethod
    def examples(cls):
        return [({}, [(5, 3)]), ({"keepdims": True}, [(4, 2)])]


@register
class GlobalAveragePooling2D(_GlobalAvg):
    """Averages each channel over the whole image. Input ``(None, height, width, channels)``, output
    ``(None, channels)``."""

    @classmethod
    def examples(cls):
        return [({}, [(3, 4, 2)]), ({"keepdims": True}, [(2, 2, 3)])]


@register
class GlobalAveragePooling1D(_GlobalAvg):
    """Averages each channel over all time steps. Input ``(None, steps, channels)``, output ``(None,
    channels)``."""

    rank = 1

    @classmethod
    def examples(cls):
        return [({}, [(5, 3)]), ({"keepdims": True}, [(4, 2)])]


@register
class UpSampling2D(Layer):
    """Enlarges an image by repeating (``nearest``) or linearly interpolating (``bilinear``) its pixels.
    Input ``(None, height, width, channels)``, output ``(None, height·size[0], width·size[1], channels)``."""

    category = "Reshaping"
    params = (
        Param("size", "ints", 2, "upsampling factors for rows and columns", min=1, max=1000, length=2),
        Param("interpolation", "choice", "nearest", "how new pixels are computed",
              choices=("nearest", "bilinear")),
    )

    def output_shape(self, input_shapes):
        (shape,) = input_shapes
        check_spatial(self, shape, 2)
        return (shape[0] * self.config["size"][0], shape[1] * self.config["size"][1], shape[2])

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        return ctx.k.upsample2d_forward(x, tuple(self.config["size"]), self.config["interpolation"]), x.shape

    def backward(self, ctx, dout, shape, weights, need_dx):
        return [ctx.k.upsample2d_backward(dout, tuple(shape), tuple(self.config["size"]),
                                          self.config["interpolation"])], []

    @classmethod
    def examples(cls):
        return [({}, [(2, 3, 2)]), ({"size": (3, 2)}, [(2, 2, 1)]),
                ({"interpolation": "bilinear"}, [(3, 2, 2)]), ({"size": (3, 2), "interpolation": "bilinear"},
                                                              [(2, 3, 1)])]
