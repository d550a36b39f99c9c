"""Generic tensor operations the engine, the optimisers and the layers need besides the numeric kernels.

On host backends the "device" is host memory: ``to_device`` returns a NumPy array as it is (and brings back a
device array of another backend, so optimiser state and weights can move between backends), ``to_host`` is the
identity. Element-wise results are new arrays; ``assign`` writes in place.
"""

import numpy as np


def _host(x):
    return x.copy_to_host() if hasattr(x, "copy_to_host") else x


def to_device(x):
    """``x`` in this backend's memory (host memory here)."""
    return None if x is None else _host(x)


def to_host(x):
    """``x`` as a NumPy array."""
    return None if x is None else _host(x)


def zeros_like(x):
    """Zeros of ``x``'s shape and dtype, in this backend's memory."""
    return np.zeros(x.shape, x.dtype)


def assign(dst, src):
    """``dst[...] = src`` (``src`` may be a host array of any layout)."""
    dst[...] = _host(src)


def add(a, b):
    """``a + b`` (``b`` may broadcast onto ``a``)."""
    return a + b


def mul(a, b):
    """``a * b`` (``b`` may broadcast onto ``a``, as a dropout mask of shape ``(N, 1, 1, C)`` does)."""
    return a * b


def scale(x, s):
    """``x * s`` for a Python number ``s``, in ``x``'s dtype."""
    return x * x.dtype.type(s)


def clip_values(x, lo, hi):
    """``x`` clipped to ``[lo, hi]``."""
    return np.clip(x, lo, hi)


def sum_squares(x):
    """``Σ x²`` as a Python float."""
    return float(np.sum(x * x))


def weight_penalty(w, g, l1, l2, add_gradients):
    """``l1·Σ|w| + l2·Σw²`` as a Python float; with ``add_gradients`` its gradient is added to ``g`` in place."""
    total = l1 * float(np.abs(w).sum()) + l2 * float((w * w).sum())
    if add_gradients:
        g += (l1 * np.sign(w) + (2 * l2) * w).astype(g.dtype, copy=False)
    return total
