"""Dense kernels on the device: the tiled matrix product with the bias fused into its epilogue."""

from core.kernels.cuda._device import dev
from core.kernels.cuda._matmul import col_sum, matmul


def dense_forward(x, w, b):
    """``x @ w + b``; ``b`` may be None."""
    return matmul(dev(x), dev(w), bias=b)


def dense_backward(x, w, dz, need_dx):
    """Gradients of ``x @ w + b``: returns ``(dx or None, dw, db)``."""
    x, w, dz = dev(x), dev(w), dev(dz)
    dx = matmul(dz, w, tb=True) if need_dx else None
    return dx, matmul(x, dz, ta=True), col_sum(dz)
