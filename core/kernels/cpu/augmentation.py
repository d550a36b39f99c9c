"""Geometric image kernels for augmentation on the CPU backend (numba).

Same conventions as ``core.kernels.reference.augmentation``: NHWC images, per-sample 2×3 matrices sending an
output pixel ``(x, y)`` to the input point it reads, fill modes applied to each integer tap. Each output pixel
resolves its two rows and two columns once (fill mode included; :func:`core.kernels.formulas.taps`, shared with
the cuda backend) and then runs a branch-free loop over the channels. The loops are serial: a ``parallel=True``
batch loop measured slower at every size tried (tests/benchmarks/NOTES.md), and augmentation usually runs beside
other work.
"""

import numpy as np

from core.kernels.cpu._formulas import taps
from core.kernels.cpu._jit import jit
from core.kernels.formulas import resample_codes

@jit
def _affine_forward(x, m, bilinear, mode, fill, out):
    h, w = x.shape[1], x.shape[2]
    for b in range(out.shape[0]):
        for oy in range(out.shape[1]):
            for ox in range(out.shape[2]):
                r0, r1, c0, c1, w00, w01, w10, w11, fill_w = taps(m, b, ox, oy, h, w, bilinear, mode)
                for ch in range(out.shape[3]):
                    out[b, oy, ox, ch] = (w00 * x[b, r0, c0, ch] + w01 * x[b, r0, c1, ch]
                                          + w10 * x[b, r1, c0, ch] + w11 * x[b, r1, c1, ch] + fill_w * fill)


@jit
def _affine_backward(dout, m, bilinear, mode, dx):
    h, w = dx.shape[1], dx.shape[2]
    for b in range(dout.shape[0]):
        for oy in range(dout.shape[1]):
            for ox in range(dout.shape[2]):
                r0, r1, c0, c1, w00, w01, w10, w11, _ = taps(m, b, ox, oy, h, w, bilinear, mode)
                for ch in range(dout.shape[3]):
                    d = dout[b, oy, ox, ch]
                    dx[b, r0, c0, ch] += w00 * d
                    dx[b, r0, c1, ch] += w01 * d
                    dx[b, r1, c0, ch] += w10 * d
                    dx[b, r1, c1, ch] += w11 * d


def affine_resample(x, matrices, out_h, out_w, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Resample NHWC images ``x`` through per-sample 2×3 matrices into ``(N, out_h, out_w, C)``."""
    bilinear, mode = resample_codes(interpolation, fill_mode)
    x = np.ascontiguousarray(x)
    out = np.empty((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
    _affine_forward(x, np.ascontiguousarray(matrices, np.float64), bilinear, mode, float(fill_value), out)
    return out


def affine_resample_backward(dout, matrices, in_h, in_w, interpolation="bilinear", fill_mode="reflect"):
    """The gradient of :func:`affine_resample` with respect to its input ``(N, in_h, in_w, C)``."""
    bilinear, mode = resample_codes(interpolation, fill_mode)
    dout = np.ascontiguousarray(dout)
    dx = np.zeros((dout.shape[0], in_h, in_w, dout.shape[3]), dout.dtype)
    _affine_backward(dout, np.ascontiguousarray(matrices, np.float64), bilinear, mode, dx)
    return dx


@jit
def _flip(x, flip_h, flip_v, out):
    n, h, w, c = x.shape
    for b in range(n):
        for i in range(h):
            si = h - 1 - i if flip_v[b] else i
            for j in range(w):
                sj = w - 1 - j if flip_h[b] else j
                for ch in range(c):
                    out[b, i, j, ch] = x[b, si, sj, ch]


def flip_images(x, flip_h, flip_v):
    """Per sample, mirror left-right where ``flip_h`` and top-bottom where ``flip_v`` (boolean ``(N,)``).

    A flip is its own inverse and transpose, so the same call is also the backward.
    """
    out = np.empty_like(x)
    _flip(np.ascontiguousarray(x), np.asarray(flip_h, np.bool_), np.asarray(flip_v, np.bool_), out)
    return out


@jit
def _crop(x, tops, lefts, out):
    n, height, width, c = out.shape
    for b in range(n):
        for i in range(height):
            for j in range(width):
                for ch in range(c):
                    out[b, i, j, ch] = x[b, tops[b] + i, lefts[b] + j, ch]


@jit
def _uncrop(dout, tops, lefts, dx):
    n, height, width, c = dout.shape
    for b in range(n):
        for i in range(height):
            for j in range(width):
                for ch in range(c):
                    dx[b, tops[b] + i, lefts[b] + j, ch] = dout[b, i, j, ch]


def crop_images(x, tops, lefts, height, width):
    """Per-sample windows ``x[i, tops[i]:tops[i]+height, lefts[i]:lefts[i]+width]`` as ``(N, height, width, C)``."""
    out = np.empty((x.shape[0], height, width, x.shape[3]), x.dtype)
    _crop(np.ascontiguousarray(x), np.asarray(tops, np.int64), np.asarray(lefts, np.int64), out)
    return out


def crop_images_backward(dout, tops, lefts, in_h, in_w):
    """The gradient of :func:`crop_images`: each window's gradient placed back, zeros elsewhere."""
    dx = np.zeros((dout.shape[0], in_h, in_w, dout.shape[3]), dout.dtype)
    _uncrop(np.ascontiguousarray(dout), np.asarray(tops, np.int64), np.asarray(lefts, np.int64), dx)
    return dx
