"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose (channels-last, Keras's configs and kernel layouts)."""

from __future__ import annotations

import math

from core.formatting import format_shape
from core.layers.base import (ActivatedLayer, Shape, WeightSpec, activation_param, initializer_param,
                              regularizer_param)
from core.layers.registry import Param, register


def conv_length(length: int, k: int, s: int, d: int, padding: str) -> int:
    """Keras's output length of a convolution or pooling axis (``same`` and ``causal`` give ``ceil(n/s)``)."""
    if padding == "valid":
        return (length - (k - 1) * d - 1) // s + 1
    return -(-length // s)


def transpose_length(length: int, k: int, s: int, d: int, padding: str, output_padding: int | None) -> int:
    """Keras's output length of a transposed convolution axis."""
    k = (k - 1) * d + 1
    if output_padding is None:
        return length * s + max(k - s, 0) if padding == "valid" else length * s
    pad = k // 2 if padding == "same" else 0
    return (length - 1) * s + k - 2 * pad + output_padding


def _rank_hint(shape: Shape, rank: int) -> str:
    """A Reshape target that would give ``shape`` the ``rank`` spatial axes (plus channels) a layer needs."""
    size = math.prod(shape)
    if rank == 2:
        side = math.isqrt(size)
        if len(shape) == 1 and side * side == size:
            return f"add a Reshape to ({side}, {side}, 1) before it"
        if len(shape) == 2:
            return f"add a Reshape to ({shape[0]}, {shape[1]}, 1) before it"
        return f"add a Reshape to (height, width, channels) with {size} values before it"
    if len(shape) == 1:
        return f"add a Reshape to ({size}, 1) before it"
    return f"add a Reshape to ({math.prod(shape[:-1])}, {shape[-1]}) before it, or use a 2-D layer"


def check_spatial(layer, shape: Shape, rank: int) -> None:
    """Raise the layer's ShapeError when ``shape`` is not ``rank`` spatial axes plus channels."""
    if len(shape) != rank + 1:
        expected = "(None, steps, channels)" if rank == 1 else "(None, height, width, channels)"
        noun = "sequences" if rank == 1 else "images"
        raise layer.shape_error(f"{layer.type_name} expects {noun} {expected} but gets {format_shape(shape)}: "
                                + _rank_hint(shape, rank))


def check_window_fits(layer, shape: Shape, window: tuple, dilation: tuple, padding: str, what: str,
                      fix: str) -> None:
    """Raise when a ``valid`` window (kernel or pool) is larger than the input ``shape`` (channels last)."""
    spans = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
    if padding == "valid" and any(span > n for span, n in zip(spans, shape[:-1])):
        raise layer.shape_error(
            f"{what} {'×'.join(map(str, spans))} is larger than the input {format_shape(shape)} with "
            f"padding='valid': use padding='same', {fix}, or a larger input")


def conv_params(rank: int, transpose: bool = False) -> tuple[Param, ...]:
    """The Keras parameters of a ``rank``-D convolution, in Keras's positional order."""
    paddings = ("valid", "same", "causal") if rank == 1 and not transpose else ("valid", "same")
    head = (
        Param("filters", "int", 1, "number of output channels (feature maps)", min=1, max=100_000),
        Param("kernel_size", "ints", 3, "size of the convolution window", min=1, max=1000, length=rank),
        Param("strides", "ints", 1, "step between windows", min=1, max=1000, length=rank),
        Param("padding", "choice", "valid", "'valid': no padding; 'same': pad so that the output has "
              "ceil(input / strides) positions" + ("; 'causal': pad on the left only" if len(paddings) > 2
                                                    else ""), choices=paddings),
    )
    if transpose:
        head += (Param("output_padding", "ints", None, "extra rows/columns added to one side of the output "
                       "(each smaller than the stride)", min=0, max=1000, length=rank, nullable=True),)
    return head + (
        Param("dilation_rate", "ints", 1, "spacing between kernel taps (atrous convolution)", min=1, max=1000,
              length=rank),
        activation_param(),
        Param("use_bias", "bool", True, "whether to add a bias vector"),
        initializer_param("kernel_initializer", "glorot_uniform", "the kernel"),
        initializer_param("bias_initializer", "zeros", "the bias"),
        regularizer_param("kernel_regularizer"),
        regularizer_param("bias_regularizer"),
    )


class _Conv(ActivatedLayer):
    """Shared shape checks, weights and gradients of the convolutions; subclasses set ``rank``."""

    category = "Convolution"
    rank = 2

    def _check_input(self, shape: Shape) -> None:
        cfg = self.config
        check_spatial(self, shape, self.rank)
        if max(cfg["strides"]) > 1 and max(cfg["dilation_rate"]) > 1:
            raise self.shape_error("strides > 1 together with dilation_rate > 1 is not supported (nor by Keras): "
                                   "set one of them to 1")

    def kernel_shape(self, channels: int) -> Shape:
        return tuple(self.config["kernel_size"]) + (channels, self.config["filters"])

    def weight_specs(self, input_shapes):
        cfg = self.config
        specs = [WeightSpec("kernel", self.kernel_shape(input_shapes[0][-1]), cfg["kernel_initializer"],
                            regularizer=cfg["kernel_regularizer"])]
        if cfg["use_bias"]:
            specs.append(WeightSpec("bias", (cfg["filters"],), cfg["bias_initializer"],
                                    regularizer=cfg["bias_regularizer"]))
        return specs

    def _grads(self, dx, dw, db):
        return [dx], ([dw, db] if self.config["use_bias"] else [dw])


@register
class Conv2D(_Conv):
    """2-D convolution: slides ``filters`` learned kernels over an image. Input ``(None, height, width,
    channels)``, output ``(None, new_height, new_width, filters)``.

    The kernel has Keras's HWIO layout ``(kernel_h, kernel_w, in_channels, filters)``. With ``padding='same'``
    and stride 1 the output keeps the input's height and width; with ``'valid'`` it shrinks by
    ``(kernel_size - 1) · dilation_rate``.
    """

    params = conv_params(2)

    def output_shape(self, input_shapes):
        (shape,) = input_shapes
        self._check_input(shape)
        cfg = self.config
        check_window_fits(self, shape, cfg["kernel_size"], cfg["dilation_rate"], cfg["padding"],
                          "the kernel window", "a smaller kernel_size or dilation_rate")
        hw = tuple(conv_length(n, k, s, d, cfg["padding"])
                   for n, k, s, d in zip(shape[:2], cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"]))
        return hw + (cfg["filters"],)

    def forward_linear(self, ctx, inputs, weights):
        cfg, x = self.config, inputs[0]
        b = weights[1] if cfg["use_bias"] else None
        return ctx.k.conv2d_forward_keep(x, weights[0], b, cfg["strides"], cfg["padding"], cfg["dilation_rate"])

    def backward_linear(self, ctx, dz, kept, weights, need_dx):
        cfg = self.config
        return self._grads(*ctx.k.conv2d_backward_kept(kept, weights[0], dz, cfg["strides"], cfg["padding"],
                                                  cfg["dilation_rate"], need_dx))

    @classmethod
    def examples(cls):
        return [
            ({"filters": 2, "kernel_size": 3}, [(5, 5, 2)]),
            ({"filters": 3, "kernel_size": (3, 2), "strides": 2, "padding": "same", "activation": "tanh"},
             [(6, 5, 2)]),
            ({"filters": 2, "kernel_size": 2, "strides": (2, 1), "use_bias": False}, [(5, 4, 3)]),
            ({"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, [(6, 6, 1)]),
            ({"filters": 3, "kernel_size": 2, "padding": "same", "activation": "softmax"}, [(4, 4, 2)]),
            ({"filters": 2, "kernel_size": 1, "activation": "relu"}, [(3, 3, 2)]),
            ({"filters": 2, "kernel_size": (2, 3), "dilation_rate": (2, 1)}, [(5, 5, 2)]),
            ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, [(5, 4, 5)]),
            ({"filters": 2, "kernel_size": (2, 3), "dilation_rate": (1, 2), "use_bias": False}, [(3, 5, 4)]),
        ]


@register
class Conv1D(_Conv):
    """1-D convolution over time steps: slides ``filters`` learned kernels along a sequence. Input
    ``(None, steps, channels)``, output ``(None, new_steps, filters)``.

    The kernel has shape ``(kernel_size, in_channels, filters)``. ``padding='causal'`` pads on the left only,
    so that output step t sees input steps up to t (for forecasting and WaveNet-style stacks).
    """

    params = conv_params(1)
    rank = 1

    def output_shape(self, input_shapes):
        (shape,) = input_shapes
        self._check_input(shape)
        cfg = self.config
        check_window_fits(self, shape, cfg["kernel_size"], cfg["dilation_rate"], cfg["padding"],
                          "the kernel window", "a smaller kernel_size or dilation_rate")
        return (conv_length(shape[0], cfg["kernel_size"][0], cfg["strides"][0], cfg["dilation_rate"][0],
                            cfg["padding"]), cfg["filters"])

    def forward_linear(self, ctx, inputs, weights):
        cfg, x = self.config, inputs[0]
        b = weights[1] if cfg["use_bias"] else None
        return ctx.k.conv1d_forward_keep(x, weights[0], b, cfg["strides"][0], cfg["padding"], cfg["dilation_rate"][0])

    def backward_linear(self, ctx, dz, kept, weights, need_dx):
        cfg = self.config
        return self._grads(*ctx.k.conv1d_backward_kept(kept, weights[0], dz, cfg["strides"][0], cfg["padding"],
                                                  cfg["dilation_rate"][0], need_dx))

    @classmethod
    def examples(cls):
        return [
            ({"filters": 2, "kernel_size": 3}, [(6, 2)]),
            ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"}, [(7, 2)]),
            ({"filters": 2, "kernel_size": 2, "padding": "causal", "dilation_rate": 2, "use_bias": False},
             [(6, 3)]),
            ({"filters": 2, "kernel_size": 4, "padding": "same"}, [(5, 1)]),
            ({"filters": 2, "kernel_size": 3, "padding": "causal", "strides": 2}, [(7, 4)]),
        ]


@register
class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution ("deconvolution"): the input gradient of a Conv2D, used to upsample in
    decoders and autoencoders. Input ``(None, height, width, channels)``, output ``(None, height·strides
    [+ kernel overhang with 'valid'], width·strides [...], filters)``.

    The kernel has Keras's layout ``(kernel_h, kernel_w, filters, in_channels)``. With ``padding='same'`` the
    output is exactly ``strides`` times the input.
    """

    params = conv_params(2, transpose=True)

    def kernel_shape(self, channels: int) -> Shape:
        return tuple(self.config["kernel_size"]) + (self.config["filters"], channels)

    def output_shape(self, input_shapes):
        (shape,) = input_shapes
        self._check_input(shape)
        cfg = self.config
        pads = cfg["output_padding"] or (None, None)
        if cfg["output_padding"] and any(p >= s for p, s in zip(pads, cfg["strides"])):
            raise self.shape_error(f"output_padding {cfg['output_padding']} must be smaller than the strides "
                                   f"{cfg['strides']} on each axis: lower output_padding or raise strides")
        axes = list(zip(shape[:2], cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"], pads))
        hw = tuple(transpose_length(n, k, s, d, cfg["padding"], p) for n, k, s, d, p in axes)
        if any(conv_length(m, k, s, d, cfg["padding"]) != n for m, (n, k, s, d, _) in zip(hw, axes)):
            raise self.shape_error(f"output_padding {cfg['output_padding']} with kernel_size {cfg['kernel_size']} "
                                   f"gives an output {hw} that a Conv2D with the same settings would not map back "
                                   f"to {shape[:2]}: change output_padding (or leave it None)")
        return hw + (cfg["filters"],)

    def forward_linear(self, ctx, inputs, weights):
        cfg, x = self.config, inputs[0]
        b = weights[1] if cfg["use_bias"] else None
        out_hw = self.output_shape([x.shape[1:]])[:2]
        z = ctx.k.conv2d_transpose_forward(x, weights[0], b, cfg["strides"], cfg["padding"], cfg["dilation_rate"],
                                           out_hw)
        return z, x

    def backward_linear(self, ctx, dz, x, weights, need_dx):
        cfg = self.config
        return self._grads(*ctx.k.conv2d_transpose_backward(x, weights[0], dz, cfg["strides"], cfg["padding"],
                                                            cfg["dilation_rate"], need_dx))

    @classmethod
    def examples(cls):
        return [
            ({"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, [(3, 3, 2)]),
            ({"filters": 3, "kernel_size": 3, "activation": "relu"}, [(3, 4, 2)]),
            ({"filters": 2, "kernel_size": 2, "strides": 3, "use_bias": False}, [(2, 3, 3)]),
            ({"filters": 2, "kernel_size": (3, 4), "strides": 2, "padding": "same", "output_padding": 1},
             [(3, 3, 1)]),
            ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": (1, 0)}, [(2, 3, 2)]),
            ({"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same"}, [(3, 3, 2)]),
            ({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, [(2, 3, 5)]),
        ]
