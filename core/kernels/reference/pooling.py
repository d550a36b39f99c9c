"""Pooling kernels on channels-last data, written to be obviously correct (the test oracle).

Windows and padding follow Keras: ``same`` pads as a convolution with the pool as kernel would; padded cells
never win a max and are not counted by an average (Keras divides by the number of real cells in the window).
Max pooling returns, beside its output, the index ``row * W + col`` of the winning cell (the first one in scan
order on ties), which its backward uses to route the gradient. A NaN wins a max (the first one in scan order), as
``np.argmax`` has it: a bad input shows as NaN instead of vanishing.
"""

import numpy as np

from core.kernels.geometry import geometry


def _windows(xp, pool, strides, out_hw):
    """``(p, q, view)`` for every pool position; the view has the output's shape."""
    for p in range(pool[0]):
        for q in range(pool[1]):
            yield p, q, xp[:, p:p + strides[0] * (out_hw[0] - 1) + 1:strides[0],
                           q:q + strides[1] * (out_hw[1] - 1) + 1:strides[1], :]


def max_pool2d_forward(x, pool, strides, padding):
    """Max pooling of ``x`` (N, H, W, C): returns ``(y, index)``, both of shape (N, OH, OW, C)."""
    pads, out_hw = geometry(x.shape[1:3], pool, strides, padding, (1, 1))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf)
    y = np.full((x.shape[0],) + out_hw + (x.shape[3],), -np.inf, x.dtype)
    index = np.zeros(y.shape, np.int64)
    rows = np.arange(out_hw[0])[None, :, None, None] * strides[0] - pads[0][0]
    cols = np.arange(out_hw[1])[None, None, :, None] * strides[1] - pads[1][0]
    for p, q, view in _windows(xp, pool, strides, out_hw):
        better = (view > y) | (np.isnan(view) & ~np.isnan(y))  # the first NaN wins
        y = np.where(better, view, y)
        index = np.where(better, (rows + p) * x.shape[2] + cols + q, index)
    return y, index


def max_pool2d_backward(dy, index, x_shape):
    """Gradient of :func:`max_pool2d_forward`: ``dy`` goes to the winning cell of each window."""
    n, h, w, c = x_shape
    dx = np.zeros((n, h * w, c), dy.dtype)
    b = np.arange(n)[:, None, None, None]
    ch = np.arange(c)[None, None, None, :]
    np.add.at(dx, (np.broadcast_to(b, dy.shape), index, np.broadcast_to(ch, dy.shape)), dy)
    return dx.reshape(x_shape)


def _counts(x_shape, pool, strides, pads, out_hw, dtype):
    ones = np.pad(np.ones((1,) + tuple(x_shape[1:3]) + (1,), dtype), ((0, 0), pads[0], pads[1], (0, 0)))
    return sum(view for _, _, view in _windows(ones, pool, strides, out_hw))


def avg_pool2d_forward(x, pool, strides, padding):
    """Average pooling of ``x`` (N, H, W, C) over the real (unpadded) cells of each window."""
    pads, out_hw = geometry(x.shape[1:3], pool, strides, padding, (1, 1))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    total = sum(view for _, _, view in _windows(xp, pool, strides, out_hw))
    return total / _counts(x.shape, pool, strides, pads, out_hw, x.dtype)


def avg_pool2d_backward(dy, x_shape, pool, strides, padding):
    """Gradient of :func:`avg_pool2d_forward`."""
    pads, out_hw = geometry(x_shape[1:3], pool, strides, padding, (1, 1))
    share = dy / _counts(x_shape, pool, strides, pads, out_hw, dy.dtype)
    dxp = np.zeros((x_shape[0], x_shape[1] + sum(pads[0]), x_shape[2] + sum(pads[1]), x_shape[3]), dy.dtype)
    for _, _, view in _windows(dxp, pool, strides, out_hw):
        view += share
    return dxp[:, pads[0][0]:pads[0][0] + x_shape[1], pads[1][0]:pads[1][0] + x_shape[2], :]


def global_max_pool_forward(x):
    """Maximum over the middle axis of ``x`` (N, S, C): returns ``(y (N, C), index (N, C))``."""
    index = np.argmax(x, axis=1)
    return np.take_along_axis(x, index[:, None, :], axis=1)[:, 0, :], index


def global_max_pool_backward(dy, index, steps):
    """Gradient of :func:`global_max_pool_forward`: ``(N, steps, C)``."""
    dx = np.zeros((dy.shape[0], steps, dy.shape[1]), dy.dtype)
    np.put_along_axis(dx, index[:, None, :], dy[:, None, :], axis=1)
    return dx
