"""Activation functions and their derivatives on the device: one element-wise pass each (softmax: one thread
per row), by kernel code (see :mod:`core.activations`)."""

import math

from numba import cuda

from core.activations import CODES, ELU_ALPHA, LEAKY_SLOPE
from core.kernels.cuda._device import THREADS, blocks, dev, empty, flat

LINEAR, SIGMOID, TANH, RELU, SOFTMAX = (CODES[n] for n in ("linear", "sigmoid", "tanh", "relu", "softmax"))
LEAKY, ELU, GELU, SOFTPLUS = (CODES[n] for n in ("leaky_relu", "elu", "gelu", "softplus"))
HARD, HARD_TF2 = CODES["hard_sigmoid"], CODES["hard_sigmoid_tf2"]
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@cuda.jit(device=True)
def sigmoid(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@cuda.jit(device=True)
def act(v, code):
    """The activation ``code`` of one value (not softmax)."""
    if code == SIGMOID:
        return sigmoid(v)
    if code == TANH:
        return math.tanh(v)
    if code == RELU:
        return v if v > 0 else 0.0
    if code == LEAKY:
        return v if v > 0 else LEAKY_SLOPE * v
    if code == ELU:
        return v if v > 0 else ELU_ALPHA * math.expm1(v)
    if code == GELU:
        return v * 0.5 * (1.0 + math.erf(v * INV_SQRT2))
    if code == SOFTPLUS:
        return max(v, 0.0) + math.log1p(math.exp(-abs(v)))
    if code == HARD:
        return min(max(v / 6.0 + 0.5, 0.0), 1.0)
    if code == HARD_TF2:
        return min(max(0.2 * v + 0.5, 0.0), 1.0)
    return v


@cuda.jit(device=True)
def dact(z, y, code):
    """``dy/dz`` of the activation ``code`` at ``z`` with output ``y`` (not softmax)."""
    if code == SIGMOID:
        return y * (1.0 - y)
    if code == TANH:
        return 1.0 - y * y
    if code == RELU:
        return 1.0 if z > 0 else 0.0
    if code == LEAKY:
        return 1.0 if z > 0 else LEAKY_SLOPE
    if code == ELU:
        return 1.0 if z > 0 else y + ELU_ALPHA
    if code == GELU:
        return 0.5 * (1.0 + math.erf(z * INV_SQRT2)) + z * INV_SQRT2PI * math.exp(-0.5 * z * z)
    if code == SOFTPLUS:
        return sigmoid(z)
    if code == HARD:
        return 1.0 / 6.0 if -3.0 < z < 3.0 else 0.0
    if code == HARD_TF2:
        return 0.2 if -2.5 < z < 2.5 else 0.0
    return 1.0


@cuda.jit
def _forward(z, y, code):
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        y[i] = act(z[i], code)


@cuda.jit
def _backward(z, y, dy, dz, code):
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        dz[i] = dy[i] * dact(z[i], y[i], code)


@cuda.jit
def _softmax_rows(z, y):
    for i in range(cuda.grid(1), z.shape[0], cuda.gridsize(1)):
        m = z[i, 0]
        for j in range(1, z.shape[1]):
            m = max(m, z[i, j])
        s = 0.0
        for j in range(z.shape[1]):
            e = math.exp(z[i, j] - m)
            y[i, j] = e
            s += e
        for j in range(z.shape[1]):
            y[i, j] /= s


@cuda.jit
def _softmax_back_rows(y, dy, dz):
    for i in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        s = 0.0
        for j in range(y.shape[1]):
            s += dy[i, j] * y[i, j]
        for j in range(y.shape[1]):
            dz[i, j] = y[i, j] * (dy[i, j] - s)


def _rows(a):
    return a.reshape(a.size // a.shape[-1], a.shape[-1])


def activation_forward(z, code):
    """The activation ``code`` applied to ``z`` (softmax over the last axis)."""
    z = dev(z)
    y = empty(z.shape, z.dtype)
    if not z.size:
        return y
    if code == SOFTMAX:
        rows = z.size // z.shape[-1]
        _softmax_rows[blocks(rows), THREADS](_rows(z), _rows(y))
    else:
        _forward[blocks(z.size), THREADS](flat(z), flat(y), code)
    return y


def activation_backward(z, y, dy, code):
    """``dL/dz`` given ``dL/dy`` for ``y = f(z)``."""
    z, y, dy = dev(z), dev(y), dev(dy)
    dz = empty(dy.shape, dy.dtype)
    if not dy.size:
        return dz
    if code == SOFTMAX:
        rows = dy.size // dy.shape[-1]
        _softmax_back_rows[blocks(rows), THREADS](_rows(y), _rows(dy), _rows(dz))
    else:
        _backward[blocks(dy.size), THREADS](flat(z), flat(y), flat(dy), flat(dz), code)
    return dz


__all__ = ["activation_backward", "activation_forward"]
