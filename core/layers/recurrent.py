"""Recurrent layers: SimpleRNN, GRU, LSTM and ConvLSTM2D, trained by back-propagation through time.

Configs, defaults, weight layouts and formulas are Keras's (gates concatenated on the last axis: LSTM i, f, c, o;
GRU z, r, h). The state starts at zero for every batch. The whole sequence loop lives in the kernels
(``ctx.k.<cell>_forward`` / ``_backward``), so the fast backend can batch the input projection (or, for
ConvLSTM2D, the input convolution) of all steps into one call, and the layers do no NumPy work on tensors.
"""

from __future__ import annotations

import math

from core import activations
from core.formatting import format_shape as _fmt
from core.initializers import UNIT_FORGET_BIAS as UNIT_FORGET_BIAS_INIT
from core.layers.base import Layer, Shape, WeightSpec, initializer_param, regularizer_param
from core.layers.registry import Param, register

_CELL_ACTIVATIONS = (None,) + tuple(a for a in activations.ACTIVATIONS if a != "softmax")


def _activation(name: str, default: str, what: str) -> Param:
    return Param(name, "choice", default, f"function applied to {what} (softmax is not available in a cell)",
                 choices=_CELL_ACTIVATIONS, nullable=True)


UNITS = Param("units", "int", 1, "size of the hidden state (the output's last axis)", min=1, max=100_000)
ACTIVATION = _activation("activation", "tanh", "the candidate state and the output")
RECURRENT_ACTIVATION = _activation("recurrent_activation", "sigmoid", "the gates")
USE_BIAS = Param("use_bias", "bool", True, "whether the cell adds a bias vector")
KERNEL_INIT = initializer_param("kernel_initializer", "glorot_uniform", "the input weights")
RECURRENT_INIT = initializer_param("recurrent_initializer", "orthogonal", "the recurrent weights")
BIAS_INIT = initializer_param("bias_initializer", "zeros", "the bias")
UNIT_FORGET_BIAS = Param("unit_forget_bias", "bool", True,
                         "start the forget gate's bias at 1 (the rest from bias_initializer), as Keras does")
RETURN_SEQUENCES = Param("return_sequences", "bool", False,
                         "output the state at every time step (for stacking recurrent layers) instead of the last")
REGULARIZERS = (regularizer_param("kernel_regularizer"), regularizer_param("recurrent_regularizer"),
                regularizer_param("bias_regularizer"))


def _bias_initializer(cfg: dict) -> str:
    """The bias initialiser, with Keras's forget-gate ones for LSTM-style layers that ask for them."""
    if cfg.get("unit_forget_bias"):
        return UNIT_FORGET_BIAS_INIT + cfg["bias_initializer"]
    return cfg["bias_initializer"]


GO_BACKWARDS = Param("go_backwards", "bool", False,
                     "read the sequence from the end; a returned sequence stays in that reversed order")


class _Recurrent(Layer):
    """What SimpleRNN, GRU and LSTM share: (None, T, F) in, (None, units) or (None, T, units) out."""

    category = "Recurrent"
    gates = 1

    def output_shape(self, input_shapes):
        shape = input_shapes[0]
        name = self.type_name
        if len(shape) == 1:
            raise self.shape_error(
                f"{name} expects sequences (None, time steps, features) but gets {_fmt(shape)}: add a Reshape "
                f"to (steps, features) before it, or use Dense")
        if len(shape) != 2:
            hint = f" (e.g. Reshape(({shape[0]}, {math.prod(shape[1:])})))" if len(shape) > 2 else ""
            raise self.shape_error(
                f"{name} expects sequences (None, time steps, features) but gets {_fmt(shape)}: add a Reshape "
                f"to (steps, features) before it{hint}, or use ConvLSTM2D for sequences of images")
        units = self.config["units"]
        return (shape[0], units) if self.config["return_sequences"] else (units,)

    def bias_shape(self) -> Shape:
        return (self.gates * self.config["units"],)

    def weight_specs(self, input_shapes):
        cfg = self.config
        units, n = cfg["units"], self.gates * cfg["units"]
        specs = [WeightSpec("kernel", (input_shapes[0][-1], n), cfg["kernel_initializer"],
                            regularizer=cfg["kernel_regularizer"]),
                 WeightSpec("recurrent_kernel", (units, n), cfg["recurrent_initializer"],
                            regularizer=cfg["recurrent_regularizer"])]
        if cfg["use_bias"]:
            specs.append(WeightSpec("bias", self.bias_shape(), _bias_initializer(cfg),
                                    regularizer=cfg["bias_regularizer"]))
        return specs

    def _codes(self) -> tuple[int, ...]:
        names = [self.config["activation"]]
        if "recurrent_activation" in self.config:
            names.append(self.config["recurrent_activation"])
        return tuple(activations.code(n) for n in names)

    def _kernel_args(self) -> tuple:
        """The cell-specific arguments between the weights and (go_backwards, return_sequences)."""
        return self._codes()

    def forward(self, ctx, inputs, weights):
        bias = weights[2] if self.config["use_bias"] else None
        run = getattr(ctx.k, self.kernel_name + "_forward")
        return run(inputs[0], weights[0], weights[1], bias, *self._kernel_args(), self.config["go_backwards"],
                   self.config["return_sequences"])

    def backward(self, ctx, dout, cache, weights, need_dx):
        run = getattr(ctx.k, self.kernel_name + "_backward")
        dx, dk, dr, db = run(dout, cache, weights[0], weights[1], need_dx)
        return [dx], ([dk, dr, db] if self.config["use_bias"] else [dk, dr])


@register
class SimpleRNN(_Recurrent):
    """Fully connected recurrent layer: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.
    Input ``(None, time steps, features)``; output ``(None, units)`` (last state) or ``(None, time steps, units)``
    with ``return_sequences``.

    Weights: kernel ``(features, units)``, recurrent_kernel ``(units, units)``, bias ``(units,)``.
    """

    kernel_name = "simple_rnn"
    params = (UNITS, ACTIVATION, USE_BIAS, KERNEL_INIT, RECURRENT_INIT, BIAS_INIT, *REGULARIZERS, RETURN_SEQUENCES,
              GO_BACKWARDS)

    @classmethod
    def examples(cls):
        return [({"units": 3}, [(4, 2)]),
                ({"units": 2, "return_sequences": True, "go_backwards": True, "activation": "sigmoid"}, [(3, 3)]),
                ({"units": 3, "use_bias": False, "return_sequences": True}, [(3, 2)])]


@register
class LSTM(_Recurrent):
    """Long short-term memory layer: input, forget and output gates control a cell state that carries information
    across many time steps. Input ``(None, time steps, features)``; output ``(None, units)`` (last state) or
    ``(None, time steps, units)`` with ``return_sequences``.

    Per step, ``z = x_t @ kernel + h @ recurrent_kernel + bias`` is split into gates i, f, c, o:
    ``c = σ(f)·c + σ(i)·tanh(c̃)``, ``h = σ(o)·tanh(c)`` (σ = recurrent_activation, tanh = activation).
    Weights: kernel ``(features, 4·units)``, recurrent_kernel ``(units, 4·units)``, bias ``(4·units,)``.
    With ``unit_forget_bias`` (Keras's default) the forget gate's bias starts at 1.
    """

    kernel_name = "lstm"
    gates = 4
    params = (UNITS, ACTIVATION, RECURRENT_ACTIVATION, USE_BIAS, KERNEL_INIT, RECURRENT_INIT, BIAS_INIT,
              UNIT_FORGET_BIAS, *REGULARIZERS, RETURN_SEQUENCES, GO_BACKWARDS)

    @classmethod
    def examples(cls):
        return [({"units": 3}, [(4, 2)]),
                ({"units": 2, "return_sequences": True, "go_backwards": True}, [(3, 3)]),
                ({"units": 2, "use_bias": False, "activation": "relu", "recurrent_activation": "hard_sigmoid"},
                 [(3, 2)])]


@register
class GRU(_Recurrent):
    """Gated recurrent unit layer: update and reset gates decide how much of the state to keep; lighter than LSTM.
    Input ``(None, time steps, features)``; output ``(None, units)`` (last state) or ``(None, time steps, units)``
    with ``return_sequences``.

    Gates z, r, h on the last axis: ``z = σ(x·Kz + h·Rz)``, ``r = σ(x·Kr + h·Rr)``,
    ``h̃ = tanh(x·Kh + r·(h·Rh))`` (``reset_after``, Keras's default; otherwise ``tanh(x·Kh + (r·h)·Rh)``),
    ``h = z·h_prev + (1 − z)·h̃``. Weights: kernel ``(features, 3·units)``, recurrent_kernel
    ``(units, 3·units)``, bias ``(2, 3·units)`` (input and recurrent bias) with ``reset_after``, else ``(3·units,)``.
    """

    kernel_name = "gru"
    gates = 3
    params = (UNITS, ACTIVATION, RECURRENT_ACTIVATION, USE_BIAS, KERNEL_INIT, RECURRENT_INIT, BIAS_INIT,
              *REGULARIZERS, RETURN_SEQUENCES, GO_BACKWARDS,
              Param("reset_after", "bool", True, "apply the reset gate after the recurrent product (Keras's "
                                                 "default, as cuDNN does) instead of before"))

    def bias_shape(self):
        n = 3 * self.config["units"]
        return (2, n) if self.config["reset_after"] else (n,)

    def _kernel_args(self):
        return self._codes() + (self.config["reset_after"],)

    @classmethod
    def examples(cls):
        return [({"units": 3}, [(4, 2)]),
                ({"units": 2, "reset_after": False}, [(4, 3)]),
                ({"units": 3, "return_sequences": True, "go_backwards": True}, [(3, 2)]),
                ({"units": 2, "return_sequences": True, "reset_after": False, "go_backwards": True}, [(3, 2)]),
                ({"units": 2, "use_bias": False}, [(3, 2)]),
                ({"units": 2, "use_bias": False, "reset_after": False}, [(3, 2)])]


@register
class ConvLSTM2D(Layer):
    """LSTM whose input and recurrent transformations are 2-D convolutions: it keeps a spatial state, for
    sequences of images (video frames, radar maps). Input ``(None, time steps, height, width, channels)``; output
    ``(None, height', width', filters)`` (last state) or ``(None, time steps, height', width', filters)`` with
    ``return_sequences``.

    Gates i, f, c, o as in LSTM, with ``z = conv(x_t, kernel) + conv(h, recurrent_kernel) + bias``; the input
    convolution uses the layer's strides, padding and dilation, the recurrent one stride 1 and ``same``. Weights:
    kernel ``(kh, kw, channels, 4·filters)``, recurrent_kernel ``(kh, kw, filters, 4·filters)``, bias
    ``(4·filters,)``.
    """

    category = "Recurrent"
    params = (
        Param("filters", "int", 1, "number of state channels (feature maps)", min=1, max=100_000),
        Param("kernel_size", "ints", 3, "size of the convolution window", min=1, max=1000, length=2),
        Param("strides", "ints", 1, "step between windows of the input convolution", min=1, max=1000, length=2),
        Param("padding", "choice", "valid", "padding of the input convolution ('same' keeps ceil(size / strides))",
              choices=("valid", "same")),
        Param("dilation_rate", "ints", 1, "spacing between kernel taps of the input convolution", min=1, max=1000,
              length=2),
        ACTIVATION, RECURRENT_ACTIVATION, USE_BIAS, KERNEL_INIT, RECURRENT_INIT, BIAS_INIT, UNIT_FORGET_BIAS,
        *REGULARIZERS, RETURN_SEQUENCES, GO_BACKWARDS,
    )

    def output_shape(self, input_shapes):
        from core.layers.conv import check_window_fits, conv_length
        shape, cfg = input_shapes[0], self.config
        if len(shape) != 4:
            fix = (f"add a Reshape to (steps, height, width, channels), e.g. (1, {', '.join(map(str, shape))})"
                   if len(shape) == 3 else "add a Reshape to (steps, height, width, channels) before it")
            raise self.shape_error(f"ConvLSTM2D expects sequences of images (None, time steps, height, width, "
                                   f"channels) but gets {_fmt(shape)}: {fix}")
        if max(cfg["strides"]) > 1 and max(cfg["dilation_rate"]) > 1:
            raise self.shape_error("strides > 1 together with dilation_rate > 1 is not supported (nor by Keras): "
                                   "set one of them to 1")
        check_window_fits(self, shape[1:], cfg["kernel_size"], cfg["dilation_rate"], cfg["padding"], "the kernel",
                          "a smaller kernel_size")
        hw = tuple(conv_length(n, k, s, d, cfg["padding"]) for n, k, s, d in
                   zip(shape[1:3], cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"]))
        out = hw + (cfg["filters"],)
        return (shape[0],) + out if cfg["return_sequences"] else out

    def weight_specs(self, input_shapes):
        cfg = self.config
        kh, kw = cfg["kernel_size"]
        f4 = 4 * cfg["filters"]
        specs = [WeightSpec("kernel", (kh, kw, input_shapes[0][-1], f4), cfg["kernel_initializer"],
                            regularizer=cfg["kernel_regularizer"]),
                 WeightSpec("recurrent_kernel", (kh, kw, cfg["filters"], f4), cfg["recurrent_initializer"],
                            regularizer=cfg["recurrent_regularizer"])]
        if cfg["use_bias"]:
            specs.append(WeightSpec("bias", (f4,), _bias_initializer(cfg), regularizer=cfg["bias_regularizer"]))
        return specs

    def forward(self, ctx, inputs, weights):
        cfg = self.config
        return ctx.k.conv_lstm2d_forward(
            inputs[0], weights[0], weights[1], weights[2] if cfg["use_bias"] else None, cfg["strides"],
            cfg["padding"], cfg["dilation_rate"], activations.code(cfg["activation"]),
            activations.code(cfg["recurrent_activation"]), cfg["go_backwards"], cfg["return_sequences"])

    def backward(self, ctx, dout, cache, weights, need_dx):
        dx, dk, dr, db = ctx.k.conv_lstm2d_backward(dout, cache, weights[0], weights[1], need_dx)
        return [dx], ([dk, dr, db] if self.config["use_bias"] else [dk, dr])

    @classmethod
    def examples(cls):
        return [({"filters": 2, "kernel_size": 2}, [(2, 4, 4, 1)]),
                ({"filters": 2, "kernel_size": 3, "padding": "same", "strides": 2, "return_sequences": True,
                  "go_backwards": True}, [(2, 5, 4, 2)]),
                ({"filters": 1, "kernel_size": (2, 3), "dilation_rate": 2, "use_bias": False}, [(2, 5, 6, 1)])]
