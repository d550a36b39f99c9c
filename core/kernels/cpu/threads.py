"""How many threads the CPU kernels' BLAS products may use while a network trains or predicts.

OpenBLAS splitting the small and medium products of these networks across threads was 5 to 25 times slower
than one thread whenever the cores were busy with anything else (the GUI, Numba's own parallel loops, other
programs): its threads spin waiting for each other. One thread costs little on an idle machine, so training
and inference run with BLAS limited to one thread; Numba's parallel loops keep both cores.
"""

from threadpoolctl import threadpool_limits


def compute_scope():
    """A context manager for a whole training or prediction run (entering it costs ~0.1 ms: not per batch)."""
    return threadpool_limits(limits=1, user_api="blas")
