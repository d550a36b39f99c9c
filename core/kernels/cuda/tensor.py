"""Generic tensor operations on the device: transfers, zeros, copies, element-wise sums and products, clipping,
norms and the weight regularisers' penalty (reduced on the device; one scalar comes back)."""

import numpy as np
from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty, flat, host, zeros
from core.kernels.cuda._reduce import device_sum


def to_device(x):
    """``x`` on the device (host arrays are uploaded, device arrays returned as they are)."""
    return dev(x)


def to_host(x):
    """``x`` as a NumPy array (device arrays are copied down)."""
    return None if x is None else host(x)


def zeros_like(x):
    """A zero device array of ``x``'s shape and dtype."""
    return zeros(x.shape, x.dtype)


@cuda.jit
def _copy(src, dst):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, dst.size, stride):
        dst[i] = src[i]


def assign(dst, src):
    """``dst[...] = src`` in place; a host ``src`` is uploaded straight into ``dst``."""
    if isinstance(src, np.ndarray):
        dst.copy_to_device(np.ascontiguousarray(src, dtype=dst.dtype).reshape(dst.shape))
    elif dst.size:
        _copy[blocks(dst.size), THREADS](flat(src), flat(dst))


@cuda.jit
def _add(a, b, out, period):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, out.size, stride):
        out[i] = a[i] + b[i % period]


def add(a, b):
    """``a + b`` for tensors of one shape."""
    a, b = dev(a), dev(b, a.dtype)
    out = empty(a.shape, a.dtype)
    if out.size:
        _add[blocks(out.size), THREADS](flat(a), flat(b), flat(out), b.size)
    return out


@cuda.jit
def _mul_same(a, b, out):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, out.size, stride):
        out[i] = a[i] * b[i]


@cuda.jit
def _mul_channels(a, b, out, spatial, channels):
    """``b`` of shape (N, C) broadcast over the ``spatial`` middle positions of ``a`` (N, S, C)."""
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, out.size, stride):
        c = i % channels
        n = i // (spatial * channels)
        out[i] = a[i] * b[n * channels + c]


def mul(a, b):
    """``a * b``; ``b`` may also be an ``(N, 1, ..., 1, C)`` mask broadcast over the middle axes."""
    a = dev(a)
    b = dev(b, a.dtype)
    out = empty(a.shape, a.dtype)
    if not out.size:
        return out
    if tuple(b.shape) == tuple(a.shape):
        _mul_same[blocks(out.size), THREADS](flat(a), flat(b), flat(out))
    else:
        n, c = a.shape[0], a.shape[-1]
        if b.size != n * c or b.shape[0] != n or b.shape[-1] != c:
            raise ValueError(f"mul: cannot broadcast {tuple(b.shape)} onto {tuple(a.shape)}")
        _mul_channels[blocks(out.size), THREADS](flat(a), flat(b), flat(out), a.size // (n * c), c)
    return out


@cuda.jit
def _scale(x, s, out):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, out.size, stride):
        out[i] = x[i] * s


def scale(x, s):
    """``x * s`` for a Python number ``s``."""
    x = dev(x)
    out = empty(x.shape, x.dtype)
    if out.size:
        _scale[blocks(out.size), THREADS](flat(x), x.dtype.type(s), flat(out))
    return out


@cuda.jit
def _clip(x, lo, hi, out):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, out.size, stride):
        out[i] = min(max(x[i], lo), hi)


def clip_values(x, lo, hi):
    """``x`` clipped to ``[lo, hi]``."""
    x = dev(x)
    out = empty(x.shape, x.dtype)
    if out.size:
        _clip[blocks(out.size), THREADS](flat(x), x.dtype.type(lo), x.dtype.type(hi), flat(out))
    return out


@cuda.jit
def _squares(x, out):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, x.size, stride):
        out[i] = x[i] * x[i]


def sum_squares(x):
    """``Σ x²`` reduced on the device; one float comes back."""
    x = dev(x)
    if not x.size:
        return 0.0
    sq = empty((x.size,), np.float64)
    _squares[blocks(x.size), THREADS](flat(x), sq)
    return device_sum(sq)


@cuda.jit
def _penalty(w, g, l1, l2, add_gradients, terms):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, w.size, stride):
        v = w[i]
        terms[i] = l1 * abs(v) + l2 * v * v
        if add_gradients:
            sign = 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)
            g[i] += l1 * sign + 2.0 * l2 * v


def weight_penalty(w, g, l1, l2, add_gradients):
    """``l1·Σ|w| + l2·Σw²`` reduced on the device; with ``add_gradients`` its gradient is added to ``g``."""
    if not w.size:
        return 0.0
    terms = empty((w.size,), np.float64)
    _penalty[blocks(w.size), THREADS](flat(w), flat(g) if g is not None else flat(w), float(l1), float(l2),
                                      bool(add_gradients and g is not None), terms)
    return device_sum(terms)


__all__ = ["add", "assign", "clip_values", "mul", "scale", "sum_squares", "to_device", "to_host",
           "weight_penalty", "zeros_like"]
