"""Sum of a device vector on the device: each block folds a grid-stride share through shared memory, one more
single-block pass folds the block totals, and only the final scalar crosses to the host."""

import numpy as np
from numba import cuda, float64

from core.kernels.cuda._device import SIMULATOR, empty

REDUCE_THREADS = 32 if SIMULATOR else 256
REDUCE_BLOCKS = 2 if SIMULATOR else 256


@cuda.jit(device=True)
def block_total(shared, value):
    """The sum of ``value`` over the block's threads (every thread gets it)."""
    tid = cuda.threadIdx.x
    shared[tid] = value
    cuda.syncthreads()
    step = REDUCE_THREADS // 2
    while step > 0:
        if tid < step:
            shared[tid] += shared[tid + step]
        cuda.syncthreads()
        step //= 2
    total = shared[0]
    cuda.syncthreads()
    return total


@cuda.jit
def _block_sums(values, partial):
    shared = cuda.shared.array(REDUCE_THREADS, float64)
    total = 0.0
    for i in range(cuda.grid(1), values.size, cuda.gridsize(1)):
        total += values[i]
    total = block_total(shared, total)
    if cuda.threadIdx.x == 0:
        partial[cuda.blockIdx.x] = total


def device_sum_array(values):
    """``Σ values`` (a 1-D device array) as a one-element float64 device array."""
    nblocks = max(1, min(REDUCE_BLOCKS, -(-values.size // REDUCE_THREADS)))
    partial = empty((nblocks,), np.float64)
    _block_sums[nblocks, REDUCE_THREADS](values, partial)
    out = empty((1,), np.float64)
    _block_sums[1, REDUCE_THREADS](partial, out)
    return out


def device_sum(values) -> float:
    """``Σ values`` (a 1-D device array) as a Python float: one scalar comes back."""
    return float(device_sum_array(values).copy_to_host()[0])
