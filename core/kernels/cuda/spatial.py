"""Weight-free spatial kernels on the device: global average pooling and UpSampling2D (nearest: a gather;
bilinear: TensorFlow's half-pixel two-tap weights per axis, scattered back with atomic adds in the backward)."""

import math

from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty, zeros
from core.kernels.cuda.reshaping import _sum_middle


def global_avg_pool_forward(x):
    """Mean over the middle axis of ``x`` (N, S, C): ``(N, C)``."""
    x = dev(x)
    out = empty((x.shape[0], x.shape[2]), x.dtype)
    if out.size:
        _sum_middle[blocks(out.size), THREADS](x, out, 1.0 / x.shape[1])
    return out


@cuda.jit
def _spread(dy, out, scale):
    n, steps, c = out.shape
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i // (steps * c), (i // c) % steps, i % c] = dy[i // (steps * c), i % c] * scale


def global_avg_pool_backward(dy, steps):
    """Gradient of :func:`global_avg_pool_forward`: ``dy / steps`` on every step, ``(N, steps, C)``."""
    dy = dev(dy)
    out = empty((dy.shape[0], steps, dy.shape[1]), dy.dtype)
    if out.size:
        _spread[blocks(out.size), THREADS](dy, out, dy.dtype.type(1.0) / dy.dtype.type(steps))
    return out


@cuda.jit(device=True)
def _taps(i, scale, length):
    """``(low, high, frac)`` of output position ``i`` along an axis upsampled ``scale`` times."""
    src = max((i + 0.5) / scale - 0.5, 0.0)
    low = min(int(math.floor(src)), length - 1)
    high = min(low + 1, length - 1)
    return low, high, src - low


@cuda.jit
def _upsample(x, y, sh, sw, bilinear):
    n, oh, ow, c = y.shape
    h, w = x.shape[1], x.shape[2]
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ch, col, row, b = i % c, (i // c) % ow, (i // (c * ow)) % oh, i // (c * ow * oh)
        if not bilinear:
            y[b, row, col, ch] = x[b, row // sh, col // sw, ch]
            continue
        r0, r1, fr = _taps(row, sh, h)
        c0, c1, fc = _taps(col, sw, w)
        y[b, row, col, ch] = ((1.0 - fr) * ((1.0 - fc) * x[b, r0, c0, ch] + fc * x[b, r0, c1, ch])
                              + fr * ((1.0 - fc) * x[b, r1, c0, ch] + fc * x[b, r1, c1, ch]))


@cuda.jit
def _upsample_back(dy, dx, sh, sw, bilinear):
    n, oh, ow, c = dy.shape
    h, w = dx.shape[1], dx.shape[2]
    for i in range(cuda.grid(1), dy.size, cuda.gridsize(1)):
        ch, col, row, b = i % c, (i // c) % ow, (i // (c * ow)) % oh, i // (c * ow * oh)
        g = dy[b, row, col, ch]
        if not bilinear:
            cuda.atomic.add(dx, (b, row // sh, col // sw, ch), g)
            continue
        r0, r1, fr = _taps(row, sh, h)
        c0, c1, fc = _taps(col, sw, w)
        cuda.atomic.add(dx, (b, r0, c0, ch), g * (1.0 - fr) * (1.0 - fc))
        cuda.atomic.add(dx, (b, r0, c1, ch), g * (1.0 - fr) * fc)
        cuda.atomic.add(dx, (b, r1, c0, ch), g * fr * (1.0 - fc))
        cuda.atomic.add(dx, (b, r1, c1, ch), g * fr * fc)


def upsample2d_forward(x, size, interpolation):
    """``x`` (N, H, W, C) enlarged ``size = (sh, sw)`` times by repetition or bilinear interpolation."""
    x = dev(x)
    n, h, w, c = x.shape
    y = empty((n, h * size[0], w * size[1], c), x.dtype)
    if y.size:
        _upsample[blocks(y.size), THREADS](x, y, size[0], size[1], interpolation == "bilinear")
    return y


def upsample2d_backward(dy, x_shape, size, interpolation):
    """Gradient of :func:`upsample2d_forward` w.r.t. its input of shape ``x_shape``."""
    dy = dev(dy)
    dx = zeros(x_shape, dy.dtype)
    if dy.size:
        _upsample_back[blocks(dy.size), THREADS](dy, dx, size[0], size[1], interpolation == "bilinear")
    return dx
