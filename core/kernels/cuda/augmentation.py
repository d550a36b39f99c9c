"""Augmentation kernels on the device: per-sample flips and crops are gathers (one thread per output element;
the per-sample choices, drawn on the host, go up as small vectors). The affine resampler (RandomRotation,
RandomZoom, RandomTranslation, resizing RandomCrop) runs one thread per output pixel: the thread resolves its
taps once (:func:`core.kernels.formulas.taps`, shared with the cpu backend) and loops over the channels; its backward
scatter-adds each tap's share with atomic adds (taps of different pixels may coincide).

The source coordinates are computed in float64 from float64 matrices, as on the cpu, so that every pixel reads
the same taps on both backends (a nearest tap flips where a coordinate sits on a half-integer); the
interpolation weights are then cast to the tensor's dtype and the per-channel work is float32 for float32
tensors.
"""

import numpy as np
from numba import cuda, float32, float64

from core.kernels.cuda._device import THREADS, blocks, dev, empty, zeros
from core.kernels.cuda._formulas import taps
from core.kernels.formulas import resample_codes

def _make_affine(elem):
    """The forward and backward resampling kernels with their per-channel arithmetic in ``elem``."""

    @cuda.jit
    def forward(x, m, bilinear, mode, fill, out):
        n, oh, ow, c = out.shape
        h, w = x.shape[1], x.shape[2]
        for i in range(cuda.grid(1), n * oh * ow, cuda.gridsize(1)):
            ox, oy, b = i % ow, (i // ow) % oh, i // (ow * oh)
            r0, r1, c0, c1, w00, w01, w10, w11, fill_w = taps(m, b, ox, oy, h, w, bilinear, mode)
            a00, a01, a10, a11 = elem(w00), elem(w01), elem(w10), elem(w11)
            base = elem(fill_w) * fill
            for ch in range(c):
                out[b, oy, ox, ch] = (a00 * x[b, r0, c0, ch] + a01 * x[b, r0, c1, ch]
                                      + a10 * x[b, r1, c0, ch] + a11 * x[b, r1, c1, ch] + base)

    @cuda.jit
    def backward(dout, m, bilinear, mode, dx):
        n, oh, ow, c = dout.shape
        h, w = dx.shape[1], dx.shape[2]
        for i in range(cuda.grid(1), n * oh * ow, cuda.gridsize(1)):
            ox, oy, b = i % ow, (i // ow) % oh, i // (ow * oh)
            r0, r1, c0, c1, w00, w01, w10, w11, _ = taps(m, b, ox, oy, h, w, bilinear, mode)
            a00, a01, a10, a11 = elem(w00), elem(w01), elem(w10), elem(w11)
            for ch in range(c):
                d = dout[b, oy, ox, ch]
                if w00 != 0.0:
                    cuda.atomic.add(dx, (b, r0, c0, ch), a00 * d)
                if w01 != 0.0:
                    cuda.atomic.add(dx, (b, r0, c1, ch), a01 * d)
                if w10 != 0.0:
                    cuda.atomic.add(dx, (b, r1, c0, ch), a10 * d)
                if w11 != 0.0:
                    cuda.atomic.add(dx, (b, r1, c1, ch), a11 * d)

    return forward, backward


_AFFINE = {np.dtype(np.float32): _make_affine(float32), np.dtype(np.float64): _make_affine(float64)}


def affine_resample(x, matrices, out_h, out_w, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Resample NHWC images ``x`` through per-sample 2×3 matrices into ``(N, out_h, out_w, C)``."""
    bilinear, mode = resample_codes(interpolation, fill_mode)
    x = dev(x)
    out = empty((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
    pixels = x.shape[0] * out_h * out_w
    if out.size:
        _AFFINE[np.dtype(x.dtype)][0][blocks(pixels), THREADS](
            x, dev(matrices, np.float64), bilinear, mode, np.dtype(x.dtype).type(fill_value), out)
    return out


def affine_resample_backward(dout, matrices, in_h, in_w, interpolation="bilinear", fill_mode="reflect"):
    """The gradient of :func:`affine_resample` with respect to its input ``(N, in_h, in_w, C)``: each tap's
    weighted gradient scatter-added onto the pixel it read."""
    bilinear, mode = resample_codes(interpolation, fill_mode)
    dout = dev(dout)
    dx = zeros((dout.shape[0], in_h, in_w, dout.shape[3]), dout.dtype)
    pixels = dout.shape[0] * dout.shape[1] * dout.shape[2]
    if dout.size and dx.size:
        _AFFINE[np.dtype(dout.dtype)][1][blocks(pixels), THREADS](
            dout, dev(matrices, np.float64), bilinear, mode, dx)
    return dx


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
