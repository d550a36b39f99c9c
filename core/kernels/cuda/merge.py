"""Merge kernels on the device (Add, Subtract, Average, Multiply, Maximum, Concatenate): element-wise passes
over flat views; Concatenate copies each input into its column band of the output viewed as
``(outer, axis·inner)``."""

import math

import numpy as np
from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty, flat
from core.kernels.cuda.tensor import assign, mul, scale

ADD, SUB, MUL = 0, 1, 2


@cuda.jit
def _combine(a, b, out, op):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        if op == ADD:
            out[i] = a[i] + b[i]
        elif op == SUB:
            out[i] = a[i] - b[i]
        else:
            out[i] = a[i] * b[i]


@cuda.jit
def _max_into(out, index, x, k):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        if x[i] > out[i]:
            out[i] = x[i]
            index[i] = k


@cuda.jit
def _route(dout, index, k, g):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        g[i] = dout[i] if index[i] == k else 0.0


def _run(kernel, size, *args):
    if size:
        kernel[blocks(size), THREADS](*args)


def _fold(xs, op):
    xs = [dev(x) for x in xs]
    out = empty(xs[0].shape, xs[0].dtype)
    _run(_combine, out.size, flat(xs[0]), flat(xs[1]), flat(out), op)
    for x in xs[2:]:
        _run(_combine, out.size, flat(out), flat(x), flat(out), op)
    return out


def merge_add(xs):
    """Element-wise sum of the inputs."""
    return _fold(xs, ADD)


def merge_subtract(a, b):
    """``a - b``."""
    return _fold([a, b], SUB)


def merge_subtract_backward(dout):
    """Gradients of ``a - b``: ``(dout, -dout)``."""
    return dev(dout), scale(dout, -1.0)


def merge_average(xs):
    """Element-wise mean of the inputs."""
    return scale(merge_add(xs), 1.0 / len(xs))


def merge_average_backward(dout, n):
    """The gradient reaching each of the ``n`` averaged inputs."""
    return scale(dout, 1.0 / n)


def merge_multiply(xs):
    """Element-wise product of the inputs."""
    return _fold(xs, MUL)


def merge_multiply_backward(xs, dout):
    """Each input's gradient: ``dout`` times the product of the other inputs."""
    grads = []
    for k in range(len(xs)):
        g = dev(dout)
        for j, x in enumerate(xs):
            if j != k:
                g = mul(g, x)
        grads.append(g)
    return grads


def merge_maximum(xs):
    """Element-wise maximum and the index of the input that held it (the first one on ties)."""
    xs = [dev(x) for x in xs]
    out = empty(xs[0].shape, xs[0].dtype)
    assign(out, xs[0])
    index = empty(xs[0].shape, np.int32)
    _run(_route_zero, index.size, flat(index))
    for k, x in enumerate(xs[1:], start=1):
        _run(_max_into, out.size, flat(out), flat(index), flat(x), k)
    return out, index


@cuda.jit
def _route_zero(index):
    for i in range(cuda.grid(1), index.size, cuda.gridsize(1)):
        index[i] = 0


def merge_maximum_backward(dout, index, n):
    """Gradients of :func:`merge_maximum`: ``dout`` goes to the input that held the maximum."""
    dout = dev(dout)
    grads = []
    for k in range(n):
        g = empty(dout.shape, dout.dtype)
        _run(_route, g.size, flat(dout), flat(index), k, flat(g))
        grads.append(g)
    return grads


@cuda.jit
def _band(src, dst, offset, to_dst):
    """Copy between ``src`` (outer, w) and the band ``[offset, offset + w)`` of ``dst``'s columns."""
    rows, width = src.shape
    for i in range(cuda.grid(1), rows * width, cuda.gridsize(1)):
        r, c = i // width, i % width
        if to_dst:
            dst[r, offset + c] = src[r, c]
        else:
            src[r, c] = dst[r, offset + c]


def _as_bands(shape, axis):
    outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    return outer, inner


def merge_concatenate(xs, axis):
    """The inputs joined along ``axis`` (counting the batch axis)."""
    xs = [dev(x) for x in xs]
    shape = list(xs[0].shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    out = empty(tuple(shape), xs[0].dtype)
    outer, inner = _as_bands(shape, axis)
    out2 = out.reshape(outer, shape[axis] * inner)
    offset = 0
    for x in xs:
        width = x.shape[axis] * inner
        _run(_band, outer * width, x.reshape(outer, width), out2, offset, True)
        offset += width
    return out


def merge_concatenate_backward(dout, sizes, axis):
    """The gradient of :func:`merge_concatenate`: ``dout`` split back into the inputs' sizes on ``axis``."""
    dout = dev(dout)
    shape = tuple(dout.shape)
    outer, inner = _as_bands(shape, axis)
    d2 = dout.reshape(outer, shape[axis] * inner)
    grads, offset = [], 0
    for size in sizes:
        g = empty(shape[:axis] + (size,) + shape[axis + 1:], dout.dtype)
        _run(_band, outer * size * inner, g.reshape(outer, size * inner), d2, offset, False)
        grads.append(g)
        offset += size * inner
    return grads


__all__ = ["merge_add", "merge_average", "merge_average_backward", "merge_concatenate",
           "merge_concatenate_backward", "merge_maximum", "merge_maximum_backward", "merge_multiply",
           "merge_multiply_backward", "merge_subtract", "merge_subtract_backward"]
