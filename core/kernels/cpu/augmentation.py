"""Geometric image kernels for augmentation on the CPU backend (numba).

Same conventions as ``core.kernels.reference.augmentation``: NHWC images, per-sample 2×3 matrices sending an
output pixel ``(x, y)`` to the input point it reads, fill modes applied to each integer tap. The resampler and
its transpose loop over the batch in parallel: every sample writes only its own output (or gradient) slice, so
the scatter-add of the backward pass needs no atomics.
"""

import numpy as np
from numba import njit, prange

from core.kernels.cpu._jit import jit

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_REFLECT, _WRAP, _CONSTANT, _NEAREST = range(4)

_pjit = njit(parallel=True, nogil=True, cache=True, error_model="numpy")


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
def _source(m, b, ox, oy):
    return (m[b, 0, 0] * ox + m[b, 0, 1] * oy + m[b, 0, 2],
            m[b, 1, 0] * ox + m[b, 1, 1] * oy + m[b, 1, 2])


@jit
def _tap(x, out, b, oy, ox, iy, ix, wt, mode, fill):
    if wt == 0.0:
        return
    iy = _resolve(iy, x.shape[1], mode)
    ix = _resolve(ix, x.shape[2], mode)
    if iy < 0 or ix < 0:
        for ch in range(out.shape[3]):
            out[b, oy, ox, ch] += wt * fill
    else:
        for ch in range(out.shape[3]):
            out[b, oy, ox, ch] += wt * x[b, iy, ix, ch]


@jit
def _tap_back(dout, dx, b, oy, ox, iy, ix, wt, mode):
    if wt == 0.0:
        return
    iy = _resolve(iy, dx.shape[1], mode)
    ix = _resolve(ix, dx.shape[2], mode)
    if iy >= 0 and ix >= 0:
        for ch in range(dx.shape[3]):
            dx[b, iy, ix, ch] += wt * dout[b, oy, ox, ch]


@_pjit
def _affine_forward(x, m, bilinear, mode, fill, out):
    for b in prange(out.shape[0]):
        for oy in range(out.shape[1]):
            for ox in range(out.shape[2]):
                sx, sy = _source(m, b, ox, oy)
                if bilinear:
                    fy, fx = np.floor(sy), np.floor(sx)
                    ay, ax = sy - fy, sx - fx
                    y0, x0 = int(fy), int(fx)
                    _tap(x, out, b, oy, ox, y0, x0, (1 - ay) * (1 - ax), mode, fill)
                    _tap(x, out, b, oy, ox, y0, x0 + 1, (1 - ay) * ax, mode, fill)
                    _tap(x, out, b, oy, ox, y0 + 1, x0, ay * (1 - ax), mode, fill)
                    _tap(x, out, b, oy, ox, y0 + 1, x0 + 1, ay * ax, mode, fill)
                else:
                    _tap(x, out, b, oy, ox, int(np.floor(sy + 0.5)), int(np.floor(sx + 0.5)), 1.0, mode, fill)


@_pjit
def _affine_backward(dout, m, bilinear, mode, dx):
    for b in prange(dout.shape[0]):
        for oy in range(dout.shape[1]):
            for ox in range(dout.shape[2]):
                sx, sy = _source(m, b, ox, oy)
                if bilinear:
                    fy, fx = np.floor(sy), np.floor(sx)
                    ay, ax = sy - fy, sx - fx
                    y0, x0 = int(fy), int(fx)
                    _tap_back(dout, dx, b, oy, ox, y0, x0, (1 - ay) * (1 - ax), mode)
                    _tap_back(dout, dx, b, oy, ox, y0, x0 + 1, (1 - ay) * ax, mode)
                    _tap_back(dout, dx, b, oy, ox, y0 + 1, x0, ay * (1 - ax), mode)
                    _tap_back(dout, dx, b, oy, ox, y0 + 1, x0 + 1, ay * ax, mode)
                else:
                    _tap_back(dout, dx, b, oy, ox, int(np.floor(sy + 0.5)), int(np.floor(sx + 0.5)), 1.0, mode)


def affine_resample(x, matrices, out_h, out_w, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Resample NHWC images ``x`` through per-sample 2×3 matrices into ``(N, out_h, out_w, C)``."""
    bilinear, mode = _codes(interpolation, fill_mode)
    x = np.ascontiguousarray(x)
    out = np.zeros((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
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
