"""Merge kernels: NumPy for sums and joins (memory-bound, already optimal), numba where a fused pass saves
passes over memory (maximum with its argmax, products of the other inputs)."""

import numpy as np

from core.kernels.cpu._jit import jit


def _flat(x):
    return np.ascontiguousarray(x).reshape(-1)


def merge_add(xs):
    """Element-wise sum of the tensors in ``xs``."""
    out = np.add(xs[0], xs[1])
    for x in xs[2:]:
        np.add(out, x, out=out)
    return out


def merge_subtract(a, b):
    """``a - b``."""
    return np.subtract(a, b)


def merge_subtract_backward(dout):
    """Gradients of ``a - b``: ``(dout, -dout)``."""
    return dout, np.negative(dout)


def merge_average(xs):
    """Element-wise mean of the tensors in ``xs``."""
    out = merge_add(xs)
    out *= out.dtype.type(1.0 / len(xs))
    return out


def merge_average_backward(dout, n):
    """The gradient each of the ``n`` averaged inputs receives: ``dout / n``."""
    return dout * dout.dtype.type(1.0 / n)


def merge_multiply(xs):
    """Element-wise product of the tensors in ``xs``."""
    out = np.multiply(xs[0], xs[1])
    for x in xs[2:]:
        np.multiply(out, x, out=out)
    return out


@jit
def _others_product(stack, dout, grads):
    """``grads[k] = dout * prod(stack[j] for j != k)`` with prefix and suffix products (no division)."""
    n, size = stack.shape
    for i in range(size):
        prefix = 1.0
        for k in range(n):
            grads[k, i] = prefix
            prefix *= stack[k, i]
        suffix = dout[i]
        for k in range(n - 1, -1, -1):
            grads[k, i] *= suffix
            suffix *= stack[k, i]


def merge_multiply_backward(xs, dout):
    """Gradients of the product: input i gets ``dout`` times the product of all the other inputs."""
    stack = np.stack([_flat(x) for x in xs])
    grads = np.empty_like(stack)
    _others_product(stack, _flat(dout), grads)
    return [g.reshape(dout.shape) for g in grads]


@jit
def _max_into(out, index, x, k):
    for i in range(out.size):
        if x[i] > out[i]:
            out[i] = x[i]
            index[i] = k


def merge_maximum(xs):
    """Element-wise maximum; returns ``(out, index)`` where ``index`` is the first input holding the maximum."""
    out = _flat(xs[0]).copy()
    index = np.zeros(out.size, np.int32)
    for k, x in enumerate(xs[1:], start=1):
        _max_into(out, index, _flat(x), k)
    return out.reshape(xs[0].shape), index.reshape(xs[0].shape)


@jit
def _route(dout, index, k, g):
    for i in range(g.size):
        g[i] = dout[i] if index[i] == k else 0.0


def merge_maximum_backward(dout, index, n):
    """Gradients of the maximum: each element's gradient goes to the input that held it (the first on ties)."""
    d, idx = _flat(dout), _flat(index)
    grads = []
    for k in range(n):
        g = np.empty_like(d)
        _route(d, idx, k, g)
        grads.append(g.reshape(dout.shape))
    return grads


def merge_concatenate(xs, axis):
    """Join the tensors along ``axis`` (an axis of the batched arrays)."""
    return np.concatenate(xs, axis=axis)


def merge_concatenate_backward(dout, sizes, axis):
    """Split ``dout`` along ``axis`` into contiguous pieces of the given sizes (the inputs' sizes on that axis)."""
    return [np.ascontiguousarray(p) for p in np.split(dout, np.cumsum(sizes)[:-1], axis=axis)]
