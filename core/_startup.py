"""Process settings the engine needs before NumPy loads its BLAS; ``core`` imports this module first.

OpenBLAS's idle threads spin for 2²⁸ cycles (about 0.1 s) after every product by default. On a two-core machine
that spinning took the cores from Numba's threads, the GUI and the other BLAS thread: two-thread training ran at a
tenth of its speed whenever anything else was running. 2²⁰ cycles (about 0.3 ms) still spans the gaps between
one training step's products — sleeping after each (2⁴) cost mlp-mnist 15% on free cores in wake-ups — and lets
them sleep between runs. The setting only counts if it is made before OpenBLAS loads, so it is recorded whether it
was: without it the CPU kernels keep BLAS on one thread (see core/kernels/cpu/threads.py).
"""

import os
import sys

_SET_BY_USER = "OPENBLAS_THREAD_TIMEOUT" in os.environ
_NUMPY_LOADED_FIRST = "numpy" in sys.modules
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")

#: Whether OpenBLAS's threads in this process stop spinning soon (our setting, or the user's own, took effect).
BLAS_THREADS_SLEEP_PROMPTLY = _SET_BY_USER or not _NUMPY_LOADED_FIRST
