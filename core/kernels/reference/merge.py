"""Merge kernels, plain NumPy: combine several tensors of one shape element-wise, or join them along an axis."""

import numpy as np


def merge_add(xs):
    """Element-wise sum of the tensors in ``xs``."""
    out = xs[0].copy()
    for x in xs[1:]:
        out = out + x
    return out


def merge_subtract(a, b):
    """``a - b``."""
    return a - b


def merge_subtract_backward(dout):
    """Gradients of ``a - b``: ``(dout, -dout)``."""
    return dout, -dout


def merge_average(xs):
    """Element-wise mean of the tensors in ``xs``."""
    return merge_add(xs) / len(xs)


def merge_average_backward(dout, n):
    """The gradient each of the ``n`` averaged inputs receives: ``dout / n``."""
    return dout / n


def merge_multiply(xs):
    """Element-wise product of the tensors in ``xs``."""
    out = xs[0].copy()
    for x in xs[1:]:
        out = out * x
    return out


def merge_multiply_backward(xs, dout):
    """Gradients of the product: input i gets ``dout`` times the product of all the other inputs."""
    grads = []
    for i in range(len(xs)):
        g = dout.copy()
        for j, x in enumerate(xs):
            if j != i:
                g = g * x
        grads.append(g)
    return grads


def merge_maximum(xs):
    """Element-wise maximum; returns ``(out, index)`` where ``index`` is the first input holding the maximum."""
    stacked = np.stack(xs)
    index = stacked.argmax(axis=0)
    return stacked.max(axis=0), index


def merge_maximum_backward(dout, index, n):
    """Gradients of the maximum: each element's gradient goes to the input that held it (the first on ties)."""
    return [np.where(index == k, dout, 0).astype(dout.dtype) for k in range(n)]


def merge_concatenate(xs, axis):
    """Join the tensors along ``axis`` (an axis of the batched arrays)."""
    return np.concatenate(xs, axis=axis)


def merge_concatenate_backward(dout, sizes, axis):
    """Split ``dout`` along ``axis`` into pieces of the given sizes (the inputs' sizes on that axis)."""
    return np.split(dout, np.cumsum(sizes)[:-1], axis=axis)
