"""Reshaping kernels on the CPU backend.

These are pure data movement: each output value is one input value, so the work is memory-bound and NumPy's
strided copies already run at memory speed; a numba loop would not beat them. What this module does differently
from the reference is avoid temporaries: padding writes into one preallocated zero array instead of
``np.pad``'s general machinery, and repetition writes through a broadcast view in a single copy.
"""

import numpy as np


def zero_pad_2d(x, pads):
    """``x`` (N, H, W, C) with ``pads = (top, bottom, left, right)`` rows and columns of zeros added."""
    top, bottom, left, right = pads
    n, h, w, c = x.shape
    out = np.zeros((n, h + top + bottom, w + left + right, c), x.dtype)
    out[:, top:top + h, left:left + w] = x
    return out


def crop_2d(x, crops):
    """``x`` (N, H, W, C) with ``crops = (top, bottom, left, right)`` rows and columns removed."""
    top, bottom, left, right = crops
    return np.ascontiguousarray(x[:, top:x.shape[1] - bottom, left:x.shape[2] - right])


def permute_axes(x, axes):
    """``x`` with its axes reordered (``axes`` includes the batch axis 0), as a contiguous array."""
    return np.ascontiguousarray(np.transpose(x, axes))


def repeat_vector(x, n):
    """``(N, F)`` → ``(N, n, F)``: every row repeated ``n`` times."""
    out = np.empty((x.shape[0], n, x.shape[1]), x.dtype)
    out[...] = x[:, None, :]
    return out


def repeat_vector_backward(dout):
    """The gradient of :func:`repeat_vector`: the ``n`` copies summed, ``(N, n, F)`` → ``(N, F)``."""
    return dout.sum(axis=1, dtype=dout.dtype)
