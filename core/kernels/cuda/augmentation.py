"""Augmentation kernels on the device: per-sample flips and crops are gathers (one thread per output element;
the per-sample choices, drawn on the host, go up as small vectors). The affine resampler (RandomRotation,
RandomZoom, RandomTranslation, resizing RandomCrop) still runs the CPU kernel on host copies (see
``_fallback``)."""

import numpy as np
from numba import cuda

from core.kernels.cpu import augmentation as _cpu
from core.kernels.cuda._device import THREADS, blocks, dev, empty
from core.kernels.cuda._fallback import complete


@cuda.jit
def _flip(x, flip_h, flip_v, out):
    n, h, w, c = x.shape
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        ch, col, row, b = i % c, (i // c) % w, (i // (c * w)) % h, i // (c * w * h)
        r = h - 1 - row if flip_v[b] else row
        s = w - 1 - col if flip_h[b] else col
        out[b, row, col, ch] = x[b, r, s, ch]


def flip_images(x, flip_h, flip_v):
    """Per sample, mirror left-right where ``flip_h`` and top-bottom where ``flip_v`` (boolean ``(N,)``); its
    own backward."""
    x = dev(x)
    out = empty(x.shape, x.dtype)
    if x.size:
        _flip[blocks(x.size), THREADS](x, dev(np.asarray(flip_h, np.bool_)), dev(np.asarray(flip_v, np.bool_)),
                                       out)
    return out


@cuda.jit
def _window(big, small, tops, lefts, to_small):
    """Copy between per-sample windows of ``big`` at (tops, lefts) and ``small``; outside the window (backward)
    the big tensor gets zeros."""
    n, h, w, c = small.shape if to_small else big.shape
    for i in range(cuda.grid(1), n * h * w * c, cuda.gridsize(1)):
        ch, col, row, b = i % c, (i // c) % w, (i // (c * w)) % h, i // (c * w * h)
        if to_small:
            small[b, row, col, ch] = big[b, row + tops[b], col + lefts[b], ch]
        else:
            r, s = row - tops[b], col - lefts[b]
            inside = 0 <= r < small.shape[1] and 0 <= s < small.shape[2]
            big[b, row, col, ch] = small[b, r, s, ch] if inside else 0.0


def crop_images(x, tops, lefts, height, width):
    """Per-sample windows ``x[i, tops[i]:tops[i]+height, lefts[i]:lefts[i]+width]`` as ``(N, height, width, C)``."""
    x = dev(x)
    out = empty((x.shape[0], height, width, x.shape[3]), x.dtype)
    if out.size:
        _window[blocks(out.size), THREADS](x, out, dev(np.asarray(tops, np.int64)),
                                           dev(np.asarray(lefts, np.int64)), True)
    return out


def crop_images_backward(dout, tops, lefts, in_h, in_w):
    """The gradient of :func:`crop_images`: each window's gradient placed back, zeros elsewhere."""
    dout = dev(dout)
    dx = empty((dout.shape[0], in_h, in_w, dout.shape[3]), dout.dtype)
    if dx.size:
        _window[blocks(dx.size), THREADS](dx, dout, dev(np.asarray(tops, np.int64)),
                                          dev(np.asarray(lefts, np.int64)), False)
    return dx


__all__ = complete(globals(), _cpu)
