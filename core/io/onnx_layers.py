"""Per-layer ONNX converters for :mod:`core.io.onnx_export`.

Each converter gets the builder, the layer, its input tensor names, its weights (Keras layouts) and its per-sample
input and output shapes, adds the nodes that compute the layer at inference, and returns the result tensor.
Tensors stay channels-last between layers; convolutions and poolings transpose around their operator.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from core.layers.conv import conv_length

TO_FIRST = {3: [0, 2, 1], 4: [0, 3, 1, 2]}  # channels-last -> channels-first, by rank with the batch axis
TO_LAST = {3: [0, 2, 1], 4: [0, 2, 3, 1]}
IDENTITY_TYPES = ("Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "RandomFlip",
                  "RandomRotation", "RandomZoom", "RandomTranslation")
RNN_ACTIVATIONS = {"tanh": ("Tanh", None), "sigmoid": ("Sigmoid", None), "relu": ("Relu", None),
                   "linear": ("Affine", (1.0, 0.0)), "hard_sigmoid": ("HardSigmoid", (1.0 / 6.0, 0.5)),
                   "hard_sigmoid_tf2": ("HardSigmoid", (0.2, 0.5)), "leaky_relu": ("LeakyRelu", (0.2, None)),
                   "elu": ("Elu", (1.0, None)), "softplus": ("Softplus", None)}


# -- activations -------------------------------------------------------------------------------------------------
def activation(b: Any, x: str, name: str, act: str | None) -> str:
    """``act`` (a Keras activation name) applied to ``x``."""
    act = act or "linear"
    if act == "linear":
        return x
    simple = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softplus": "Softplus"}
    if act in simple:
        return b.op(simple[act], [x], f"{name}/{act}")
    if act == "softmax":
        return b.op("Softmax", [x], f"{name}/softmax", axis=-1)
    if act == "leaky_relu":
        return b.op("LeakyRelu", [x], f"{name}/leaky_relu", alpha=0.2)
    if act == "elu":
        return b.op("Elu", [x], f"{name}/elu", alpha=1.0)
    if act in ("hard_sigmoid", "hard_sigmoid_tf2"):
        alpha = 1.0 / 6.0 if act == "hard_sigmoid" else 0.2
        return b.op("HardSigmoid", [x], f"{name}/{act}", alpha=alpha, beta=0.5)
    if act == "gelu":  # exact (erf) form; the Gelu operator only exists from opset 20
        scaled = b.op("Mul", [x, b.const(f"{name}/gelu_rsqrt2", np.sqrt(0.5))], f"{name}/gelu_scale")
        erf = b.op("Erf", [scaled], f"{name}/gelu_erf")
        one_plus = b.op("Add", [erf, b.const(f"{name}/gelu_one", 1.0)], f"{name}/gelu_add")
        half = b.op("Mul", [x, b.const(f"{name}/gelu_half", 0.5)], f"{name}/gelu_half_x")
        return b.op("Mul", [half, one_plus], f"{name}/gelu")
    raise ValueError(f"activation {act!r} has no ONNX form")


def _activated(b: Any, layer: Any, z: str) -> str:
    return activation(b, z, layer.name, layer.config.get("activation"))


# -- dense, convolution, pooling -------------------------------------------------------------------------------
def dense(b, layer, inputs, weights, in_shapes, out_shape):
    z = b.op("MatMul", [inputs[0], b.const(f"{layer.name}/kernel", weights[0])], f"{layer.name}/matmul")
    if layer.config["use_bias"]:
        z = b.op("Add", [z, b.const(f"{layer.name}/bias", weights[1])], f"{layer.name}/bias_add")
    return _activated(b, layer, z)


def activation_layer(b, layer, inputs, weights, in_shapes, out_shape):
    result = _activated(b, layer, inputs[0])
    return result if result != inputs[0] else b.op("Identity", [inputs[0]], layer.name)


def _same_pads(sizes, kernels, strides, dilations, padding) -> list[int]:
    """ONNX ``pads`` (all begins, then all ends) reproducing Keras's valid / same / causal padding."""
    begins, ends = [], []
    for n, k, s, d in zip(sizes, kernels, strides, dilations):
        span = (k - 1) * d + 1
        if padding == "causal":
            begins.append(span - 1)
            ends.append(0)
            continue
        total = 0 if padding == "valid" else max((conv_length(n, k, s, d, padding) - 1) * s + span - n, 0)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends


def _channels_first(b, x: str, rank: int, name: str) -> str:
    return b.op("Transpose", [x], f"{name}/to_channels_first", perm=TO_FIRST[rank])


def _channels_last(b, x: str, rank: int, name: str) -> str:
    return b.op("Transpose", [x], f"{name}/to_channels_last", perm=TO_LAST[rank])


def conv(b, layer, inputs, weights, in_shapes, out_shape):
    cfg, rank = layer.config, len(in_shapes[0]) + 1
    perm = (3, 2, 0, 1) if rank == 4 else (2, 1, 0)  # HWIO / WIO -> OIHW / OIW
    args = [_channels_first(b, inputs[0], rank, layer.name),
            b.const(f"{layer.name}/kernel", np.ascontiguousarray(weights[0].transpose(perm)))]
    if cfg["use_bias"]:
        args.append(b.const(f"{layer.name}/bias", weights[1]))
    pads = _same_pads(in_shapes[0][:-1], cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"], cfg["padding"])
    z = b.op("Conv", args, layer.name + "/conv", kernel_shape=list(cfg["kernel_size"]),
             strides=list(cfg["strides"]), dilations=list(cfg["dilation_rate"]), pads=pads)
    return _activated(b, layer, _channels_last(b, z, rank, layer.name))


def conv_transpose(b, layer, inputs, weights, in_shapes, out_shape):
    """Keras's Conv2DTranspose is the input gradient of a Conv2D from the output size back to the input size:
    the same padding split, with any surplus rows given as ONNX ``output_padding``."""
    cfg = layer.config
    args = [_channels_first(b, inputs[0], 4, layer.name),
            b.const(f"{layer.name}/kernel", np.ascontiguousarray(weights[0].transpose(3, 2, 0, 1)))]
    if cfg["use_bias"]:
        args.append(b.const(f"{layer.name}/bias", weights[1]))
    begins, ends, extra = [], [], []
    for n, m, k, s, d in zip(in_shapes[0][:2], out_shape[:2], cfg["kernel_size"], cfg["strides"],
                             cfg["dilation_rate"]):
        full = (n - 1) * s + (k - 1) * d + 1
        total = full - m
        if total >= 0:
            before = total // 2 if cfg["padding"] == "same" else 0
            begins.append(before)
            ends.append(total - before)
            extra.append(0)
        else:
            begins.append(0)
            ends.append(0)
            extra.append(-total)
    z = b.op("ConvTranspose", args, layer.name + "/conv_transpose", kernel_shape=list(cfg["kernel_size"]),
             strides=list(cfg["strides"]), dilations=list(cfg["dilation_rate"]), pads=begins + ends,
             output_padding=extra)
    return _activated(b, layer, _channels_last(b, z, 4, layer.name))


def pool(b, layer, inputs, weights, in_shapes, out_shape):
    cfg, rank = layer.config, len(in_shapes[0]) + 1
    strides = list(cfg["strides"] or cfg["pool_size"])
    pads = _same_pads(in_shapes[0][:-1], cfg["pool_size"], strides, [1] * (rank - 2), cfg["padding"])
    op = "MaxPool" if layer.type_name.startswith("Max") else "AveragePool"
    extra = {} if op == "MaxPool" else {"count_include_pad": 0}
    z = b.op(op, [_channels_first(b, inputs[0], rank, layer.name)], f"{layer.name}/pool",
             kernel_shape=list(cfg["pool_size"]), strides=strides, pads=pads, **extra)
    return _channels_last(b, z, rank, layer.name)


def global_pool(b, layer, inputs, weights, in_shapes, out_shape):
    op = "ReduceMax" if "Max" in layer.type_name else "ReduceMean"
    axes = list(range(1, len(in_shapes[0])))
    return b.op(op, [inputs[0]], layer.name, axes=axes, keepdims=int(layer.config["keepdims"]))


def upsampling(b, layer, inputs, weights, in_shapes, out_shape):
    sh, sw = layer.config["size"]
    scales = b.const(f"{layer.name}/scales", [1.0, 1.0, float(sh), float(sw)], np.float32)
    if layer.config["interpolation"] == "nearest":
        modes = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    else:
        modes = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    z = b.op("Resize", [_channels_first(b, inputs[0], 4, layer.name), "", scales], f"{layer.name}/resize", **modes)
    return _channels_last(b, z, 4, layer.name)


# -- normalisation -----------------------------------------------------------------------------------------------
def _axis_index(layer, shape) -> int:
    axis = layer.config["axis"]
    return axis - 1 if axis > 0 else len(shape) + axis


def _gamma_beta(b, layer, weights, channels: int) -> tuple[str, str, list]:
    rest = list(weights)
    gamma = rest.pop(0) if layer.config["scale"] else np.ones(channels)
    beta = rest.pop(0) if layer.config["center"] else np.zeros(channels)
    return b.const(f"{layer.name}/gamma", gamma), b.const(f"{layer.name}/beta", beta), rest


def _move_axis(b, x: str, rank: int, src: int, dst: int, name: str) -> tuple[str, list[int] | None]:
    """``x`` with axis ``src`` moved to ``dst`` (batch axis counted), and the permutation that undoes it."""
    if src == dst:
        return x, None
    perm = [a for a in range(rank) if a != src]
    perm.insert(dst, src)
    return b.op("Transpose", [x], f"{name}/move_axis", perm=perm), [int(p) for p in np.argsort(perm)]


def batch_norm(b, layer, inputs, weights, in_shapes, out_shape):
    """Inference form: the moving mean and variance."""
    shape, rank = in_shapes[0], len(in_shapes[0]) + 1
    index = _axis_index(layer, shape)
    gamma, beta, (mean, var) = _gamma_beta(b, layer, weights, shape[index])
    x, undo = _move_axis(b, inputs[0], rank, index + 1, 1, layer.name)
    z = b.op("BatchNormalization", [x, gamma, beta, b.const(f"{layer.name}/moving_mean", mean),
                                    b.const(f"{layer.name}/moving_variance", var)],
             f"{layer.name}/batch_norm", epsilon=float(layer.config["epsilon"]))
    return z if undo is None else b.op("Transpose", [z], f"{layer.name}/restore_axis", perm=undo)


def layer_norm(b, layer, inputs, weights, in_shapes, out_shape):
    shape, rank = in_shapes[0], len(in_shapes[0]) + 1
    index = _axis_index(layer, shape)
    gamma, beta, _ = _gamma_beta(b, layer, weights, shape[index])
    x, undo = _move_axis(b, inputs[0], rank, index + 1, rank - 1, layer.name)
    z = b.op("LayerNormalization", [x, gamma, beta], f"{layer.name}/layer_norm", axis=-1,
             epsilon=float(layer.config["epsilon"]))
    return z if undo is None else b.op("Transpose", [z], f"{layer.name}/restore_axis", perm=undo)


def lrn(b, layer, inputs, weights, in_shapes, out_shape):
    """TensorFlow's LRN over the last axis as ONNX's over axis 1 of ``(rows, C, 1, 1)``; ONNX divides alpha by the
    window size, so it is multiplied back."""
    cfg, channels = layer.config, in_shapes[0][-1]
    size = 2 * cfg["depth_radius"] + 1
    rows = b.op("Reshape", [inputs[0], b.ints(f"{layer.name}/rows_shape", [-1, channels, 1, 1])],
                f"{layer.name}/to_rows")
    z = b.op("LRN", [rows], f"{layer.name}/lrn", size=size, alpha=float(cfg["alpha"]) * size,
             beta=float(cfg["beta"]), bias=float(cfg["bias"]))
    return b.op("Reshape", [z, b.ints(f"{layer.name}/shape", [-1, *in_shapes[0]])], f"{layer.name}/from_rows")


# -- reshaping and merging ---------------------------------------------------------------------------------------
def identity(b, layer, inputs, weights, in_shapes, out_shape):
    return b.op("Identity", [inputs[0]], layer.name)


def flatten(b, layer, inputs, weights, in_shapes, out_shape):
    return b.op("Flatten", [inputs[0]], layer.name, axis=1)


def reshape(b, layer, inputs, weights, in_shapes, out_shape):
    return b.op("Reshape", [inputs[0], b.ints(f"{layer.name}/shape", [-1, *out_shape])], layer.name)


def permute(b, layer, inputs, weights, in_shapes, out_shape):
    return b.op("Transpose", [inputs[0]], layer.name, perm=[0, *layer.config["dims"]])


def repeat_vector(b, layer, inputs, weights, in_shapes, out_shape):
    x = b.op("Unsqueeze", [inputs[0], b.ints(f"{layer.name}/axes", [1])], f"{layer.name}/unsqueeze")
    return b.op("Tile", [x, b.ints(f"{layer.name}/repeats", [1, layer.config["n"], 1])], layer.name)


def _slice(b, x: str, name: str, starts, ends, axes) -> str:
    return b.op("Slice", [x, b.ints(f"{name}/starts", starts), b.ints(f"{name}/ends", ends),
                          b.ints(f"{name}/axes", axes)], name)


def cropping(b, layer, inputs, weights, in_shapes, out_shape):
    top, bottom, left, right = layer.config["cropping"]
    h, w = in_shapes[0][:2]
    return _slice(b, inputs[0], layer.name, [top, left], [h - bottom, w - right], [1, 2])


def zero_padding(b, layer, inputs, weights, in_shapes, out_shape):
    top, bottom, left, right = layer.config["padding"]
    pads = b.ints(f"{layer.name}/pads", [0, top, left, 0, 0, bottom, right, 0])
    return b.op("Pad", [inputs[0], pads], layer.name, mode="constant")


def random_crop(b, layer, inputs, weights, in_shapes, out_shape):
    """At inference: the centred window (the resize case is refused in :func:`problems_of`)."""
    h, w = in_shapes[0][:2]
    th, tw = out_shape[:2]
    if (h, w) == (th, tw):
        return identity(b, layer, inputs, weights, in_shapes, out_shape)
    top, left = (h - th) // 2, (w - tw) // 2
    return _slice(b, inputs[0], layer.name, [top, left], [top + th, left + tw], [1, 2])


def merge(b, layer, inputs, weights, in_shapes, out_shape):
    variadic = {"Add": "Sum", "Average": "Mean", "Maximum": "Max"}
    if layer.type_name in variadic:
        return b.op(variadic[layer.type_name], list(inputs), layer.name)
    if layer.type_name == "Subtract":
        return b.op("Sub", list(inputs), layer.name)
    result = inputs[0]
    for k, other in enumerate(inputs[1:]):
        result = b.op("Mul", [result, other], f"{layer.name}/mul{k}")
    return result


def concatenate(b, layer, inputs, weights, in_shapes, out_shape):
    return b.op("Concat", list(inputs), layer.name, axis=_axis_index(layer, in_shapes[0]) + 1)


# -- recurrent ---------------------------------------------------------------------------------------------------
def _rnn_activations(names: list[str]) -> dict[str, Any]:
    """The ``activations`` attribute with alphas and betas, consumed in order by the functions that take them."""
    ops, alphas, betas = [], [], []
    for name in names:
        op, args = RNN_ACTIVATIONS[name or "linear"]
        ops.append(op)
        if args is not None:
            alphas.append(args[0])
            if args[1] is not None:
                betas.append(args[1])
    attrs: dict[str, Any] = {"activations": ops}
    if alphas:
        attrs["activation_alpha"] = alphas
    if betas:
        attrs["activation_beta"] = betas
    return attrs


def _gates(w: np.ndarray, order: list[int], n: int) -> np.ndarray:
    """Keras's ``(inputs, gates·units)`` kernel as ONNX's ``(1, gates·units, inputs)`` in ONNX's gate order."""
    blocks = [w[:, g * n:(g + 1) * n] for g in order]
    return np.concatenate(blocks, axis=1).T[None]


def recurrent(b, layer, inputs, weights, in_shapes, out_shape):
    """SimpleRNN / GRU / LSTM as ONNX RNN / GRU / LSTM. Keras's LSTM gates are i, f, c, o and ONNX's are i, o, f, c;
    GRU's z, r, h agree, and Keras's ``reset_after`` is ONNX's ``linear_before_reset``."""
    cfg, name, units = layer.config, layer.name, layer.config["units"]
    op = {"SimpleRNN": "RNN", "GRU": "GRU", "LSTM": "LSTM"}[layer.type_name]
    order = {"RNN": [0], "GRU": [0, 1, 2], "LSTM": [0, 3, 1, 2]}[op]
    gates = len(order)
    w = b.const(f"{name}/kernel", _gates(weights[0], order, units))
    r = b.const(f"{name}/recurrent_kernel", _gates(weights[1], order, units))
    bias = np.zeros((1, 2 * gates * units))
    if cfg["use_bias"]:
        kb = weights[2].reshape(-1, gates * units)
        bias[0, :gates * units] = _gates(kb[:1], order, units)[0, :, 0]
        if kb.shape[0] == 2:
            bias[0, gates * units:] = _gates(kb[1:], order, units)[0, :, 0]
    x = b.op("Transpose", [inputs[0]], f"{name}/time_major", perm=[1, 0, 2])
    if cfg["go_backwards"]:  # Keras runs from the last step and returns the outputs in that order
        x = _slice(b, x, f"{name}/reverse", [-1], [-(2 ** 62)], [0])
        b.nodes[-1].input.append(b.ints(f"{name}/reverse_steps", [-1]))
    acts = [cfg.get("recurrent_activation"), cfg["activation"]] if op != "RNN" else [cfg["activation"]]
    if op == "LSTM":
        acts.append(cfg["activation"])
    attrs = _rnn_activations(acts)
    if op == "GRU":
        attrs["linear_before_reset"] = int(cfg["reset_after"])
    y, y_h = b.op_multi(op, [x, w, r, b.const(f"{name}/onnx_bias", bias)], f"{name}/{op.lower()}", 2,
                        hidden_size=units, **attrs)
    if not cfg["return_sequences"]:
        return b.op("Squeeze", [y_h, b.ints(f"{name}/squeeze_axes", [0])], f"{name}/last_state")
    seq = b.op("Squeeze", [y, b.ints(f"{name}/squeeze_axes", [1])], f"{name}/sequence")
    return b.op("Transpose", [seq], f"{name}/batch_major", perm=[1, 0, 2])


CONVERTERS: dict[str, Callable] = {
    "Dense": dense, "Activation": activation_layer, "Conv1D": conv, "Conv2D": conv,
    "Conv2DTranspose": conv_transpose, "MaxPooling1D": pool, "MaxPooling2D": pool, "AveragePooling1D": pool,
    "AveragePooling2D": pool, "GlobalMaxPooling1D": global_pool, "GlobalMaxPooling2D": global_pool,
    "GlobalAveragePooling1D": global_pool, "GlobalAveragePooling2D": global_pool, "UpSampling2D": upsampling,
    "BatchNormalization": batch_norm, "LayerNormalization": layer_norm, "LocalResponseNormalization": lrn,
    "Flatten": flatten, "Reshape": reshape, "Permute": permute, "RepeatVector": repeat_vector,
    "Cropping2D": cropping, "ZeroPadding2D": zero_padding, "RandomCrop": random_crop,
    "Add": merge, "Subtract": merge, "Multiply": merge, "Average": merge, "Maximum": merge,
    "Concatenate": concatenate, "SimpleRNN": recurrent, "GRU": recurrent, "LSTM": recurrent,
    **{t: identity for t in IDENTITY_TYPES},
}


def problems_of(network: Any) -> list[str]:
    """Why each layer of ``network`` that ONNX cannot express cannot be exported (empty when all can)."""
    problems = []
    for layer_id in network.order:
        layer = network.layers[layer_id]
        what = f"layer '{layer.name}' ({layer.type_name})"
        if layer.type_name == "InputLayer":
            continue
        if layer.type_name not in CONVERTERS:
            problems.append(f"{what} has no ONNX equivalent: remove or replace it before exporting")
        elif layer.type_name in ("SimpleRNN", "GRU", "LSTM"):
            acts = [layer.config["activation"], layer.config.get("recurrent_activation", "linear")]
            bad = sorted({a for a in acts if (a or "linear") not in RNN_ACTIVATIONS})
            if bad:
                problems.append(f"{what} uses the activation {', '.join(bad)}, which ONNX's recurrent operators "
                                f"do not offer: choose one of {', '.join(RNN_ACTIVATIONS)}")
        elif layer.type_name == "RandomCrop":
            (h, w, _), (th, tw, _) = network.input_shapes[layer_id][0], network.output_shapes[layer_id]
            if (h, w) != (th, tw) and not (h >= th and w >= tw and min(h, int(w * th / tw)) == th
                                           and min(w, int(h * tw / th)) == tw):
                problems.append(f"{what} resizes its centred window at inference ({h}×{w} → {th}×{tw}), which "
                                "has no exact ONNX form: give it an input at least as large in both directions "
                                "with the same aspect ratio, or remove it before exporting")
    return problems
