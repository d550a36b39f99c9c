"""Matrix product ``c = op(a) @ op(b) (+ bias)`` tiled through shared memory (the workhorse of dense,
convolution via im2col and the recurrent steps), and column sums.

Each block computes one ``TILE × TILE`` tile of ``c``: the threads load a tile of ``op(a)`` and one of ``op(b)``
into shared memory, synchronise, and accumulate their dot product over the tile, so every global element is read
once per tile instead of once per product. ``op`` is an optional transpose, applied while loading.
"""

import math

import numpy as np
from numba import cuda, float32, float64

from core.kernels.cuda._device import TILE, dev, empty
from core.kernels.cuda._reduce import REDUCE_THREADS, block_total


def _make_matmul(elem):
    @cuda.jit
    def kernel(a, b, c, ta, tb, bias, has_bias, accumulate):
        sa = cuda.shared.array((TILE, TILE), elem)
        sb = cuda.shared.array((TILE, TILE), elem)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        i = cuda.blockIdx.y * TILE + ty
        j = cuda.blockIdx.x * TILE + tx
        m, n = c.shape
        k_all = a.shape[0] if ta else a.shape[1]
        acc = elem(0)
        for t in range(0, k_all, TILE):
            k = t + tx
            if i < m and k < k_all:
                sa[ty, tx] = a[k, i] if ta else a[i, k]
            else:
                sa[ty, tx] = 0
            k = t + ty
            if k < k_all and j < n:
                sb[ty, tx] = b[j, k] if tb else b[k, j]
            else:
                sb[ty, tx] = 0
            cuda.syncthreads()
            for q in range(TILE):
                acc += sa[ty, q] * sb[q, tx]
            cuda.syncthreads()
        if i < m and j < n:
            if has_bias:
                acc += bias[j]
            if accumulate:
                acc += c[i, j]
            c[i, j] = acc
    return kernel


_KERNELS = {np.dtype(np.float32): _make_matmul(float32), np.dtype(np.float64): _make_matmul(float64)}


def matmul(a, b, ta=False, tb=False, bias=None, out=None, accumulate=False):
    """``op(a) @ op(b) (+ bias)`` on 2-D device arrays; ``op`` transposes where ``ta``/``tb``. With ``out`` the
    result is written (or, with ``accumulate``, added) there."""
    a, b = dev(a), dev(b)
    m = a.shape[1] if ta else a.shape[0]
    n = b.shape[0] if tb else b.shape[1]
    if out is None:
        out = empty((m, n), a.dtype)
    if m == 0 or n == 0:
        return out
    grid = (math.ceil(n / TILE), math.ceil(m / TILE))
    has_bias = bias is not None
    _KERNELS[np.dtype(a.dtype)][grid, (TILE, TILE)](a, b, out, bool(ta), bool(tb), dev(bias) if has_bias else out[0],
                                                   has_bias, bool(accumulate))
    return out


@cuda.jit
def _col_sums(x, out):
    """One block per column: its threads stride over the rows and fold their sums in shared memory."""
    shared = cuda.shared.array(REDUCE_THREADS, float64)
    j, tid = cuda.blockIdx.x, cuda.threadIdx.x
    total = 0.0
    for i in range(tid, x.shape[0], REDUCE_THREADS):
        total += x[i, j]
    total = block_total(shared, total)
    if tid == 0:
        out[j] = total


def col_sum(x):
    """Column sums of a 2-D device array, ``(cols,)`` in its dtype."""
    out = empty((x.shape[1],), x.dtype)
    if x.shape[1]:
        _col_sums[x.shape[1], REDUCE_THREADS](x, out)
    return out
