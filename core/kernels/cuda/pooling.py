"""Pooling kernels on the device: one thread per output cell walks its window; the backward passes scatter
each output's gradient back with atomic adds (windows may overlap). Geometry and index conventions are the
reference backend's (``index`` = row·W + column of the winning input cell)."""

import math

import numpy as np
from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty, zeros
from core.kernels.geometry import geometry


@cuda.jit
def _max_pool(x, ph, pw, sh, sw, top, left, y, index):
    n, oh, ow, c = y.shape
    h, w = x.shape[1], x.shape[2]
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ch, col, row, b = i % c, (i // c) % ow, (i // (c * ow)) % oh, i // (c * ow * oh)
        best, where = -math.inf, 0
        for p in range(ph):
            r = row * sh - top + p
            for q in range(pw):
                s = col * sw - left + q
                if 0 <= r < h and 0 <= s < w:
                    v = x[b, r, s, ch]
                    if v > best or (v != v and best == best):  # the first NaN wins
                        best, where = v, r * w + s
        y[b, row, col, ch] = best
        index[b, row, col, ch] = where


@cuda.jit
def _max_unpool(dy, index, dx):
    n, oh, ow, c = dy.shape
    for i in range(cuda.grid(1), dy.size, cuda.gridsize(1)):
        ch, col, row, b = i % c, (i // c) % ow, (i // (c * ow)) % oh, i // (c * ow * oh)
        cuda.atomic.add(dx, (b, index[b, row, col, ch], ch), dy[b, row, col, ch])


@cuda.jit
def _avg_pool(x, ph, pw, sh, sw, top, left, y, backward, dx):
    """Forward: ``y`` = window means over real cells. Backward (``x`` is then dy-shaped ``y``): scatter."""
    n, oh, ow, c = y.shape
    h, w = dx.shape[1], dx.shape[2]
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ch, col, row, b = i % c, (i // c) % ow, (i // (c * ow)) % oh, i // (c * ow * oh)
        r0, s0 = row * sh - top, col * sw - left
        r_lo, r_hi = max(r0, 0), min(r0 + ph, h)
        s_lo, s_hi = max(s0, 0), min(s0 + pw, w)
        count = (r_hi - r_lo) * (s_hi - s_lo)
        if backward:
            share = y[b, row, col, ch] / count
            for r in range(r_lo, r_hi):
                for s in range(s_lo, s_hi):
                    cuda.atomic.add(dx, (b, r, s, ch), share)
        else:
            total = 0.0
            for r in range(r_lo, r_hi):
                for s in range(s_lo, s_hi):
                    total += x[b, r, s, ch]
            y[b, row, col, ch] = total / count


def max_pool2d_forward(x, pool, strides, padding):
    """Max pooling of ``x`` (N, H, W, C): returns ``(y, index)``, both of shape (N, OH, OW, C)."""
    x = dev(x)
    pads, out_hw = geometry(x.shape[1:3], pool, strides, padding, (1, 1))
    y = empty((x.shape[0],) + tuple(out_hw) + (x.shape[3],), x.dtype)
    index = empty(y.shape, np.int64)
    if y.size:
        _max_pool[blocks(y.size), THREADS](x, pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0],
                                           y, index)
    return y, index


def max_pool2d_backward(dy, index, x_shape):
    """Gradient of :func:`max_pool2d_forward`: ``dy`` goes to the winning cell of each window."""
    dy = dev(dy)
    n, h, w, c = x_shape
    dx = zeros((n, h * w, c), dy.dtype)
    if dy.size:
        _max_unpool[blocks(dy.size), THREADS](dy, dev(index), dx)
    return dx.reshape(tuple(x_shape))


def avg_pool2d_forward(x, pool, strides, padding):
    """Average pooling of ``x`` (N, H, W, C) over the real (unpadded) cells of each window."""
    x = dev(x)
    pads, out_hw = geometry(x.shape[1:3], pool, strides, padding, (1, 1))
    y = empty((x.shape[0],) + tuple(out_hw) + (x.shape[3],), x.dtype)
    if y.size:
        _avg_pool[blocks(y.size), THREADS](x, pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0],
                                           y, False, x)
    return y


def avg_pool2d_backward(dy, x_shape, pool, strides, padding):
    """Gradient of :func:`avg_pool2d_forward`."""
    dy = dev(dy)
    pads, _ = geometry(x_shape[1:3], pool, strides, padding, (1, 1))
    dx = zeros(tuple(x_shape), dy.dtype)
    if dy.size:
        _avg_pool[blocks(dy.size), THREADS](dy, pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0],
                                            dy, True, dx)
    return dx


@cuda.jit
def _global_max(x, y, index):
    n, steps, c = x.shape
    for i in range(cuda.grid(1), n * c, cuda.gridsize(1)):
        b, ch = i // c, i % c
        best, where = x[b, 0, ch], 0
        for s in range(1, steps):
            v = x[b, s, ch]
            if v > best or (v != v and best == best):  # the first NaN wins
                best, where = v, s
        y[b, ch] = best
        index[b, ch] = where


@cuda.jit
def _global_unmax(dy, index, dx):
    n, c = dy.shape
    for i in range(cuda.grid(1), n * c, cuda.gridsize(1)):
        b, ch = i // c, i % c
        dx[b, index[b, ch], ch] = dy[b, ch]


def global_max_pool_forward(x):
    """Maximum over the middle axis of ``x`` (N, S, C): returns ``(y (N, C), index (N, C))``."""
    x = dev(x)
    y = empty((x.shape[0], x.shape[2]), x.dtype)
    index = empty(y.shape, np.int64)
    if y.size:
        _global_max[blocks(y.size), THREADS](x, y, index)
    return y, index


def global_max_pool_backward(dy, index, steps):
    """Gradient of :func:`global_max_pool_forward`: ``(N, steps, C)``."""
    dy = dev(dy)
    dx = zeros((dy.shape[0], steps, dy.shape[1]), dy.dtype)
    if dy.size:
        _global_unmax[blocks(dy.size), THREADS](dy, dev(index), dx)
    return dx
