"""Process settings the engine needs before NumPy loads its BLAS; ``core`` imports this module first.

OpenBLAS's idle threads spin for a long time (2²⁸ cycles) after every product by default; on a small machine that
spinning takes the cores from Numba's threads, the GUI and the other BLAS thread. 2²⁰ cycles still spans the gaps
between one training step's products (sleeping after each costs more in wake-ups) and lets them sleep between
runs (the figures are in tests/benchmarks/NOTES.md). The setting only counts if it is made before OpenBLAS loads, so it is recorded whether it
was: without it the CPU kernels keep BLAS on one thread (see core/kernels/cpu/threads.py).
"""

import os
import sys

_SET_BY_USER = "OPENBLAS_THREAD_TIMEOUT" in os.environ
_NUMPY_LOADED_FIRST = "numpy" in sys.modules
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")

#: Whether OpenBLAS's threads in this process stop spinning soon (our setting, or the user's own, took effect).
BLAS_THREADS_SLEEP_PROMPTLY = _SET_BY_USER or not _NUMPY_LOADED_FIRST
