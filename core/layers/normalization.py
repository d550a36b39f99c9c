"""Normalisation layers: BatchNormalization, LayerNormalization, LocalResponseNormalization.

Each moves its normalisation axis last and folds the other axes into rows, so the kernels only ever see 2-D
``(rows, channels)`` arrays; for the default ``axis=-1`` this is a free reshape.
"""

from __future__ import annotations

from core.errors import ConfigError
from core.formatting import format_shape
from core.layers.base import Layer, Shape, WeightSpec, initializer_param, regularizer_param
from core.layers.registry import Param, register


def _axis_param(help_text: str) -> Param:
    return Param("axis", "int", -1, help_text, min=-32, max=32)


class _AxisLayer(Layer):
    """A layer with Keras's ``axis`` parameter, which tf.keras 2 saves as a one-element list (``[3]``)."""

    @classmethod
    def translate_aliases(cls, kwargs):
        axis = kwargs.get("axis")
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ConfigError(f"{cls.type_name}: axis={list(axis)} normalises over several axes, which is not "
                                  "supported: give one axis, or Reshape so that those axes become one")
            kwargs = {**kwargs, "axis": axis[0]}
        return kwargs


def resolve_axis(layer: Layer, shape: Shape) -> int:
    """The per-sample index of Keras's ``axis`` (which counts the batch axis as 0), or a ShapeError."""
    axis = layer.config["axis"]
    index = axis - 1 if axis > 0 else len(shape) + axis
    if axis == 0 or not 0 <= index < len(shape):
        raise layer.shape_error(
            f"axis={axis} does not name a feature axis of its input {format_shape(shape)}: choose one of "
            f"1..{len(shape)} or -1..-{len(shape)} (axis 0 is the batch axis)")
    return index


def to_rows(k, x, index: int):
    """``x`` (batch first) as ``(rows, channels)`` with per-sample axis ``index`` last (``k``: the kernels, so
    that device tensors stay on their device)."""
    if index + 1 != len(x.shape) - 1:
        axes = tuple(i for i in range(len(x.shape)) if i != index + 1) + (index + 1,)
        x = k.permute_axes(x, axes)
    return x.reshape(-1, x.shape[-1])


def from_rows(k, y, shape: tuple[int, ...], index: int):
    """The inverse of :func:`to_rows` for an array of the original batched ``shape``."""
    if index + 1 == len(shape) - 1:
        return y.reshape(shape)
    moved = shape[:index + 1] + shape[index + 2:] + (shape[index + 1],)
    axes = tuple(range(index + 1)) + (len(shape) - 1,) + tuple(range(index + 1, len(shape) - 1))
    return k.permute_axes(y.reshape(moved), axes)


def _affine_params(kind: str) -> tuple[Param, ...]:
    """center, scale and the gamma/beta initialisers and regularisers, shared by the two normalisations."""
    return (
        Param("center", "bool", True, f"whether to add the learned offset beta after {kind}"),
        Param("scale", "bool", True, f"whether to multiply by the learned scale gamma after {kind}"),
        initializer_param("beta_initializer", "zeros", "the offset beta"),
        initializer_param("gamma_initializer", "ones", "the scale gamma"),
    )


def _affine_specs(config: dict, channels: int) -> list[WeightSpec]:
    specs = []
    if config["scale"]:
        specs.append(WeightSpec("gamma", (channels,), config["gamma_initializer"],
                                regularizer=config["gamma_regularizer"]))
    if config["center"]:
        specs.append(WeightSpec("beta", (channels,), config["beta_initializer"],
                                regularizer=config["beta_regularizer"]))
    return specs


def _split_affine(config: dict, weights: list) -> tuple:
    """``(gamma or None, beta or None, remaining weights)``."""
    rest = list(weights)
    gamma = rest.pop(0) if config["scale"] else None
    beta = rest.pop(0) if config["center"] else None
    return gamma, beta, rest


def _affine_grads(config: dict, dgamma, dbeta) -> list:
    return ([dgamma] if config["scale"] else []) + ([dbeta] if config["center"] else [])


@register
class BatchNormalization(_AxisLayer):
    """Normalises each channel to zero mean and unit variance, then scales by gamma and shifts by beta. Output
    shape = input shape; ``axis`` (default -1, the channels of ``(None, H, W, C)``) is the channel axis.

    In training the statistics are those of the batch (over every axis but ``axis``) and the moving mean and
    variance follow them: ``moving = moving * momentum + batch * (1 - momentum)``. At inference the moving
    statistics are used, so one sample's output does not depend on the rest of its batch. Weights, in Keras's
    order: gamma and beta (trainable, present when ``scale`` / ``center``), moving_mean and moving_variance.
    """

    category = "Normalization"
    params = (
        _axis_param("the channel axis, counting the batch axis as 0 (-1: the last axis)"),
        Param("momentum", "float", 0.99, "how slowly the moving mean and variance follow the batches",
              min=0.0, max=1.0),
        Param("epsilon", "float", 0.001, "small number added to the variance so it is never divided by 0",
              min=0.0, min_open=True),
        *_affine_params("normalising"),
        initializer_param("moving_mean_initializer", "zeros", "the moving mean"),
        initializer_param("moving_variance_initializer", "ones", "the moving variance"),
        regularizer_param("beta_regularizer"),
        regularizer_param("gamma_regularizer"),
    )

    def output_shape(self, input_shapes):
        shape = input_shapes[0]
        resolve_axis(self, shape)
        return shape

    def weight_specs(self, input_shapes):
        shape = input_shapes[0]
        channels = shape[resolve_axis(self, shape)]
        cfg = self.config
        return _affine_specs(cfg, channels) + [
            WeightSpec("moving_mean", (channels,), cfg["moving_mean_initializer"], trainable=False),
            WeightSpec("moving_variance", (channels,), cfg["moving_variance_initializer"], trainable=False)]

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        index = resolve_axis(self, x.shape[1:])
        rows = to_rows(ctx.k, x, index)
        cfg = self.config
        gamma, beta, (moving_mean, moving_var) = _split_affine(cfg, weights)
        if ctx.training:
            y, mean, var, xhat, inv_std = ctx.k.batchnorm_forward_train(rows, gamma, beta, cfg["epsilon"])
            ctx.k.batchnorm_update_moving(moving_mean, mean, cfg["momentum"])
            ctx.k.batchnorm_update_moving(moving_var, var, cfg["momentum"])
        else:
            y, xhat, inv_std = ctx.k.batchnorm_forward_infer(rows, gamma, beta, moving_mean, moving_var,
                                                             cfg["epsilon"])
        return from_rows(ctx.k, y, x.shape, index), (xhat, inv_std, ctx.training, x.shape, index)

    def backward(self, ctx, dout, cache, weights, need_dx):
        xhat, inv_std, batch_stats, shape, index = cache
        gamma, _, _ = _split_affine(self.config, weights)
        dy = to_rows(ctx.k, dout, index)
        dx, dgamma, dbeta = ctx.k.batchnorm_backward(dy, xhat, inv_std, gamma, batch_stats, need_dx)
        dx = None if dx is None else from_rows(ctx.k, dx, shape, index)
        return [dx], _affine_grads(self.config, dgamma, dbeta) + [None, None]

    @classmethod
    def examples(cls):
        return [({}, [(4,)]), ({}, [(3, 3, 2)]), ({"center": False}, [(3, 3, 2)]), ({"scale": False}, [(4,)]),
                ({"center": False, "scale": False}, [(2, 3)]), ({"axis": 1, "epsilon": 0.01}, [(3, 2, 2)])]


@register
class LayerNormalization(_AxisLayer):
    """Normalises each sample to zero mean and unit variance over ``axis`` (default -1, the features), then
    scales by gamma and shifts by beta. Output shape = input shape.

    Unlike BatchNormalization it uses no batch statistics, so training and inference behave alike; it is the
    usual choice in transformers and recurrent networks. Weights: gamma, beta (each of the size of ``axis``).
    """

    category = "Normalization"
    params = (
        _axis_param("the axis normalised over, counting the batch axis as 0 (-1: the last axis)"),
        Param("epsilon", "float", 0.001, "small number added to the variance so it is never divided by 0",
              min=0.0, min_open=True),
        *_affine_params("normalising"),
        regularizer_param("beta_regularizer"),
        regularizer_param("gamma_regularizer"),
    )

    def output_shape(self, input_shapes):
        shape = input_shapes[0]
        resolve_axis(self, shape)
        return shape

    def weight_specs(self, input_shapes):
        shape = input_shapes[0]
        return _affine_specs(self.config, shape[resolve_axis(self, shape)])

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        index = resolve_axis(self, x.shape[1:])
        gamma, beta, _ = _split_affine(self.config, weights)
        rows = to_rows(ctx.k, x, index)
        y, xhat, inv_std = ctx.k.layernorm_forward(rows, gamma, beta, self.config["epsilon"])
        return from_rows(ctx.k, y, x.shape, index), (xhat, inv_std, x.shape, index)

    def backward(self, ctx, dout, cache, weights, need_dx):
        xhat, inv_std, shape, index = cache
        gamma, _, _ = _split_affine(self.config, weights)
        dy = to_rows(ctx.k, dout, index)
        dx, dgamma, dbeta = ctx.k.layernorm_backward(dy, xhat, inv_std, gamma, need_dx)
        dx = None if dx is None else from_rows(ctx.k, dx, shape, index)
        return [dx], _affine_grads(self.config, dgamma, dbeta)

    @classmethod
    def examples(cls):
        return [({}, [(5,)]), ({}, [(2, 4)]), ({"center": False}, [(3, 3, 2)]), ({"scale": False}, [(4,)]),
                ({"axis": 1}, [(3, 2)])]


@register
class LocalResponseNormalization(Layer):
    """Lateral inhibition across channels, as in AlexNet: each value is divided by a power of the summed squares
    of its neighbouring channels, ``x / (bias + alpha * sqr_sum) ** beta`` with ``sqr_sum`` over channels
    ``d - depth_radius .. d + depth_radius`` of the last axis. Output shape = input shape (``(None, H, W, C)``).

    The definition and defaults are TensorFlow's ``tf.nn.local_response_normalization``; AlexNet used
    ``depth_radius=2, bias=2, alpha=1e-4, beta=0.75``. Keras has no such layer. No weights.
    """

    category = "Normalization"
    params = (
        Param("depth_radius", "int", 5, "how many channels on each side take part in the sum", min=0,
              max=100_000),
        Param("bias", "float", 1.0, "constant added to the weighted sum (keeps the divisor above 0)", min=0.0,
              min_open=True),
        Param("alpha", "float", 1.0, "weight of the sum of squares", min=0.0),
        Param("beta", "float", 0.5, "exponent of the divisor", min=0.0),
    )

    def output_shape(self, input_shapes):
        return input_shapes[0]

    def forward(self, ctx, inputs, weights):
        x = inputs[0]
        cfg = self.config
        rows = x.reshape(-1, x.shape[-1])
        y, scale = ctx.k.lrn_forward(rows, cfg["depth_radius"], cfg["bias"], cfg["alpha"], cfg["beta"])
        return y.reshape(x.shape), (rows, scale)

    def backward(self, ctx, dout, cache, weights, need_dx):
        rows, scale = cache
        cfg = self.config
        dx = ctx.k.lrn_backward(dout.reshape(rows.shape), rows, scale, cfg["depth_radius"], cfg["alpha"],
                                cfg["beta"])
        return [dx.reshape(dout.shape)], []

    @classmethod
    def examples(cls):
        return [({}, [(2, 2, 4)]), ({"depth_radius": 1, "bias": 2.0, "alpha": 0.5, "beta": 0.75}, [(2, 2, 5)]),
                ({"depth_radius": 0}, [(3,)])]
