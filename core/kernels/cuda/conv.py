"""Convolutions on the device as im2col + the tiled matrix product.

The forward gathers every output position's receptive field into a row of ``col`` (N·OH·OW, KH·KW·C) (zeros in
the padding) and multiplies by the kernel viewed as (KH·KW·C, O), the bias fused into the product. The backward
is two more products (``colᵀ·dy`` for the kernel, ``dy·Wᵀ`` for the columns) and a col2im gather that sums, for
every input cell, the column entries that read it (no atomics, deterministic). The transposed convolution is
the same machinery with the roles of forward and input gradient swapped. ``*_keep`` keeps ``col`` for the
backward. Geometry (Keras/TensorFlow padding): :mod:`core.kernels.geometry`.
"""

from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty
from core.kernels.cuda._matmul import col_sum, matmul
from core.kernels.geometry import geometry, transpose_pads


@cuda.jit
def _im2col(x, col, kh, kw, geo):
    """``geo = (oh, ow, sh, sw, dh, dw, top, left)``."""
    n, h, w, c = x.shape
    oh, ow, sh, sw, dh, dw, top, left = geo
    width = kh * kw * c
    for i in range(cuda.grid(1), col.size, cuda.gridsize(1)):
        row, k = i // width, i % width
        ch, q, p = k % c, (k // c) % kw, k // (c * kw)
        b, o_col, o_row = row // (oh * ow), row % ow, (row // ow) % oh
        r = o_row * sh + p * dh - top
        s = o_col * sw + q * dw - left
        col[row, k] = x[b, r, s, ch] if 0 <= r < h and 0 <= s < w else 0.0


@cuda.jit
def _col2im(col, x, kh, kw, geo, bias, has_bias):
    """``x[b, r, s, ch] = Σ col[(b, o_row, o_col), (p, q, ch)]`` over the kernel taps that read cell (r, s)."""
    n, h, w, c = x.shape
    oh, ow, sh, sw, dh, dw, top, left = geo
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        ch, s, r, b = i % c, (i // c) % w, (i // (c * w)) % h, i // (c * w * h)
        total = bias[ch] if has_bias else 0.0
        for p in range(kh):
            t = r + top - p * dh
            if t < 0 or t % sh != 0 or t // sh >= oh:
                continue
            for q in range(kw):
                u = s + left - q * dw
                if u < 0 or u % sw != 0 or u // sw >= ow:
                    continue
                total += col[(b * oh + t // sh) * ow + u // sw, (p * kw + q) * c + ch]
        x[b, r, s, ch] = total


def _geo(out_hw, strides, dilation, pads):
    return (int(out_hw[0]), int(out_hw[1]), int(strides[0]), int(strides[1]), int(dilation[0]), int(dilation[1]),
            int(pads[0][0]), int(pads[1][0]))


def _columns(x, kh, kw, geo):
    col = empty((x.shape[0] * geo[0] * geo[1], kh * kw * x.shape[3]), x.dtype)
    if col.size:
        _im2col[blocks(col.size), THREADS](x, col, kh, kw, geo)
    return col


def _gather(col, x_shape, kh, kw, geo, bias=None):
    x = empty(tuple(x_shape), col.dtype)
    if x.size:
        _col2im[blocks(x.size), THREADS](col, x, kh, kw, geo, dev(bias) if bias is not None else col[0],
                                         bias is not None)
    return x


def _forward(x, w, b, strides, padding, dilation):
    """``(y, (col, x_shape))`` of a 2-D convolution with an HWIO kernel."""
    x, w = dev(x), dev(w)
    kh, kw, c, o = w.shape
    pads, out_hw = geometry(x.shape[1:3], (kh, kw), strides, padding, dilation)
    geo = _geo(out_hw, strides, dilation, pads)
    col = _columns(x, kh, kw, geo)
    y = matmul(col, w.reshape(kh * kw * c, o), bias=b)
    return y.reshape((x.shape[0],) + tuple(out_hw) + (o,)), (col, tuple(x.shape))


def _backward(kept, w, dy, strides, padding, dilation, need_dx):
    col, x_shape = kept
    w, dy = dev(w), dev(dy)
    kh, kw, c, o = w.shape
    pads, out_hw = geometry(x_shape[1:3], (kh, kw), strides, padding, dilation)
    dy2 = dy.reshape(dy.size // o, o)
    w2 = w.reshape(kh * kw * c, o)
    dx = None
    if need_dx:
        dx = _gather(matmul(dy2, w2, tb=True), x_shape, kh, kw, _geo(out_hw, strides, dilation, pads))
    return dx, matmul(col, dy2, ta=True).reshape(tuple(w.shape)), col_sum(dy2)


def conv2d_forward(x, w, b, strides, padding, dilation):
    """2-D convolution of ``x`` (N, H, W, C) with an HWIO kernel; ``b`` (out,) or None."""
    return _forward(x, w, b, strides, padding, dilation)[0]


def conv2d_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_forward`: ``(dx or None, dw, db)``."""
    return conv2d_backward_kept(conv2d_forward_keep(x, w, None, strides, padding, dilation)[1], w, dy, strides,
                                padding, dilation, need_dx)


def conv2d_forward_keep(x, w, b, strides, padding, dilation):
    """:func:`conv2d_forward` that also returns the im2col columns for the backward: ``(y, kept)``."""
    return _forward(x, w, b, strides, padding, dilation)


def conv2d_backward_kept(kept, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_forward_keep` from its ``kept``: ``(dx or None, dw, db)``."""
    return _backward(kept, w, dy, strides, padding, dilation, need_dx)


def _as_2d(x, w, dy=None):
    """1-D data as one row of pixels, the kernel as a one-row kernel."""
    x4 = None if x is None else dev(x).reshape((x.shape[0], 1) + tuple(x.shape[1:]))
    w4 = dev(w).reshape((1,) + tuple(w.shape))
    return x4, w4, None if dy is None else dev(dy).reshape((dy.shape[0], 1) + tuple(dy.shape[1:]))


def _squeeze_1d(y):
    return y.reshape((y.shape[0],) + tuple(y.shape[2:]))


def conv1d_forward_keep(x, w, b, stride, padding, dilation):
    """1-D convolution of ``x`` (N, L, C) with a ``(k, in, out)`` kernel, and the columns: ``(y, kept)``."""
    x4, w4, _ = _as_2d(x, w)
    y, kept = _forward(x4, w4, b, (1, stride), padding, (1, dilation))
    return _squeeze_1d(y), kept


def conv1d_backward_kept(kept, w, dy, stride, padding, dilation, need_dx):
    """Gradients of :func:`conv1d_forward_keep` from its ``kept``: ``(dx or None, dw, db)``."""
    _, w4, dy4 = _as_2d(None, w, dy)
    dx, dw, db = _backward(kept, w4, dy4, (1, stride), padding, (1, dilation), need_dx)
    return (None if dx is None else _squeeze_1d(dx)), dw.reshape(tuple(w.shape)), db


def conv1d_forward(x, w, b, stride, padding, dilation):
    """1-D convolution of ``x`` (N, L, C) with a ``(k, in, out)`` kernel; padding valid, same or causal."""
    return conv1d_forward_keep(x, w, b, stride, padding, dilation)[0]


def conv1d_backward(x, w, dy, stride, padding, dilation, need_dx):
    """Gradients of :func:`conv1d_forward`: ``(dx or None, dw, db)``."""
    kept = conv1d_forward_keep(x, w, None, stride, padding, dilation)[1]
    return conv1d_backward_kept(kept, w, dy, stride, padding, dilation, need_dx)


def conv2d_transpose_forward(x, w, b, strides, padding, dilation, out_hw):
    """Transposed 2-D convolution of ``x`` (N, H, W, in) with a ``(kh, kw, out, in)`` kernel to spatial size
    ``out_hw``: the input gradient of the convolution from ``out_hw`` to ``x``'s size, plus the bias."""
    x, w = dev(x), dev(w)
    kh, kw, o, c = w.shape
    pads = transpose_pads(out_hw, w, strides, padding, dilation)
    col = matmul(x.reshape(x.size // c, c), w.reshape(kh * kw * o, c), tb=True)
    geo = _geo(x.shape[1:3], strides, dilation, pads)
    return _gather(col, (x.shape[0],) + tuple(out_hw) + (o,), kh, kw, geo, b)


def conv2d_transpose_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_transpose_forward`: ``(dx or None, dw, db)``."""
    x, w, dy = dev(x), dev(w), dev(dy)
    kh, kw, o, c = w.shape
    pads = transpose_pads(dy.shape[1:3], w, strides, padding, dilation)
    geo = _geo(x.shape[1:3], strides, dilation, pads)
    col = _columns(dy, kh, kw, geo)
    dx = matmul(col, w.reshape(kh * kw * o, c)).reshape(tuple(x.shape)) if need_dx else None
    dw = matmul(col, x.reshape(x.size // c, c), ta=True).reshape(tuple(w.shape))
    return dx, dw, col_sum(dy.reshape(dy.size // o, o))
