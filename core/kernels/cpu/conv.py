"""Convolution kernels: im2col / col2im in numba (parallel over the batch), one BLAS product each from Python.

``im2col`` lays every receptive field out as one row of ``(kh·kw·C)`` values in HWIO order, so that the HWIO
kernel reshaped to ``(kh·kw·C, out)`` turns the convolution into one matrix product whose result is already
channels-last. The input gradient is that product transposed, scattered back by ``col2im``. Padding and
output sizes follow Keras, computed once in :mod:`core.kernels.reference.conv`.
"""

import numpy as np
from numba import njit, prange

from core.kernels.reference.conv import _geometry, _out_length, _pad_amounts, _transpose_pads

_pjit = njit(parallel=True, nogil=True, cache=True, error_model="numpy")


@_pjit
def _im2col(x, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cols):
    n, h, w, c = x.shape
    for b in prange(n):
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for p in range(kh):
                    r = i * sh - pt + p * dh
                    for q in range(kw):
                        col = j * sw - pl + q * dw
                        base = (p * kw + q) * c
                        if 0 <= r < h and 0 <= col < w:
                            for ch in range(c):
                                cols[row, base + ch] = x[b, r, col, ch]
                        else:
                            for ch in range(c):
                                cols[row, base + ch] = 0.0


@_pjit
def _col2im(cols, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, dx):
    n, h, w, c = dx.shape
    for b in prange(n):
        dx[b] = 0.0
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for p in range(kh):
                    r = i * sh - pt + p * dh
                    if r < 0 or r >= h:
                        continue
                    for q in range(kw):
                        col = j * sw - pl + q * dw
                        if 0 <= col < w:
                            base = (p * kw + q) * c
                            for ch in range(c):
                                dx[b, r, col, ch] += cols[row, base + ch]


def _columns(x, w_hw, strides, pads, out_hw, dilation):
    """The im2col matrix ``(N·OH·OW, kh·kw·C)`` of ``x``; a plain reshape for an unpadded 1×1 kernel."""
    if tuple(w_hw) == (1, 1) and tuple(strides) == (1, 1) and pads[0] == (0, 0) and pads[1] == (0, 0):
        return x.reshape(-1, x.shape[3])
    x = np.ascontiguousarray(x)
    cols = np.empty((x.shape[0] * out_hw[0] * out_hw[1], w_hw[0] * w_hw[1] * x.shape[3]), x.dtype)
    _im2col(x, w_hw[0], w_hw[1], strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0],
            out_hw[0], out_hw[1], cols)
    return cols


def _forward(x, w, b, strides, pads, out_hw, dilation):
    y = _columns(x, w.shape[:2], strides, pads, out_hw, dilation) @ w.reshape(-1, w.shape[3])
    if b is not None:
        y += b
    return y.reshape((x.shape[0],) + tuple(out_hw) + (w.shape[3],))


def _input_grad(dy, w, x_shape, strides, pads, dilation):
    dcols = np.ascontiguousarray(dy).reshape(-1, w.shape[3]) @ w.reshape(-1, w.shape[3]).T
    if w.shape[:2] == (1, 1) and tuple(strides) == (1, 1) and pads[0] == (0, 0) and pads[1] == (0, 0):
        return dcols.reshape(x_shape)
    dx = np.empty(x_shape, dy.dtype)
    _col2im(dcols, w.shape[0], w.shape[1], strides[0], strides[1], dilation[0], dilation[1], pads[0][0],
            pads[1][0], dy.shape[1], dy.shape[2], dx)
    return dx


def _weight_grad(x, dy, w_shape, strides, pads, dilation):
    cols = _columns(x, w_shape[:2], strides, pads, dy.shape[1:3], dilation)
    return (cols.T @ np.ascontiguousarray(dy).reshape(-1, w_shape[3])).reshape(w_shape)


def _bias_grad(dy):
    dy2 = np.ascontiguousarray(dy).reshape(-1, dy.shape[-1])
    return np.ones(dy2.shape[0], dy.dtype) @ dy2


def conv2d_forward(x, w, b, strides, padding, dilation):
    """2-D convolution of ``x`` (N, H, W, C) with an HWIO kernel; ``b`` (out,) or None."""
    pads, out_hw = _geometry(x.shape[1:3], w.shape[:2], strides, padding, dilation)
    return _forward(x, w, b, strides, pads, out_hw, dilation)


def conv2d_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_forward`: ``(dx or None, dw, db)``."""
    pads, _ = _geometry(x.shape[1:3], w.shape[:2], strides, padding, dilation)
    dx = _input_grad(dy, w, x.shape, strides, pads, dilation) if need_dx else None
    return dx, _weight_grad(x, dy, w.shape, strides, pads, dilation), _bias_grad(dy)


def conv1d_forward(x, w, b, stride, padding, dilation):
    """1-D convolution of ``x`` (N, L, C) with a ``(k, in, out)`` kernel; padding valid, same or causal."""
    pads = ((0, 0), _pad_amounts(x.shape[1], w.shape[0], stride, dilation, padding))
    out_len = _out_length(x.shape[1], w.shape[0], stride, dilation, *pads[1])
    y = _forward(x[:, None], w[None], b, (1, stride), pads, (1, out_len), (1, dilation))
    return y[:, 0]


def conv1d_backward(x, w, dy, stride, padding, dilation, need_dx):
    """Gradients of :func:`conv1d_forward`: ``(dx or None, dw, db)``."""
    pads = ((0, 0), _pad_amounts(x.shape[1], w.shape[0], stride, dilation, padding))
    x4, dy4 = x[:, None], dy[:, None]
    dx = _input_grad(dy4, w[None], x4.shape, (1, stride), pads, (1, dilation))[:, 0] if need_dx else None
    dw = _weight_grad(x4, dy4, (1,) + w.shape, (1, stride), pads, (1, dilation))[0]
    return dx, dw, _bias_grad(dy)


def conv2d_transpose_forward(x, w, b, strides, padding, dilation, out_hw):
    """Transposed 2-D convolution of ``x`` (N, H, W, in) with a Keras ``(kh, kw, out, in)`` kernel to an
    output of spatial size ``out_hw``; ``b`` (out,) or None."""
    pads = _transpose_pads(out_hw, w, strides, padding, dilation)
    y = _input_grad(x, w, (x.shape[0],) + tuple(out_hw) + (w.shape[2],), strides, pads, dilation)
    if b is not None:
        y += b
    return y


def conv2d_transpose_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_transpose_forward`: ``(dx or None, dw, db)``."""
    pads = _transpose_pads(dy.shape[1:3], w, strides, padding, dilation)
    dx = _forward(dy, w, None, strides, pads, x.shape[1:3], dilation) if need_dx else None
    return dx, _weight_grad(dy, x, w.shape, strides, pads, dilation), _bias_grad(dy)
