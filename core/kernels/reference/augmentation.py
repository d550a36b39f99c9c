"""Geometric image kernels for augmentation, in plain NumPy (the test oracle).

Images are NHWC. An affine resampling is given per sample as a 2×3 matrix ``m`` that sends an output pixel
(``x`` = column, ``y`` = row) to the input point it reads: ``src_x = m[0,0]·x + m[0,1]·y + m[0,2]`` and
``src_y = m[1,0]·x + m[1,1]·y + m[1,2]`` — the first six entries of Keras's ``affine_transform`` transform.
Bilinear interpolation reads the four pixels around that point, nearest reads the closest one (index
``floor(coordinate + 0.5)``). A tap that falls outside the image is read according to ``fill_mode``, applied to
its integer index as Keras's NumPy/JAX backends do: ``reflect`` (d c b a | a b c d | d c b a), ``wrap``
(a b c d | a b c d), ``nearest`` (a a | a b c d | d d) or ``constant`` (the tap reads ``fill_value``).

For fixed matrices the output is linear in the input (plus a constant from ``fill_value``), so the gradient is
the transposed map: every tap's weight scatter-added back onto the pixel it read.
"""

import numpy as np

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _check_modes(interpolation, fill_mode):
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")


def _taps(matrices, out_h, out_w, interpolation):
    """The integer taps ``(rows, cols, weights)`` of every output pixel, each ``(N, out_h, out_w)``."""
    m = np.asarray(matrices, np.float64)
    ys, xs = np.meshgrid(np.arange(out_h, dtype=np.float64), np.arange(out_w, dtype=np.float64), indexing="ij")
    sx = m[:, 0, 0, None, None] * xs + m[:, 0, 1, None, None] * ys + m[:, 0, 2, None, None]
    sy = m[:, 1, 0, None, None] * xs + m[:, 1, 1, None, None] * ys + m[:, 1, 2, None, None]
    if interpolation == "nearest":
        return [(np.floor(sy + 0.5).astype(np.int64), np.floor(sx + 0.5).astype(np.int64), np.ones_like(sx))]
    fy, fx = np.floor(sy), np.floor(sx)
    ay, ax = sy - fy, sx - fx
    y0, x0 = fy.astype(np.int64), fx.astype(np.int64)
    return [(y0, x0, (1 - ay) * (1 - ax)), (y0, x0 + 1, (1 - ay) * ax),
            (y0 + 1, x0, ay * (1 - ax)), (y0 + 1, x0 + 1, ay * ax)]


def _resolve(i, size, fill_mode):
    """Indices mapped into ``[0, size)`` by the fill mode, and where they were inside to begin with."""
    inside = (i >= 0) & (i < size)
    if fill_mode == "reflect":
        i = np.mod(i, 2 * size)
        i = np.where(i >= size, 2 * size - 1 - i, i)
    elif fill_mode == "wrap":
        i = np.mod(i, size)
    else:
        i = np.clip(i, 0, size - 1)
    return i, (inside if fill_mode == "constant" else np.ones_like(inside))


def _resolved_taps(matrices, out_h, out_w, in_h, in_w, interpolation, fill_mode):
    for iy, ix, wt in _taps(matrices, out_h, out_w, interpolation):
        iy, in_y = _resolve(iy, in_h, fill_mode)
        ix, in_x = _resolve(ix, in_w, fill_mode)
        yield iy, ix, wt, in_y & in_x


def affine_resample(x, matrices, out_h, out_w, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Resample NHWC images ``x`` through per-sample 2×3 matrices into ``(N, out_h, out_w, C)``."""
    _check_modes(interpolation, fill_mode)
    n, h, w, c = x.shape
    out = np.zeros((n, out_h, out_w, c), np.float64)
    b = np.arange(n)[:, None, None]
    for iy, ix, wt, inside in _resolved_taps(matrices, out_h, out_w, h, w, interpolation, fill_mode):
        out += (wt * inside)[..., None] * x[b, iy, ix]
        if fill_mode == "constant":
            out += (wt * ~inside)[..., None] * fill_value
    return out.astype(x.dtype)


def affine_resample_backward(dout, matrices, in_h, in_w, interpolation="bilinear", fill_mode="reflect"):
    """The gradient of :func:`affine_resample` with respect to its input ``(N, in_h, in_w, C)``."""
    _check_modes(interpolation, fill_mode)
    n, out_h, out_w, c = dout.shape
    dx = np.zeros((n, in_h, in_w, c), np.float64)
    b = np.arange(n)[:, None, None]
    for iy, ix, wt, inside in _resolved_taps(matrices, out_h, out_w, in_h, in_w, interpolation, fill_mode):
        np.add.at(dx, (b, iy, ix), (wt * inside)[..., None] * dout)
    return dx.astype(dout.dtype)


def flip_images(x, flip_h, flip_v):
    """Per sample, mirror left-right where ``flip_h`` and top-bottom where ``flip_v`` (boolean ``(N,)``).

    A flip is its own inverse and transpose, so the same call is also the backward.
    """
    out = np.array(x, copy=True)
    fh, fv = np.asarray(flip_h, bool), np.asarray(flip_v, bool)
    out[fh] = out[fh][:, :, ::-1]
    out[fv] = out[fv][:, ::-1]
    return out


def crop_images(x, tops, lefts, height, width):
    """Per-sample windows ``x[i, tops[i]:tops[i]+height, lefts[i]:lefts[i]+width]`` as ``(N, height, width, C)``."""
    out = np.empty((x.shape[0], height, width, x.shape[3]), x.dtype)
    for i, (t, l) in enumerate(zip(tops, lefts)):
        out[i] = x[i, t:t + height, l:l + width]
    return out


def crop_images_backward(dout, tops, lefts, in_h, in_w):
    """The gradient of :func:`crop_images`: each window's gradient placed back, zeros elsewhere."""
    n, height, width, c = dout.shape
    dx = np.zeros((n, in_h, in_w, c), dout.dtype)
    for i, (t, l) in enumerate(zip(tops, lefts)):
        dx[i, t:t + height, l:l + width] = dout[i]
    return dx
