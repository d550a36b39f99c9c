"""Sharing a convolution or pooling pass out to threads, a slice of the batch at a time.

Each slice runs a single-threaded ``nogil`` numba kernel, so Python threads run them side by side. Compared with
a numba ``parallel=True`` loop this compiles in a fraction of the time (the parallel versions of the direct
convolution added seconds to a cold start) and shares out dynamically: the calling thread works through the slices
too, and a thread whose core is busy with another program takes fewer of them (or none) instead of holding the
others up. As many threads are used as numba's thread count.
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

from core.kernels.cpu._denormals import flush_denormals

_lock = threading.Lock()
_executor = [None]
_local = threading.local()


class _Work:
    """Items taken one at a time by whichever thread is free; the calling thread takes them too, so that when the
    other threads are slow to start (their cores busy with other programs) it simply does all of them."""

    def __init__(self, fn, items):
        self.fn, self.items = fn, items
        self.results, self.errors = [None] * len(items), []
        self.next, self.done = itertools.count(), itertools.count(1)
        self.finished = threading.Event()

    def drain(self):
        outer, _local.inside = getattr(_local, "inside", False), True
        try:
            for i in iter(self.next.__next__, None):
                if i >= len(self.items):
                    return
                try:
                    self.results[i] = self.fn(self.items[i])
                except BaseException as error:  # handed to the calling thread
                    self.errors.append(error)
                if next(self.done) == len(self.items):
                    self.finished.set()
        finally:
            _local.inside = outer


def each(fn, items):
    """``[fn(item) for item in items]``, the items shared out to the threads. Runs on the calling thread alone
    when there is one item or one thread, or when called from one of these threads itself."""
    items = list(items)
    count = min(len(items), numba.get_num_threads())
    if count < 2 or getattr(_local, "inside", False):
        return [fn(item) for item in items]
    with _lock:
        if _executor[0] is None or _executor[0]._max_workers < count - 1:
            _executor[0] = ThreadPoolExecutor(count - 1, thread_name_prefix="conv-slices", initializer=flush_denormals)
        executor = _executor[0]
    work = _Work(fn, items)
    for _ in range(count - 1):
        executor.submit(work.drain)
    work.drain()
    work.finished.wait()  # only for items already started elsewhere: a helper that starts late finds none left
    if work.errors:
        raise work.errors[0]
    return work.results


def spans(n, pieces):
    """``pieces`` contiguous ``(start, stop)`` ranges that cover ``range(n)``."""
    return [((i * n) // pieces, ((i + 1) * n) // pieces) for i in range(pieces)]


def pieces(n):
    """How many slices to cut ``n`` samples into: two per thread, so that a slow thread can be made up for."""
    return max(1, min(n, 2 * numba.get_num_threads()))
