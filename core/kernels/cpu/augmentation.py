"""Geometric image kernels for augmentation on the CPU backend (numba).

Same conventions as ``core.kernels.reference.augmentation``: NHWC images, per-sample 2×3 matrices sending an
output pixel ``(x, y)`` to the input point it reads, fill modes applied to each integer tap. Each output pixel
resolves its two rows and two columns once (fill mode included) and then runs a branch-free loop over the
channels. The loops are serial: a ``parallel=True`` batch loop measured slower at every size tried (32 images
of 28×28×1 up to 64×64×3) on a shared two-core machine, and augmentation usually runs beside other work.
"""

import numpy as np

from core.kernels.cpu._jit import jit

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_REFLECT, _WRAP, _CONSTANT, _NEAREST = range(4)


def _codes(interpolation, fill_mode):
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    return interpolation == "bilinear", FILL_MODES.index(fill_mode)


@jit
def _resolve(i, size, mode):
    """Index ``i`` mapped into ``[0, size)`` by the fill mode; -1 where a constant fill applies."""
    if mode == _REFLECT:
        period = 2 * size
        i = i % period
        return period - 1 - i if i >= size else i
    if mode == _WRAP:
        return i % size
    if mode == _NEAREST:
        return min(max(i, 0), size - 1)
    return i if 0 <= i < size else -1


@jit
def _taps(m, b, ox, oy, h, w, bilinear, mode):
    """The taps of output pixel ``(oy, ox)`` of sample ``b``: rows ``r0, r1``, columns ``c0, c1`` (in range),
    their weights ``w00, w01, w10, w11``, and the weight that goes to the constant fill value."""
    sx = m[b, 0, 0] * ox + m[b, 0, 1] * oy + m[b, 0, 2]
    sy = m[b, 1, 0] * ox + m[b, 1, 1] * oy + m[b, 1, 2]
    if bilinear:
        fy, fx = np.floor(sy), np.floor(sx)
        ay, ax = sy - fy, sx - fx
        r0, c0 = _resolve(int(fy), h, mode), _resolve(int(fx), w, mode)
        r1, c1 = _resolve(int(fy) + 1, h, mode), _resolve(int(fx) + 1, w, mode)
    else:
        ay, ax = 0.0, 0.0
        r0, c0 = _resolve(int(np.floor(sy + 0.5)), h, mode), _resolve(int(np.floor(sx + 0.5)), w, mode)
        r1, c1 = 0, 0
    w00, w01, w10, w11 = (1 - ay) * (1 - ax), (1 - ay) * ax, ay * (1 - ax), ay * ax
    fill_w = 0.0
    if r0 < 0 or c0 < 0:
        fill_w, w00 = fill_w + w00, 0.0
    if r0 < 0 or c1 < 0:
        fill_w, w01 = fill_w + w01, 0.0
    if r1 < 0 or c0 < 0:
        fill_w, w10 = fill_w + w10, 0.0
    if r1 < 0 or c1 < 0:
        fill_w, w11 = fill_w + w11, 0.0
    return max(r0, 0), max(r1, 0), max(c0, 0), max(c1, 0), w00, w01, w10, w11, fill_w


@jit
def _affine_forward(x, m, bilinear, mode, fill, out):
    h, w = x.shape[1], x.shape[2]
    for b in range(out.shape[0]):
        for oy in range(out.shape[1]):
            for ox in range(out.shape[2]):
                r0, r1, c0, c1, w00, w01, w10, w11, fill_w = _taps(m, b, ox, oy, h, w, bilinear, mode)
                for ch in range(out.shape[3]):
                    out[b, oy, ox, ch] = (w00 * x[b, r0, c0, ch] + w01 * x[b, r0, c1, ch]
                                          + w10 * x[b, r1, c0, ch] + w11 * x[b, r1, c1, ch] + fill_w * fill)


@jit
def _affine_backward(dout, m, bilinear, mode, dx):
    h, w = dx.shape[1], dx.shape[2]
    for b in range(dout.shape[0]):
        for oy in range(dout.shape[1]):
            for ox in range(dout.shape[2]):
                r0, r1, c0, c1, w00, w01, w10, w11, _ = _taps(m, b, ox, oy, h, w, bilinear, mode)
                for ch in range(dout.shape[3]):
                    d = dout[b, oy, ox, ch]
                    dx[b, r0, c0, ch] += w00 * d
                    dx[b, r0, c1, ch] += w01 * d
                    dx[b, r1, c0, ch] += w10 * d
                    dx[b, r1, c1, ch] += w11 * d


def affine_resample(x, matrices, out_h, out_w, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Resample NHWC images ``x`` through per-sample 2×3 matrices into ``(N, out_h, out_w, C)``."""
    bilinear, mode = _codes(interpolation, fill_mode)
    x = np.ascontiguousarray(x)
    out = np.empty((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
    _affine_forward(x, np.ascontiguousarray(matrices, np.float64), bilinear, mode, float(fill_value), out)
    return out


def affine_resample_backward(dout, matrices, in_h, in_w, interpolation="bilinear", fill_mode="reflect"):
    """The gradient of :func:`affine_resample` with respect to its input ``(N, in_h, in_w, C)``."""
    bilinear, mode = _codes(interpolation, fill_mode)
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
