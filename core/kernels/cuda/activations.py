"""Activation functions and their derivatives on the device: one element-wise pass each (softmax: one thread
per row), by kernel code (see :mod:`core.activations`); the formulas are :mod:`core.kernels.formulas`."""

import math

from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty, flat
from core.kernels.cuda._formulas import act, dact
from core.kernels.formulas import SOFTMAX


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

