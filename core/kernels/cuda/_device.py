"""Shared device plumbing: launch geometry, host/device conversion and the simulator switch.

Under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) every thread is a Python thread, so blocks and tiles
are kept small there; on a GPU they are sized for occupancy. Kernels use grid-stride loops, so the grid size
only caps parallelism and never changes results.
"""

from __future__ import annotations

import math

import numpy as np
from numba import config, cuda

SIMULATOR = bool(config.ENABLE_CUDASIM)
THREADS = 32 if SIMULATOR else 256       # threads per block of element-wise kernels
MAX_BLOCKS = 2 if SIMULATOR else 4096    # grid-stride loops cover the rest
TILE = 4 if SIMULATOR else 16            # side of the shared-memory tile of the matrix product


def is_device(x) -> bool:
    """Whether ``x`` is a device array (real or simulated)."""
    return hasattr(x, "copy_to_host")


def dev(x, dtype=None):
    """``x`` on the device (uploaded if it is a host array; device arrays are returned as they are)."""
    if x is None or is_device(x):
        return x
    return cuda.to_device(np.ascontiguousarray(x, dtype=dtype))


def host(x):
    """``x`` as a NumPy array (copied down if it is a device array)."""
    return x.copy_to_host() if is_device(x) else x


def empty(shape, dtype):
    return cuda.device_array(tuple(int(s) for s in shape), dtype=np.dtype(dtype))


def zeros(shape, dtype):
    """A zero-filled device array (filled by a kernel, nothing is uploaded)."""
    out = empty(shape, dtype)
    if out.size:
        _fill[blocks(out.size), THREADS](out.reshape(-1), 0.0)
    return out


def blocks(n: int) -> int:
    """Blocks of :data:`THREADS` threads for ``n`` items, capped (the kernels stride over the rest)."""
    return max(1, min(MAX_BLOCKS, math.ceil(n / THREADS)))


@cuda.jit
def _fill(out, value):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for i in range(start, out.size, stride):
        out[i] = value


def fill(out, value) -> None:
    """Set every element of the contiguous device array ``out`` to ``value``."""
    if out.size:
        _fill[blocks(out.size), THREADS](out.reshape(-1), value)


def flat(x):
    """A 1-D view of a contiguous device array."""
    return x.reshape(x.size)


def _simulator_shapes_as_tuples() -> None:
    """A real device array's ``shape`` is a tuple (``shape[-1]`` works); the simulator's refuses negative
    indices. Host code here and in the layers is written for the real thing, so the simulator gets tuples."""
    from numba.cuda.simulator.cudadrv import devicearray as fake
    fake.FakeCUDAArray.shape = property(lambda self: tuple(self._ary.shape))


if SIMULATOR:
    _simulator_shapes_as_tuples()
