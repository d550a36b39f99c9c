"""Per-layer translation of a design into PyTorch source, for :mod:`core.io.torch_codegen`.

Each translator gets the layer and its per-sample input and output shapes and returns a :class:`Piece`: the
module built in ``__init__`` (one line, or none for a layer that is an expression: merges, reshapes), the
expression computing the layer in ``forward`` (``{m}`` is the module, ``{x}`` the input, ``{xs}`` all inputs),
and how its Keras weights become the module's (``weights``: a kind of :data:`core.io.torch_codegen` converter,
with the Keras weight names in file order). Tensors stay channels-last between layers, as in the engine, so
``Flatten`` and ``Reshape`` keep Keras's element order; convolutions and poolings move the channels to axis 1
around their module (``first(x)``, ``last(x)`` in the script). Keras's ``same`` padding, which puts the odd row
at the end, is an explicit ``F.pad`` where PyTorch's symmetric padding cannot say it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from core.layers.conv import conv_length

FUNCTIONS = {"sigmoid": "torch.sigmoid({})", "tanh": "torch.tanh({})", "relu": "torch.relu({})",
             "softmax": "torch.softmax({}, dim=-1)", "leaky_relu": "F.leaky_relu({}, 0.2)", "elu": "F.elu({})",
             "gelu": "F.gelu({})", "softplus": "F.softplus({})", "hard_sigmoid": "F.hardsigmoid({})",
             "hard_sigmoid_tf2": "torch.clamp(0.2 * {} + 0.5, 0.0, 1.0)"}
RECURRENT_FUNCTIONS = {"linear": "identity", "sigmoid": "torch.sigmoid", "tanh": "torch.tanh", "relu": "torch.relu",
                       "softmax": "softmax", "leaky_relu": "leaky_relu", "elu": "F.elu", "gelu": "F.gelu",
                       "softplus": "F.softplus", "hard_sigmoid": "F.hardsigmoid",
                       "hard_sigmoid_tf2": "hard_sigmoid_tf2"}
AUGMENTATION = ("RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation")
REFUSED = {"ConvLSTM2D": "PyTorch has no convolutional LSTM layer: replace it by Conv2D layers and an LSTM"}


@dataclass
class Piece:
    """A layer in PyTorch: ``module`` for ``__init__`` (None: none), ``forward`` with ``{m}``, ``{x}``, ``{xs}``,
    ``weights`` (converter kind and the Keras weight names), helpers the script must define, and a comment."""

    forward: str
    module: str | None = None
    weights: tuple[str, tuple[str, ...]] | None = None
    helpers: set[str] = field(default_factory=set)
    comment: str = ""


def activated(expression: str, act: str | None) -> str:
    """``expression`` under the Keras activation ``act``."""
    return expression if (act or "linear") == "linear" else FUNCTIONS[act].format(expression)


def _kernel_names(layer: Any) -> tuple[str, ...]:
    return ("kernel", "bias") if layer.config["use_bias"] else ("kernel",)


def _tuple(values: Any) -> str:
    values = tuple(int(v) for v in values)
    return str(values[0]) if len(set(values)) == 1 else str(values)


def same_pads(sizes, kernels, strides, dilations, padding) -> list[tuple[int, int]]:
    """Per spatial axis, the (before, after) padding of Keras's valid / same / causal."""
    pads = []
    for n, k, s, d in zip(sizes, kernels, strides, dilations):
        span = (k - 1) * d + 1
        if padding == "causal":
            pads.append((span - 1, 0))
            continue
        total = 0 if padding == "valid" else max((conv_length(n, k, s, d, padding) - 1) * s + span - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _f_pad(pads: list[tuple[int, int]]) -> str:
    """F.pad's argument: the last axis first."""
    return str(tuple(p for pair in reversed(pads) for p in pair))


# -- dense, convolution, pooling ---------------------------------------------------------------------------------
def dense(layer, in_shapes, out_shape) -> Piece:
    cfg = layer.config
    bias = "" if cfg["use_bias"] else ", bias=False"
    return Piece(activated("{m}({x})", cfg["activation"]), f"nn.Linear({in_shapes[0][-1]}, {cfg['units']}{bias})",
                 ("linear", _kernel_names(layer)))


def activation_layer(layer, in_shapes, out_shape) -> Piece:
    return Piece(activated("{x}", layer.config["activation"]))


def conv(layer, in_shapes, out_shape) -> Piece:
    cfg, dims = layer.config, len(in_shapes[0]) - 1
    pads = same_pads(in_shapes[0][:-1], cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"], cfg["padding"])
    args = [str(in_shapes[0][-1]), str(cfg["filters"]), _tuple(cfg["kernel_size"])]
    if any(s != 1 for s in cfg["strides"]):
        args.append(f"stride={_tuple(cfg['strides'])}")
    if any(d != 1 for d in cfg["dilation_rate"]):
        args.append(f"dilation={_tuple(cfg['dilation_rate'])}")
    inner = "first({x})"
    if all(a == b for a, b in pads) and any(a for a, _ in pads):
        args.append(f"padding={_tuple([a for a, _ in pads])}")
    elif any(a or b for a, b in pads):
        inner = f"F.pad(first({{x}}), {_f_pad(pads)})"
    if not cfg["use_bias"]:
        args.append("bias=False")
    return Piece(activated(f"last({{m}}({inner}))", cfg["activation"]), f"nn.Conv{dims}d({', '.join(args)})",
                 ("conv", _kernel_names(layer)), {"channels"})


def conv_transpose(layer, in_shapes, out_shape) -> Piece:
    """The full transposed convolution, then Keras's crop of it (``same`` puts the odd row at the end) or the
    extra rows Keras's ``output_padding`` asks for (PyTorch's own ``output_padding``)."""
    cfg = layer.config
    crops, extra = [], []
    for n, m, k, s, d in zip(in_shapes[0][:2], out_shape[:2], cfg["kernel_size"], cfg["strides"],
                             cfg["dilation_rate"]):
        total = (n - 1) * s + (k - 1) * d + 1 - m
        before = total // 2 if cfg["padding"] == "same" and total > 0 else 0
        crops.append((before, before + m) if total > 0 else None)
        extra.append(max(-total, 0))
    args = [str(in_shapes[0][-1]), str(cfg["filters"]), _tuple(cfg["kernel_size"])]
    if any(s != 1 for s in cfg["strides"]):
        args.append(f"stride={_tuple(cfg['strides'])}")
    if any(extra):
        args.append(f"output_padding={_tuple(extra)}")
    if any(d != 1 for d in cfg["dilation_rate"]):
        args.append(f"dilation={_tuple(cfg['dilation_rate'])}")
    if not cfg["use_bias"]:
        args.append("bias=False")
    expression = "last({m}(first({x})))"
    if any(crops):
        rows, cols = (f"{c[0]}:{c[1]}" if c else ":" for c in crops)
        expression += f"[:, {rows}, {cols}]"
    return Piece(activated(expression, cfg["activation"]), f"nn.ConvTranspose2d({', '.join(args)})",
                 ("conv_transpose", _kernel_names(layer)), {"channels"})


def pool(layer, in_shapes, out_shape) -> Piece:
    cfg, dims = layer.config, len(in_shapes[0]) - 1
    strides = tuple(cfg["strides"] or cfg["pool_size"])
    pads = same_pads(in_shapes[0][:-1], cfg["pool_size"], strides, [1] * dims, cfg["padding"])
    kind = "Max" if layer.type_name.startswith("Max") else "Avg"
    args = [_tuple(cfg["pool_size"])] + ([f"stride={_tuple(strides)}"] if strides != tuple(cfg["pool_size"]) else [])
    module = f"nn.{kind}Pool{dims}d({', '.join(args)})"
    if not any(a or b for a, b in pads):
        return Piece("last({m}(first({x})))", module, helpers={"channels"})
    if kind == "Max":
        return Piece(f'last({{m}}(F.pad(first({{x}}), {_f_pad(pads)}, value=-math.inf)))', module,
                     helpers={"channels", "math"})
    return Piece(f"last(average_pool({{m}}, first({{x}}), {_f_pad(pads)}))", module,
                 helpers={"channels", "average_pool"})


def global_pool(layer, in_shapes, out_shape) -> Piece:
    dims = tuple(range(1, len(in_shapes[0])))
    axes = str(dims[0]) if len(dims) == 1 else str(dims)
    keep = ", keepdim=True" if layer.config["keepdims"] else ""
    return Piece(f"{{x}}.{'amax' if 'Max' in layer.type_name else 'mean'}(dim={axes}{keep})")


def upsampling(layer, in_shapes, out_shape) -> Piece:
    cfg = layer.config
    mode = '"nearest"' if cfg["interpolation"] == "nearest" else '"bilinear", align_corners=False'
    return Piece("last({m}(first({x})))", f"nn.Upsample(scale_factor={tuple(cfg['size'])}, mode={mode})",
                 helpers={"channels"})


# -- normalisation -----------------------------------------------------------------------------------------------
def _axis(layer, in_shape) -> int:
    """The layer's axis as a tensor dimension (batch counted)."""
    axis = layer.config["axis"]
    return axis if axis > 0 else len(in_shape) + 1 + axis


def _norm_names(layer, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    cfg = layer.config
    return (("gamma",) if cfg["scale"] else ()) + (("beta",) if cfg["center"] else ()) + extra


def batch_norm(layer, in_shapes, out_shape) -> Piece:
    """At inference: the moving statistics. Keras's momentum is the share kept; PyTorch's the share replaced."""
    cfg, shape = layer.config, in_shapes[0]
    dim, rank = _axis(layer, shape), len(shape) + 1
    kind = {2: "1d", 3: "1d", 4: "2d", 5: "3d"}[rank]
    affine = "" if cfg["center"] or cfg["scale"] else ", affine=False"
    module = (f"nn.BatchNorm{kind}({shape[dim - 1]}, eps={cfg['epsilon']!r}, "
              f"momentum={round(1.0 - cfg['momentum'], 12)!r}{affine})")
    forward = "{m}({x})" if dim == 1 else f"{{m}}({{x}}.movedim({dim}, 1)).movedim(1, {dim})"
    return Piece(forward, module, ("batch_norm", _norm_names(layer, ("moving_mean", "moving_variance"))))


def layer_norm(layer, in_shapes, out_shape) -> Piece:
    cfg, shape = layer.config, in_shapes[0]
    dim, rank = _axis(layer, shape), len(shape) + 1
    affine = "" if cfg["center"] or cfg["scale"] else ", elementwise_affine=False"
    module = f"nn.LayerNorm({shape[dim - 1]}, eps={cfg['epsilon']!r}{affine})"
    forward = "{m}({x})" if dim == rank - 1 else f"{{m}}({{x}}.movedim({dim}, -1)).movedim(-1, {dim})"
    return Piece(forward, module, ("layer_norm", _norm_names(layer)))


def lrn(layer, in_shapes, out_shape) -> Piece:
    """TensorFlow's LRN over the last axis; PyTorch divides alpha by the window size, so it is multiplied back."""
    cfg = layer.config
    size = 2 * cfg["depth_radius"] + 1
    module = (f"nn.LocalResponseNorm({size}, alpha={float(cfg['alpha']) * size!r}, beta={float(cfg['beta'])!r}, "
              f"k={float(cfg['bias'])!r})")
    if len(in_shapes[0]) == 1:
        return Piece("{m}({x}.unsqueeze(-1)).squeeze(-1)", module)
    return Piece("last({m}(first({x})))", module, helpers={"channels"})


# -- reshaping, merging, regularisation --------------------------------------------------------------------------
def identity(layer, in_shapes, out_shape) -> Piece:
    return Piece("{x}")


def dropout(layer, in_shapes, out_shape) -> Piece:
    return Piece("{m}({x})", f"nn.Dropout({float(layer.config['rate'])!r})")


def spatial_dropout(layer, in_shapes, out_shape) -> Piece:
    return Piece("last({m}(first({x})))", f"nn.Dropout2d({float(layer.config['rate'])!r})", helpers={"channels"})


def gaussian(layer, in_shapes, out_shape) -> Piece:
    if layer.type_name == "GaussianNoise":
        return Piece("{m}({x})", f"GaussianNoise({float(layer.config['stddev'])!r})", helpers={"GaussianNoise"})
    return Piece("{m}({x})", f"GaussianDropout({float(layer.config['rate'])!r})", helpers={"GaussianDropout"})


def augmentation(layer, in_shapes, out_shape) -> Piece:
    return Piece("{x}", comment=f"{layer.type_name} augments in training only: this script does not augment")


def random_crop(layer, in_shapes, out_shape) -> Piece:
    (h, w), (th, tw) = in_shapes[0][:2], out_shape[:2]
    if (h, w) == (th, tw):
        return augmentation(layer, in_shapes, out_shape)
    top, left = (h - th) // 2, (w - tw) // 2
    return Piece(f"{{x}}[:, {top}:{top + th}, {left}:{left + tw}]",
                 comment="the centred window, as at inference: this script does not crop at random in training")


def flatten(layer, in_shapes, out_shape) -> Piece:
    return Piece("{m}({x})", "nn.Flatten()")


def reshape(layer, in_shapes, out_shape) -> Piece:
    return Piece(f"{{x}}.reshape(-1, {', '.join(str(int(n)) for n in out_shape)})")


def permute(layer, in_shapes, out_shape) -> Piece:
    return Piece(f"{{x}}.permute(0, {', '.join(str(int(d)) for d in layer.config['dims'])})")


def repeat_vector(layer, in_shapes, out_shape) -> Piece:
    return Piece(f"{{x}}.unsqueeze(1).expand(-1, {layer.config['n']}, -1)")


def cropping(layer, in_shapes, out_shape) -> Piece:
    top, bottom, left, right = layer.config["cropping"]
    h, w = in_shapes[0][:2]
    return Piece(f"{{x}}[:, {top}:{h - bottom}, {left}:{w - right}]")


def zero_padding(layer, in_shapes, out_shape) -> Piece:
    top, bottom, left, right = layer.config["padding"]
    return Piece(f"F.pad({{x}}, (0, 0, {left}, {right}, {top}, {bottom}))")


def merge(layer, in_shapes, out_shape) -> Piece:
    n = len(in_shapes)
    names = [f"{{xs[{k}]}}" for k in range(n)]
    if layer.type_name == "Add":
        return Piece(" + ".join(names))
    if layer.type_name == "Subtract":
        return Piece(" - ".join(names))
    if layer.type_name == "Multiply":
        return Piece(" * ".join(names))
    if layer.type_name == "Average":
        return Piece(f"({' + '.join(names)}) / {n}")
    expression = names[0]
    for name in names[1:]:
        expression = f"torch.maximum({expression}, {name})"
    return Piece(expression)


def concatenate(layer, in_shapes, out_shape) -> Piece:
    axis = layer.config["axis"]
    return Piece(f"torch.cat([{', '.join(f'{{xs[{k}]}}' for k in range(len(in_shapes)))}], dim={axis})")


# -- recurrent ---------------------------------------------------------------------------------------------------
def _native(layer) -> bool:
    """Whether PyTorch's fused layer computes the Keras one: tanh and sigmoid, and GRU's reset after."""
    cfg = layer.config
    if layer.type_name == "SimpleRNN":
        return cfg["activation"] in ("tanh", "relu")
    if layer.type_name == "GRU" and not cfg["reset_after"]:
        return False
    return cfg["activation"] == "tanh" and cfg["recurrent_activation"] == "sigmoid"


def recurrent(layer, in_shapes, out_shape) -> Piece:
    """PyTorch's ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` where they compute the Keras layer (the gates are put in
    PyTorch's order when the weights load), else the script's step-by-step :class:`KerasRecurrent`, which keeps
    Keras's layout and any activation. ``go_backwards`` reads the steps from the last, as Keras does, and returns
    the outputs in that order."""
    cfg, kind = layer.config, layer.type_name
    features, units = in_shapes[0][-1], cfg["units"]
    names = ("kernel", "recurrent_kernel") + (("bias",) if cfg["use_bias"] else ())
    source = "{x}.flip(1)" if cfg["go_backwards"] else "{x}"
    tail = "" if cfg["return_sequences"] else "[:, -1]"
    bias = "" if cfg["use_bias"] else ", bias=False"
    if _native(layer):
        torch_class = {"SimpleRNN": "RNN", "GRU": "GRU", "LSTM": "LSTM"}[kind]
        extra = ', nonlinearity="relu"' if kind == "SimpleRNN" and cfg["activation"] == "relu" else ""
        module = f"nn.{torch_class}({features}, {units}{extra}{bias}, batch_first=True)"
        return Piece(f"{{m}}({source})[0]{tail}", module, (torch_class.lower(), names))
    acts = [cfg["activation"]] + ([cfg["recurrent_activation"]] if kind != "SimpleRNN" else [])
    helpers = {"KerasRecurrent"} | {f for f in (RECURRENT_FUNCTIONS[a or "linear"] for a in acts) if "." not in f}
    args = [f'"{kind}"', str(features), str(units)] + [RECURRENT_FUNCTIONS[a or "linear"] for a in acts]
    if kind == "GRU" and not cfg["reset_after"]:
        args.append("reset_after=False")
    if not cfg["use_bias"]:
        args.append("use_bias=False")
    return Piece(f"{{m}}({source}){tail}", f"KerasRecurrent({', '.join(args)})", ("keras", names), helpers)


TRANSLATORS: dict[str, Callable[[Any, list, tuple], Piece]] = {
    "Dense": dense, "Activation": activation_layer, "Conv1D": conv, "Conv2D": conv,
    "Conv2DTranspose": conv_transpose, "MaxPooling1D": pool, "MaxPooling2D": pool, "AveragePooling1D": pool,
    "AveragePooling2D": pool, "GlobalMaxPooling1D": global_pool, "GlobalMaxPooling2D": global_pool,
    "GlobalAveragePooling1D": global_pool, "GlobalAveragePooling2D": global_pool, "UpSampling2D": upsampling,
    "BatchNormalization": batch_norm, "LayerNormalization": layer_norm, "LocalResponseNormalization": lrn,
    "Flatten": flatten, "Reshape": reshape, "Permute": permute, "RepeatVector": repeat_vector,
    "Cropping2D": cropping, "ZeroPadding2D": zero_padding, "RandomCrop": random_crop, "Dropout": dropout,
    "SpatialDropout2D": spatial_dropout, "GaussianNoise": gaussian, "GaussianDropout": gaussian,
    "Add": merge, "Subtract": merge, "Multiply": merge, "Average": merge, "Maximum": merge,
    "Concatenate": concatenate, "SimpleRNN": recurrent, "GRU": recurrent, "LSTM": recurrent,
    **{t: augmentation for t in AUGMENTATION},
}


def problems_of(network: Any) -> list[str]:
    """Why each layer of ``network`` that the PyTorch script cannot express cannot be exported (empty: none)."""
    problems = []
    for layer_id in network.order:
        layer = network.layers[layer_id]
        what = f"layer '{layer.name}' ({layer.type_name})"
        if layer.type_name == "InputLayer":
            continue
        if layer.type_name in REFUSED:
            problems.append(f"{what}: {REFUSED[layer.type_name]}")
        elif layer.type_name not in TRANSLATORS:
            problems.append(f"{what} has no PyTorch form here: remove or replace it before exporting")
        elif layer.type_name == "RandomCrop":
            (h, w, _), (th, tw, _) = network.input_shapes[layer_id][0], network.output_shapes[layer_id]
            if (h, w) != (th, tw) and not (h >= th and w >= tw and min(h, int(w * th / tw)) == th
                                           and min(w, int(h * tw / th)) == tw):
                problems.append(f"{what} resizes its centred window at inference ({h}×{w} → {th}×{tw}), which "
                                "the script does not do: give it an input at least as large in both directions "
                                "with the same aspect ratio, or remove it before exporting")
    return problems
