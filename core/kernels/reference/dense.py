"""Dense (fully connected) kernels on 2-D inputs ``(batch, features)``."""

import numpy as np


def dense_forward(x, w, b):
    """``x @ w + b``; ``b`` may be None."""
    z = x @ w
    return z if b is None else z + b


def dense_backward(x, w, dz, need_dx):
    """Gradients of ``x @ w + b``: returns ``(dx or None, dw, db)``."""
    dx = dz @ w.T if need_dx else None
    return dx, x.T @ dz, dz.sum(axis=0)
