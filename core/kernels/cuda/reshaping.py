"""Reshaping kernels on the device: zero padding, cropping, axis permutation and vector repetition, each one
gather pass over the output (every output element reads one input element, or writes zero)."""

import math

from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty, flat


@cuda.jit
def _window(src, dst, top, left, pad):
    """``pad``: dst (N, H+t+b, W+l+r, C) from src with zeros around; else dst is src's window at (top, left)."""
    n, h, w, c = dst.shape
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        ch = i % c
        col = (i // c) % w
        row = (i // (c * w)) % h
        b = i // (c * w * h)
        if pad:
            r, q = row - top, col - left
            inside = 0 <= r < src.shape[1] and 0 <= q < src.shape[2]
            dst[b, row, col, ch] = src[b, r, q, ch] if inside else 0.0
        else:
            dst[b, row, col, ch] = src[b, row + top, col + left, ch]


def zero_pad_2d(x, pads):
    """``x`` (N, H, W, C) with ``pads = (top, bottom, left, right)`` rows and columns of zeros added."""
    x = dev(x)
    top, bottom, left, right = pads
    n, h, w, c = x.shape
    out = empty((n, h + top + bottom, w + left + right, c), x.dtype)
    if out.size:
        _window[blocks(out.size), THREADS](x, out, top, left, True)
    return out


def crop_2d(x, crops):
    """``x`` (N, H, W, C) with ``crops = (top, bottom, left, right)`` rows and columns removed."""
    x = dev(x)
    top, bottom, left, right = crops
    n, h, w, c = x.shape
    out = empty((n, h - top - bottom, w - left - right, c), x.dtype)
    if out.size:
        _window[blocks(out.size), THREADS](x, out, top, left, False)
    return out


@cuda.jit
def _permute(src, dst, out_shape, src_strides):
    """``dst`` (flat) element ``i`` at output index ``(k_0, ..)`` reads ``src`` at ``Σ k_d · src_strides[d]``."""
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        rest, offset = i, 0
        for d in range(len(out_shape) - 1, -1, -1):
            offset += (rest % out_shape[d]) * src_strides[d]
            rest //= out_shape[d]
        dst[i] = src[offset]


def permute_axes(x, axes):
    """``x`` with its axes reordered (``axes`` includes the batch axis 0), as a contiguous array."""
    x = dev(x)
    shape = tuple(x.shape)
    strides = [math.prod(shape[d + 1:]) for d in range(len(shape))]
    out_shape = tuple(shape[a] for a in axes)
    out = empty(out_shape, x.dtype)
    if out.size:
        _permute[blocks(out.size), THREADS](flat(x), flat(out), out_shape, tuple(strides[a] for a in axes))
    return out


@cuda.jit
def _repeat(x, out):
    n, reps, f = out.shape
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i // (reps * f), (i // f) % reps, i % f] = x[i // (reps * f), i % f]


@cuda.jit
def _sum_middle(dout, out, scale):
    """``out[n, c] = scale · Σ_s dout[n, s, c]``."""
    n, steps, c = dout.shape
    for i in range(cuda.grid(1), n * c, cuda.gridsize(1)):
        b, ch = i // c, i % c
        total = 0.0
        for s in range(steps):
            total += dout[b, s, ch]
        out[b, ch] = total * scale


def repeat_vector(x, n):
    """``(N, F)`` → ``(N, n, F)``: every row repeated ``n`` times."""
    x = dev(x)
    out = empty((x.shape[0], n, x.shape[1]), x.dtype)
    if out.size:
        _repeat[blocks(out.size), THREADS](x, out)
    return out


def repeat_vector_backward(dout):
    """The gradient of :func:`repeat_vector`: the ``n`` copies summed, ``(N, n, F)`` → ``(N, F)``."""
    dout = dev(dout)
    out = empty((dout.shape[0], dout.shape[2]), dout.dtype)
    if out.size:
        _sum_middle[blocks(out.size), THREADS](dout, out, 1.0)
    return out
