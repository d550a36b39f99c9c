"""Dense kernels: BLAS for the products, numba for the bias passes."""

import numpy as np

from core.kernels.cpu._jit import jit


@jit
def _add_bias(z, b):
    rows, cols = z.shape
    for i in range(rows):
        for j in range(cols):
            z[i, j] += b[j]


@jit
def _col_sum(dz):
    rows, cols = dz.shape
    out = np.zeros(cols, dz.dtype)
    for i in range(rows):
        for j in range(cols):
            out[j] += dz[i, j]
    return out


def dense_forward(x, w, b):
    """``x @ w + b``; ``b`` may be None."""
    z = x @ w
    if b is not None:
        _add_bias(z, b)
    return z


def dense_backward(x, w, dz, need_dx):
    """Gradients of ``x @ w + b``: returns ``(dx or None, dw, db)``."""
    dz = np.ascontiguousarray(dz)
    dx = dz @ w.T if need_dx else None
    return dx, x.T @ dz, _col_sum(dz)
