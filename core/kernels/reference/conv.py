"""Convolution kernels on channels-last data, written to be obviously correct (the test oracle).

Every convolution here is a cross-correlation, as in Keras: ``y[b, i, j, o] = bias[o] + sum over (p, q, c) of
x[b, i*s + p*d - pad_top, j*s + q*d - pad_left, c] * w[p, q, c, o]``, with zeros outside the input. The loops
run over kernel positions; each position is one matrix product of a strided view of the padded input.

Padding follows Keras (TensorFlow): see :mod:`core.kernels.geometry`.
"""

import numpy as np

from core.kernels.geometry import geometry, out_length, pad_amounts, transpose_pads


def _window(xp, p, q, out_hw, strides, dilation):
    """The view of the padded input that kernel position ``(p, q)`` multiplies, shape ``(N, OH, OW, C)``."""
    r0, c0 = p * dilation[0], q * dilation[1]
    return xp[:, r0:r0 + strides[0] * (out_hw[0] - 1) + 1:strides[0],
              c0:c0 + strides[1] * (out_hw[1] - 1) + 1:strides[1], :]


def _forward(x, w, b, strides, pads, out_hw, dilation):
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    y = np.zeros((x.shape[0],) + tuple(out_hw) + (w.shape[3],), x.dtype)
    for p in range(w.shape[0]):
        for q in range(w.shape[1]):
            y += _window(xp, p, q, out_hw, strides, dilation) @ w[p, q]
    return y if b is None else y + b


def _input_grad(dy, w, x_shape, strides, pads, dilation):
    xp = np.zeros((x_shape[0], x_shape[1] + sum(pads[0]), x_shape[2] + sum(pads[1]), x_shape[3]), dy.dtype)
    out_hw = dy.shape[1:3]
    for p in range(w.shape[0]):
        for q in range(w.shape[1]):
            _window(xp, p, q, out_hw, strides, dilation)[...] += dy @ w[p, q].T
    return xp[:, pads[0][0]:pads[0][0] + x_shape[1], pads[1][0]:pads[1][0] + x_shape[2], :]


def _weight_grad(x, dy, w_shape, strides, pads, dilation):
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dw = np.zeros(w_shape, x.dtype)
    dy2 = dy.reshape(-1, dy.shape[-1])
    for p in range(w_shape[0]):
        for q in range(w_shape[1]):
            dw[p, q] = _window(xp, p, q, dy.shape[1:3], strides, dilation).reshape(-1, x.shape[-1]).T @ dy2
    return dw


def conv2d_forward(x, w, b, strides, padding, dilation):
    """2-D convolution of ``x`` (N, H, W, C) with an HWIO kernel; ``b`` (out,) or None."""
    pads, out_hw = geometry(x.shape[1:3], w.shape[:2], strides, padding, dilation)
    return _forward(x, w, b, strides, pads, out_hw, dilation)


def conv2d_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_forward`: ``(dx or None, dw, db)``."""
    pads, _ = geometry(x.shape[1:3], w.shape[:2], strides, padding, dilation)
    dx = _input_grad(dy, w, x.shape, strides, pads, dilation) if need_dx else None
    return dx, _weight_grad(x, dy, w.shape, strides, pads, dilation), dy.sum(axis=(0, 1, 2))


def conv1d_forward(x, w, b, stride, padding, dilation):
    """1-D convolution of ``x`` (N, L, C) with a ``(k, in, out)`` kernel; padding valid, same or causal."""
    pads = ((0, 0), pad_amounts(x.shape[1], w.shape[0], stride, dilation, padding))
    out_len = out_length(x.shape[1], w.shape[0], stride, dilation, *pads[1])
    y = _forward(x[:, None], w[None], b, (1, stride), pads, (1, out_len), (1, dilation))
    return y[:, 0]


def conv1d_backward(x, w, dy, stride, padding, dilation, need_dx):
    """Gradients of :func:`conv1d_forward`: ``(dx or None, dw, db)``."""
    pads = ((0, 0), pad_amounts(x.shape[1], w.shape[0], stride, dilation, padding))
    x4, dy4 = x[:, None], dy[:, None]
    dx = _input_grad(dy4, w[None], x4.shape, (1, stride), pads, (1, dilation))[:, 0] if need_dx else None
    dw = _weight_grad(x4, dy4, (1,) + w.shape, (1, stride), pads, (1, dilation))[0]
    return dx, dw, dy.sum(axis=(0, 1))


def conv2d_forward_keep(x, w, b, strides, padding, dilation):
    """:func:`conv2d_forward` that also returns what :func:`conv2d_backward_kept` needs: ``(y, kept)``. (Fast
    backends keep intermediate results here; the reference keeps the input.)"""
    return conv2d_forward(x, w, b, strides, padding, dilation), x


def conv2d_backward_kept(kept, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_forward_keep` from its ``kept``: ``(dx or None, dw, db)``."""
    return conv2d_backward(kept, w, dy, strides, padding, dilation, need_dx)


def conv1d_forward_keep(x, w, b, stride, padding, dilation):
    """:func:`conv1d_forward` that also returns what :func:`conv1d_backward_kept` needs: ``(y, kept)``."""
    return conv1d_forward(x, w, b, stride, padding, dilation), x


def conv1d_backward_kept(kept, w, dy, stride, padding, dilation, need_dx):
    """Gradients of :func:`conv1d_forward_keep` from its ``kept``: ``(dx or None, dw, db)``."""
    return conv1d_backward(kept, w, dy, stride, padding, dilation, need_dx)


def conv2d_transpose_forward(x, w, b, strides, padding, dilation, out_hw):
    """Transposed 2-D convolution of ``x`` (N, H, W, in) with a Keras ``(kh, kw, out, in)`` kernel to an
    output of spatial size ``out_hw``; ``b`` (out,) or None."""
    pads = transpose_pads(out_hw, w, strides, padding, dilation)
    y = _input_grad(x, w, (x.shape[0],) + tuple(out_hw) + (w.shape[2],), strides, pads, dilation)
    return y if b is None else y + b


def conv2d_transpose_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_transpose_forward`: ``(dx or None, dw, db)``."""
    pads = transpose_pads(dy.shape[1:3], w, strides, padding, dilation)
    dx = _forward(dy, w, None, strides, pads, x.shape[1:3], dilation) if need_dx else None
    return dx, _weight_grad(dy, x, w.shape, strides, pads, dilation), dy.sum(axis=(0, 1, 2))
