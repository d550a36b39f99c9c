"""Weight initialisers with Keras's definitions (fans as ``keras.initializers`` computes them)."""

from __future__ import annotations

import math

import numpy as np

from core.errors import ConfigError

_TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated to ±2 std, as Keras corrects for


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)``: (in, out) for a matrix, times the receptive field for convolution kernels."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(rng, shape, std):
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out * (std / _TRUNC_STD)


def _orthogonal(rng, shape):
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    q = q if rows >= cols else q.T
    return q[:rows, :cols].reshape(shape)


UNIT_FORGET_BIAS = "unit_forget_bias:"
MAX_VALUES = 2**28  # the most one weight may hold (core.layers refuses larger layers, naming their parameters)


def initialize(name: str, shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """A new array of ``shape`` drawn by initialiser ``name``.

    ``"unit_forget_bias:<name>"`` is Keras's LSTM bias option: drawn by ``<name>``, then the second quarter of the
    last axis (the forget gate of gates i, f, c, o) set to one.
    """
    count = math.prod(int(d) for d in shape)
    if count > MAX_VALUES:
        raise ConfigError(f"a weight of shape {tuple(shape)} would hold {count:,} values, more than the {MAX_VALUES:,} "
                          "an initialiser draws (it draws in float64 first): make the layer smaller")
    if name.startswith(UNIT_FORGET_BIAS):
        out = initialize(name[len(UNIT_FORGET_BIAS):], shape, rng, dtype)
        quarter = shape[-1] // 4
        out[..., quarter:2 * quarter] = 1
        return out
    fan_in, fan_out = fans(shape)
    if name == "zeros":
        out = np.zeros(shape)
    elif name == "ones":
        out = np.ones(shape)
    elif name == "glorot_uniform":
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        out = rng.uniform(-limit, limit, shape)
    elif name == "glorot_normal":
        out = _truncated_normal(rng, shape, math.sqrt(2.0 / (fan_in + fan_out)))
    elif name == "he_uniform":
        out = rng.uniform(-1, 1, shape) * math.sqrt(6.0 / fan_in)
    elif name == "he_normal":
        out = _truncated_normal(rng, shape, math.sqrt(2.0 / fan_in))
    elif name == "lecun_uniform":
        out = rng.uniform(-1, 1, shape) * math.sqrt(3.0 / fan_in)
    elif name == "lecun_normal":
        out = _truncated_normal(rng, shape, math.sqrt(1.0 / fan_in))
    elif name == "random_normal":
        out = rng.normal(0.0, 0.05, shape)
    elif name == "random_uniform":
        out = rng.uniform(-0.05, 0.05, shape)
    elif name == "orthogonal":
        out = _orthogonal(rng, shape)
    else:
        raise ConfigError(f"unknown initializer {name!r}")
    return np.ascontiguousarray(out, dtype=dtype)
