"""Pooling kernels in numba.

Max pooling keeps the index ``row * W + col`` of each window's winner (int32: half the memory traffic of int64)
so that backward is one scatter pass; the common 2×2 / stride 2 windows without padding have an unrolled forward.
These two run on the calling thread, or for large inputs in slices of the batch shared out to threads; the other
pooling kernels are numba loops parallel over the batch. Average pooling divides by the number of real
(unpadded) cells, as Keras does. A max over a window that holds a NaN is NaN, as on the reference backend (its
index is then one of the window's cells: no gradient goes back through a NaN loss). The NaN is found by a
separate ``v == v`` flag rather than in the comparison that picks the winner, which then stays one select that
LLVM vectorises (a NaN test inside it made the 2×2 pooling about 7 times slower). Other windows are pooled as
they were, and only where the input holds a NaN (a ``min`` over it says so) a second pass over its NaN marks
finds the windows to set to NaN: a test in their loops cost them a sixth of their time.
"""

import math

import numpy as np
from numba import njit, prange

from core.kernels.cpu import _conv_threads as _threads
from core.kernels.cpu._jit import jit
from core.kernels.cpu.conv import _empty
from core.kernels.geometry import geometry

_pjit = njit(parallel=True, nogil=True, cache=True, error_model="numpy")
# Waking a second thread costs more than pooling a LeNet batch gains from it (it ran as fast or faster on one
# thread, and far faster for smaller inputs). Larger inputs are cut into slices shared out to threads.
PARALLEL_MIN = 2**20


@_pjit
def _max_pool(x, ph, pw, sh, sw, pt, pl, y, index):
    n, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for b in prange(n):
        for i in range(oh):
            r0, r1 = max(i * sh - pt, 0), min(i * sh - pt + ph, h)
            for j in range(ow):
                c0, c1 = max(j * sw - pl, 0), min(j * sw - pl + pw, w)
                for ch in range(c):
                    best = x[b, r0, c0, ch]
                    arg = r0 * w + c0
                    for r in range(r0, r1):
                        for col in range(c0, c1):
                            v = x[b, r, col, ch]
                            if v > best:
                                best = v
                                arg = r * w + col
                    y[b, i, j, ch] = best
                    index[b, i, j, ch] = arg


@jit
def _max_unpool_span(dy, index, dx, b0, b1):
    """Samples ``b0..b1`` of :func:`max_pool2d_backward`: zero, then add each gradient at its winner."""
    n, h, w, c = dx.shape
    oh, ow = dy.shape[1], dy.shape[2]
    for b in range(b0, b1):
        dxb = dx[b].reshape(h * w, c)
        dxb[:] = 0.0
        for i in range(oh):
            for j in range(ow):
                grad, arg = dy[b, i, j], index[b, i, j]
                for ch in range(c):
                    dxb[arg[ch], ch] += grad[ch]


@jit
def _max_pool_2x2_span(x, y, index, b0, b1):
    """Samples ``b0..b1`` of a max pooling with 2×2 windows, stride 2 and no padding, unrolled: the generic
    window loops (and their short channel loops) run several times slower on few channels."""
    w, c = x.shape[2], x.shape[3]
    oh, ow = y.shape[1], y.shape[2]
    for b in range(b0, b1):
        xb = x[b]
        for i in range(oh):
            for j in range(ow):
                k = 2 * i * w + 2 * j
                top, low = xb[2 * i, 2 * j:2 * j + 2], xb[2 * i + 1, 2 * j:2 * j + 2]
                best, arg = y[b, i, j], index[b, i, j]
                for ch in range(c):  # selects on registers; stores once per output
                    m, a = top[0, ch], k
                    finite = m == m
                    v = top[1, ch]
                    finite = finite & (v == v)
                    a, m = (k + 1, v) if v > m else (a, m)
                    v = low[0, ch]
                    finite = finite & (v == v)
                    a, m = (k + w, v) if v > m else (a, m)
                    v = low[1, ch]
                    finite = finite & (v == v)
                    a, m = (k + w + 1, v) if v > m else (a, m)
                    best[ch] = m if finite else math.nan
                    arg[ch] = a


def _over_samples(span, size, *args):
    """Run a per-sample kernel on this thread when ``size`` is below ``PARALLEL_MIN``, else in slices of the batch
    shared out to threads."""
    n = args[0].shape[0]
    parts = 1 if size < PARALLEL_MIN else _threads.pieces(n)
    _threads.each(lambda part: span(*args, *part), _threads.spans(n, parts))


@_pjit
def _avg_pool(x, ph, pw, sh, sw, pt, pl, y):
    n, h, w, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for b in prange(n):
        for i in range(oh):
            r0, r1 = max(i * sh - pt, 0), min(i * sh - pt + ph, h)
            for j in range(ow):
                c0, c1 = max(j * sw - pl, 0), min(j * sw - pl + pw, w)
                inv = 1.0 / ((r1 - r0) * (c1 - c0))
                y[b, i, j, :] = 0.0
                for r in range(r0, r1):
                    for col in range(c0, c1):
                        for ch in range(c):
                            y[b, i, j, ch] += x[b, r, col, ch]
                for ch in range(c):
                    y[b, i, j, ch] *= inv


@_pjit
def _avg_unpool(dy, ph, pw, sh, sw, pt, pl, dx):
    n, h, w, c = dx.shape
    oh, ow = dy.shape[1], dy.shape[2]
    for b in prange(n):
        dx[b] = 0.0
        for i in range(oh):
            r0, r1 = max(i * sh - pt, 0), min(i * sh - pt + ph, h)
            for j in range(ow):
                c0, c1 = max(j * sw - pl, 0), min(j * sw - pl + pw, w)
                inv = 1.0 / ((r1 - r0) * (c1 - c0))
                for r in range(r0, r1):
                    for col in range(c0, c1):
                        for ch in range(c):
                            dx[b, r, col, ch] += dy[b, i, j, ch] * inv


@jit
def _global_max(x, y, index):
    n, steps, c = x.shape
    for b in range(n):
        for ch in range(c):
            y[b, ch] = x[b, 0, ch]
            index[b, ch] = 0
        for t in range(1, steps):
            for ch in range(c):
                v = x[b, t, ch]
                if v > y[b, ch] or v != v:  # a NaN stays (nothing is greater), the last one wins
                    y[b, ch] = v
                    index[b, ch] = t


@jit
def _global_unmax(dy, index, dx):
    n, c = dy.shape
    for b in range(n):
        for ch in range(c):
            dx[b, index[b, ch], ch] = dy[b, ch]


def max_pool2d_forward(x, pool, strides, padding):
    """Max pooling of ``x`` (N, H, W, C): returns ``(y, index)``, both of shape (N, OH, OW, C)."""
    pads, out_hw = geometry(x.shape[1:3], pool, strides, padding, (1, 1))
    y = _empty((x.shape[0],) + out_hw + (x.shape[3],), x.dtype)
    index = _empty(y.shape, np.int32)
    if _is_2x2(pool, strides, pads):
        _over_samples(_max_pool_2x2_span, x.size, np.ascontiguousarray(x), y, index)
    else:
        x = np.ascontiguousarray(x)
        args = pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0]
        _max_pool(x, *args, y, index)
        if x.size and np.isnan(x.min()):  # one reduction says whether any window needs NaN put back
            marks = np.empty_like(y)
            _max_pool(np.isnan(x).astype(x.dtype), *args, marks, np.empty_like(index))
            y[marks > 0] = np.nan
    return y, index


def max_pool2d_backward(dy, index, x_shape):
    """Gradient of :func:`max_pool2d_forward`: ``dy`` goes to the winning cell of each window."""
    dx = _empty(x_shape, dy.dtype)
    _over_samples(_max_unpool_span, dx.size, np.ascontiguousarray(dy), index, dx)
    return dx


def _is_2x2(pool, strides, pads):
    """Whether a max pooling has the non-overlapping 2×2 windows of :func:`_max_pool_2x2_span`."""
    return tuple(pool) == (2, 2) and tuple(strides) == (2, 2) and tuple(pads[0]) == (0, 0) and tuple(pads[1]) == (0, 0)


def avg_pool2d_forward(x, pool, strides, padding):
    """Average pooling of ``x`` (N, H, W, C) over the real (unpadded) cells of each window."""
    pads, out_hw = geometry(x.shape[1:3], pool, strides, padding, (1, 1))
    y = _empty((x.shape[0],) + out_hw + (x.shape[3],), x.dtype)
    _avg_pool(np.ascontiguousarray(x), pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0], y)
    return y


def avg_pool2d_backward(dy, x_shape, pool, strides, padding):
    """Gradient of :func:`avg_pool2d_forward`."""
    pads, _ = geometry(x_shape[1:3], pool, strides, padding, (1, 1))
    dx = _empty(x_shape, dy.dtype)
    _avg_unpool(np.ascontiguousarray(dy), pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0], dx)
    return dx


def global_max_pool_forward(x):
    """Maximum over the middle axis of ``x`` (N, S, C): returns ``(y (N, C), index (N, C))``."""
    y = np.empty((x.shape[0], x.shape[2]), x.dtype)
    index = np.empty(y.shape, np.int64)
    _global_max(np.ascontiguousarray(x), y, index)
    return y, index


def global_max_pool_backward(dy, index, steps):
    """Gradient of :func:`global_max_pool_forward`: ``(N, steps, C)``."""
    dx = np.zeros((dy.shape[0], steps, dy.shape[1]), dy.dtype)
    _global_unmax(np.ascontiguousarray(dy), index, dx)
    return dx
