"""Weight-free spatial kernels: global average pooling and UpSampling2D (nearest or bilinear), NHWC."""

import numpy as np


def global_avg_pool_forward(x):
    """Mean over the middle axis of ``x`` (N, S, C): ``(N, C)``."""
    return x.mean(axis=1)


def global_avg_pool_backward(dy, steps):
    """Gradient of :func:`global_avg_pool_forward`: ``dy / steps`` on every step, ``(N, steps, C)``."""
    share = dy[:, None, :] / dy.dtype.type(steps)
    return np.repeat(share, steps, axis=1)


def _bilinear_matrix(length, scale, dtype):
    """``(length·scale, length)`` weights of half-pixel-centred linear interpolation (TensorFlow's and
    PyTorch's ``align_corners=False``), so that upsampling one axis is one matrix product."""
    src = np.maximum((np.arange(length * scale) + 0.5) / scale - 0.5, 0.0)
    low = np.minimum(np.floor(src).astype(np.int64), length - 1)
    high = np.minimum(low + 1, length - 1)
    frac = src - low
    out = np.zeros((length * scale, length), dtype)
    rows = np.arange(length * scale)
    np.add.at(out, (rows, low), 1.0 - frac)
    np.add.at(out, (rows, high), frac)
    return out


def upsample2d_forward(x, size, interpolation):
    """``x`` (N, H, W, C) enlarged ``size = (sh, sw)`` times by repetition or bilinear interpolation."""
    sh, sw = size
    if interpolation == "nearest":
        return x.repeat(sh, axis=1).repeat(sw, axis=2)
    rows, cols = _bilinear_matrix(x.shape[1], sh, x.dtype), _bilinear_matrix(x.shape[2], sw, x.dtype)
    return np.ascontiguousarray(np.einsum("ih,nhwc,jw->nijc", rows, x, cols, optimize=True))


def upsample2d_backward(dy, x_shape, size, interpolation):
    """Gradient of :func:`upsample2d_forward` w.r.t. its input of shape ``x_shape``."""
    n, h, w, c = x_shape
    sh, sw = size
    if interpolation == "nearest":
        return dy.reshape(n, h, sh, w, sw, c).sum(axis=(2, 4))
    rows, cols = _bilinear_matrix(h, sh, dy.dtype), _bilinear_matrix(w, sw, dy.dtype)
    return np.ascontiguousarray(np.einsum("ih,nijc,jw->nhwc", rows, dy, cols, optimize=True))
