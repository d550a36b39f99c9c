"""Activation functions and their derivatives, fused into one pass each."""

import math

import numpy as np

from core.activations import CODES, ELU_ALPHA, LEAKY_SLOPE
from core.kernels.cpu._jit import jit

LINEAR, SIGMOID, TANH, RELU, SOFTMAX = (CODES[n] for n in ("linear", "sigmoid", "tanh", "relu", "softmax"))
LEAKY, ELU, GELU, SOFTPLUS = (CODES[n] for n in ("leaky_relu", "elu", "gelu", "softplus"))
HARD, HARD_TF2 = CODES["hard_sigmoid"], CODES["hard_sigmoid_tf2"]
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@jit
def _sigmoid(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@jit
def _softmax_rows(z, y):
    rows, cols = z.shape
    for i in range(rows):
        m = z[i, 0]
        for j in range(1, cols):
            m = max(m, z[i, j])
        s = 0.0
        for j in range(cols):
            e = math.exp(z[i, j] - m)
            y[i, j] = e
            s += e
        inv = 1.0 / s
        for j in range(cols):
            y[i, j] *= inv


@jit
def _forward_flat(z, y, code):
    n = z.size
    if code == LINEAR:
        for i in range(n):
            y[i] = z[i]
    elif code == SIGMOID:
        for i in range(n):
            y[i] = _sigmoid(z[i])
    elif code == TANH:
        for i in range(n):
            y[i] = math.tanh(z[i])
    elif code == RELU:
        for i in range(n):
            y[i] = z[i] if z[i] > 0 else 0.0
    elif code == LEAKY:
        for i in range(n):
            y[i] = z[i] if z[i] > 0 else LEAKY_SLOPE * z[i]
    elif code == ELU:
        for i in range(n):
            y[i] = z[i] if z[i] > 0 else ELU_ALPHA * math.expm1(z[i])
    elif code == GELU:
        for i in range(n):
            y[i] = z[i] * 0.5 * (1.0 + math.erf(z[i] * INV_SQRT2))
    elif code == SOFTPLUS:
        for i in range(n):
            v = z[i]
            y[i] = max(v, 0.0) + math.log1p(math.exp(-abs(v)))
    elif code == HARD:
        for i in range(n):
            y[i] = min(max(z[i] / 6.0 + 0.5, 0.0), 1.0)
    elif code == HARD_TF2:
        for i in range(n):
            y[i] = min(max(0.2 * z[i] + 0.5, 0.0), 1.0)


@jit
def _backward_flat(z, y, dy, dz, code):
    n = z.size
    if code == LINEAR:
        for i in range(n):
            dz[i] = dy[i]
    elif code == SIGMOID:
        for i in range(n):
            dz[i] = dy[i] * y[i] * (1.0 - y[i])
    elif code == TANH:
        for i in range(n):
            dz[i] = dy[i] * (1.0 - y[i] * y[i])
    elif code == RELU:
        for i in range(n):
            dz[i] = dy[i] if z[i] > 0 else 0.0
    elif code == LEAKY:
        for i in range(n):
            dz[i] = dy[i] if z[i] > 0 else LEAKY_SLOPE * dy[i]
    elif code == ELU:
        for i in range(n):
            dz[i] = dy[i] if z[i] > 0 else dy[i] * (y[i] + ELU_ALPHA)
    elif code == GELU:
        for i in range(n):
            v = z[i]
            dz[i] = dy[i] * (0.5 * (1.0 + math.erf(v * INV_SQRT2)) + v * INV_SQRT2PI * math.exp(-0.5 * v * v))
    elif code == SOFTPLUS:
        for i in range(n):
            dz[i] = dy[i] * _sigmoid(z[i])
    elif code == HARD:
        for i in range(n):
            dz[i] = dy[i] / 6.0 if -3.0 < z[i] < 3.0 else 0.0
    elif code == HARD_TF2:
        for i in range(n):
            dz[i] = dy[i] * 0.2 if -2.5 < z[i] < 2.5 else 0.0


@jit
def _softmax_backward_rows(y, dy, dz):
    rows, cols = y.shape
    for i in range(rows):
        s = 0.0
        for j in range(cols):
            s += dy[i, j] * y[i, j]
        for j in range(cols):
            dz[i, j] = y[i, j] * (dy[i, j] - s)


def _rows(a):
    return a.reshape(-1, a.shape[-1])


def activation_forward(z, code):
    """The activation ``code`` applied to ``z`` (softmax over the last axis)."""
    z = np.ascontiguousarray(z)
    y = np.empty_like(z)
    if code == SOFTMAX:
        _softmax_rows(_rows(z), _rows(y))
    else:
        _forward_flat(z.reshape(-1), y.reshape(-1), code)
    return y


def activation_backward(z, y, dy, code):
    """``dL/dz`` given ``dL/dy`` for ``y = f(z)``."""
    dy = np.ascontiguousarray(dy)
    dz = np.empty_like(dy)
    if code == SOFTMAX:
        _softmax_backward_rows(_rows(y), _rows(dy), _rows(dz))
    else:
        _backward_flat(z.reshape(-1), y.reshape(-1), dy.reshape(-1), dz.reshape(-1), code)
    return dz
