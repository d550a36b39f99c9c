"""The thread settings of a training or prediction run on the CPU: BLAS's thread count, and denormals flushed to
zero on the calling thread (see _denormals.py).

OpenBLAS splitting the many small and medium products of convolutional and recurrent networks across threads
was 5 to 25 times slower than one thread whenever the cores were busy with anything else (the GUI, Numba's own
parallel loops, other programs). Training and inference therefore run with BLAS on one thread, Numba's parallel
loops keeping both cores. Networks made of large products only (a Dense chain of millions of multiply-adds per
step, see core/fused.py) ask for every core: their products are big enough to share, provided OpenBLAS's idle
threads sleep promptly (core/_startup.py); otherwise they too get one thread.
"""

import os
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

from core.kernels.cpu._denormals import flushed_to_zero

from core._startup import BLAS_THREADS_SLEEP_PROMPTLY

_controller: ThreadpoolController | None = None


@contextmanager
def compute_scope(large_products: bool = False):
    """A context manager for a whole training or prediction run (entering it costs ~0.1 ms: not per batch);
    ``large_products`` lets BLAS use every core this process may run on."""
    global _controller
    if _controller is None:  # finding the libraries takes ~0.2 ms: once per process
        _controller = ThreadpoolController()
    threads = _cores() if large_products and BLAS_THREADS_SLEEP_PROMPTLY else 1
    with _controller.limit(limits=threads, user_api="blas"), flushed_to_zero():
        yield


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may use
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)
