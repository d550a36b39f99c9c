"""Activation functions and their derivatives, fused into one pass each (formulas: :mod:`core.kernels.formulas`)."""

import math

import numpy as np

from numba import njit

from core.kernels.cpu._formulas import act, grad
from core.kernels.cpu._jit import jit
from core.kernels.formulas import ELU, GELU, HARD, HARD_TF2, LEAKY, LINEAR, RELU, SIGMOID, SOFTMAX, SOFTPLUS, TANH


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


@njit(inline="always")
def _map(z, y, code):
    for i in range(z.size):
        y[i] = act(z[i], code)


@njit(inline="always")
def _map_grad(z, y, dy, dz, code):
    for i in range(z.size):
        dz[i] = grad(dy[i], z[i], y[i], code)


# One loop per activation with its code a constant: the formula's branches fold away and LLVM vectorises the loop
# (one loop testing the code per element does not vectorise, see tests/benchmarks/NOTES.md).
@jit
def _forward_flat(z, y, code):
    if code == LINEAR:
        _map(z, y, LINEAR)
    elif code == SIGMOID:
        _map(z, y, SIGMOID)
    elif code == TANH:
        _map(z, y, TANH)
    elif code == RELU:
        _map(z, y, RELU)
    elif code == LEAKY:
        _map(z, y, LEAKY)
    elif code == ELU:
        _map(z, y, ELU)
    elif code == GELU:
        _map(z, y, GELU)
    elif code == SOFTPLUS:
        _map(z, y, SOFTPLUS)
    elif code == HARD:
        _map(z, y, HARD)
    elif code == HARD_TF2:
        _map(z, y, HARD_TF2)


@jit
def _backward_flat(z, y, dy, dz, code):
    if code == LINEAR:
        _map_grad(z, y, dy, dz, LINEAR)
    elif code == SIGMOID:
        _map_grad(z, y, dy, dz, SIGMOID)
    elif code == TANH:
        _map_grad(z, y, dy, dz, TANH)
    elif code == RELU:
        _map_grad(z, y, dy, dz, RELU)
    elif code == LEAKY:
        _map_grad(z, y, dy, dz, LEAKY)
    elif code == ELU:
        _map_grad(z, y, dy, dz, ELU)
    elif code == GELU:
        _map_grad(z, y, dy, dz, GELU)
    elif code == SOFTPLUS:
        _map_grad(z, y, dy, dz, SOFTPLUS)
    elif code == HARD:
        _map_grad(z, y, dy, dz, HARD)
    elif code == HARD_TF2:
        _map_grad(z, y, dy, dz, HARD_TF2)


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
