"""The thread settings of a training or prediction run on the CPU: BLAS's thread count, and denormals flushed to
zero on the calling thread (see _denormals.py).

OpenBLAS splitting the many small and medium products of convolutional and recurrent networks across threads
was several times slower than one thread whenever the cores were busy with anything else (the GUI, Numba's own
parallel loops, other programs). Training and inference therefore run with BLAS on one thread, Numba's parallel
loops keeping both cores. Networks made of large products only (a Dense chain of millions of multiply-adds per
step, see core/fused.py) may use every core: their products are big enough to share, provided OpenBLAS's idle
threads stop spinning soon (core/startup.py), and as long as the run measures faster that way (_BlasThreads).
"""

import os
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

from core.kernels.cpu._denormals import flushed_to_zero

from core.startup import BLAS_THREADS_SLEEP_PROMPTLY

_controller: ThreadpoolController | None = None


@contextmanager
def compute_scope(large_products: bool = False):
    """A context manager for a whole training or prediction run (entered once per run, not per batch);
    ``large_products`` lets BLAS use every core this process may run on, as long as that measures faster: the
    context's value is then a :class:`_BlasThreads` to tell how long each step took (else None)."""
    global _controller
    if _controller is None:  # finding the libraries: once per process
        _controller = ThreadpoolController()
    many = _cores() if large_products and BLAS_THREADS_SLEEP_PROMPTLY else 1
    with _controller.limit(limits=many, user_api="blas"), flushed_to_zero():
        yield _BlasThreads(_controller, many) if many > 1 else None


class _BlasThreads:
    """Chooses between BLAS on every core and on one while a run goes, from the steps' own times.

    Two threads made mlp-mnist's step faster on free cores and slower while another program kept one core busy
    (each product waits for the slower thread), so neither setting is right everywhere. Steps run ``PROBE`` at a
    time on each setting; the faster by mean step time is kept (not the median: on a busy machine most two-thread
    steps were fast and a few waited milliseconds for a descheduled thread), and the other is tried again every
    ``EVERY`` steps in case the machine's load changed. Figures: tests/benchmarks/NOTES.md.
    """

    PROBE = 12
    EVERY = 500

    def __init__(self, controller: ThreadpoolController, many: int) -> None:
        self.controller, self.options = controller, (many, 1)
        self.threads, self.probing, self.countdown = many, True, 0
        self.recent: list[float] = []
        self.means: dict[int, float] = {}
        self.first = True

    def step_done(self, seconds: float) -> None:
        """Record one step's duration; may switch the BLAS thread count for the next steps."""
        if self.first:  # the run's first step loads the compiled kernels: not a measure of either setting
            self.first = False
            return
        self.recent.append(seconds)
        self.countdown -= 1
        if len(self.recent) < self.PROBE:
            return
        self.means[self.threads] = sum(self.recent) / len(self.recent)
        self.recent = []
        other = self.options[1] if self.threads == self.options[0] else self.options[0]
        if self.probing and other in self.means:  # both measured: keep the faster
            best = min(self.options, key=lambda t: self.means.get(t, float("inf")))
            self.probing, self.countdown = False, self.EVERY
            self._use(best)
        elif self.probing or self.countdown <= 0:  # measure the other setting (again)
            self.probing = True
            self.means.pop(other, None)
            self._use(other)

    def _use(self, threads: int) -> None:
        if threads != self.threads:
            self.controller.limit(limits=threads, user_api="blas")
            self.threads = threads


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may use
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)
