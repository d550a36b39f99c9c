"""Keras's LSTM over a whole sequence on the CPU: one matrix product and one fused numba pass per step.

Layout: ``xh`` (``(T + 1, N, F + u)``) holds each step's input ``x_t`` next to the previous state ``h_{t-1}``, so
that a step's pre-activations are ONE product ``xh[t] @ [kernel; recurrent_kernel]`` (no separate input
projection, no sum of two products, no bias sweep), and the step's pass writes ``h_t`` straight into
``xh[t + 1]``. Backward makes one product per step for the recurrent gradient, then the kernel and recurrent
kernel gradients as ONE product ``xhᵀ @ dz`` over all steps; the bias gradient is summed by the step passes.

The work arrays of a batch (a few MB) come from a small pool and go back to it when the forward's cache is
released: fresh arrays of that size cost the kernel's page faults on every batch, which measured as much as the
arithmetic itself. Large batches (inference) are split into slices that run on separate threads.
"""

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from core.kernels.cpu._denormals import flush_denormals
from core.kernels.cpu import _lstm_cells as lc
from core.kernels.formulas import SIGMOID, TANH


class _Pool:
    """Sets of work arrays keyed by shape and dtype, reused across batches (at most ``limit`` bytes kept)."""

    def __init__(self, limit=64 << 20):
        self._free, self._bytes, self._limit = OrderedDict(), 0, limit
        self._lock = threading.Lock()

    def take(self, key, make):
        with self._lock:
            sets = self._free.get(key)
            if sets:
                arrays = sets.pop()
                self._bytes -= sum(x.nbytes for x in arrays)
                return arrays
        return make()

    def give(self, key, arrays):
        size = sum(x.nbytes for x in arrays)
        with self._lock:
            self._free.setdefault(key, []).append(arrays)
            self._free.move_to_end(key)
            self._bytes += size
            while self._bytes > self._limit:  # drop the least recently used sets
                old_key, sets = next(iter(self._free.items()))
                self._bytes -= sum(x.nbytes for x in sets.pop(0))
                if not sets:
                    del self._free[old_key]


_POOL = _Pool()
_EXECUTOR, _EXECUTOR_PID, _EXECUTOR_LOCK = None, None, threading.Lock()
_thread_count = numba.get_num_threads
# Slices of the batch run on separate threads only from this many rows: each step hands the GIL over twice per
# thread, which cost more than the second core gained at a training batch of 64, and paid off from slices of 128
# rows (figures: tests/benchmarks/NOTES.md).
MIN_ROWS = 128


class _Lease:
    """Work arrays borrowed from the pool; they go back when the lease (held by a cache) is released."""

    def __init__(self, key, make):
        self.key, self.arrays, self.spent = key, _POOL.take(key, make), False

    def spend(self):
        """Mark the arrays as overwritten by a backward pass, which may happen once per forward pass."""
        if self.spent:
            raise RuntimeError("LSTM: backward ran twice on one forward pass's cache (the CPU kernels write the "
                               "gradients over the stored activations); run the forward pass again first")
        self.spent = True

    def __del__(self):
        _POOL.give(self.key, self.arrays)


def _forward_arrays(steps, n, f, u, dtype, standard):
    def make():
        z = np.empty((steps, n, 4 * u), dtype)
        g = z if standard else np.empty_like(z)
        return (np.empty((steps + 1, n, f + u), dtype), z, g, np.empty((steps + 1, n, u), dtype),
                np.empty((steps, n, u), dtype))
    return _Lease(("forward", steps, n, f, u, np.dtype(dtype).str, standard), make)


def _parts(n):
    """The batch slices that run on separate threads: one per Numba thread, each at least ``MIN_ROWS`` rows."""
    count = max(1, min(_thread_count(), n // MIN_ROWS))
    bounds = [n * i // count for i in range(count + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds, bounds[1:])]


def _executor(workers):
    """The module's worker threads (at least ``workers`` of them), started on first use and again in a forked
    child (which inherits the executor but not its threads)."""
    global _EXECUTOR, _EXECUTOR_PID
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None or _EXECUTOR._max_workers < workers or _EXECUTOR_PID != os.getpid():
            _EXECUTOR, _EXECUTOR_PID = ThreadPoolExecutor(workers, thread_name_prefix="lstm", initializer=flush_denormals), os.getpid()
        return _EXECUTOR


def _parallel(fn, items):
    """``[fn(*item) for item in items]``, the first item on this thread and the others on the pool's."""
    if len(items) == 1:
        return [fn(*items[0])]
    executor = _executor(len(items) - 1)
    futures = [executor.submit(fn, *item) for item in items[1:]]
    first = fn(*items[0])
    return [first] + [f.result() for f in futures]


def _weight_grad(xh, dz):
    """``Σ_t xh[t]ᵀ @ dz[t]`` as one product."""
    return xh.reshape(-1, xh.shape[2]).T @ dz.reshape(-1, dz.shape[2])


def _forward_part(x, w, b, activation, recurrent_activation, go_backwards):
    """The recurrence for one slice of the batch; returns the lease of its work arrays."""
    n, steps, f = x.shape
    u = w.shape[1] // 4
    fast = activation == TANH and recurrent_activation == SIGMOID and x.dtype == np.float32
    lease = _forward_arrays(steps, n, f, u, x.dtype, fast)
    xh, z, g, cs, a = lease.arrays
    xt = np.swapaxes(x, 0, 1)
    xh[:steps, :, :f] = xt[::-1] if go_backwards else xt
    xh[0, :, f:] = 0
    cs[0] = 0
    for t in range(steps):
        np.matmul(xh[t], w, out=z[t])
        if fast:
            lc.step_std32(z[t], b, cs[t], cs[t + 1], a[t], xh[t + 1], f)
        else:
            lc.step_any(z[t], b, g[t], cs[t], cs[t + 1], a[t], xh[t + 1], f, activation, recurrent_activation)
    return lease


def forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, go_backwards, return_sequences):
    """Keras's LSTM over ``x`` ``(N, T, F)``; returns ``(output, cache)``."""
    n, steps, f = x.shape
    u = recurrent_kernel.shape[0]
    w = np.concatenate([kernel, recurrent_kernel]).astype(x.dtype, copy=False)
    b = np.zeros(4 * u, x.dtype) if bias is None else bias
    parts = _parts(n)
    leases = _parallel(_forward_part, [(x[s], w, b, activation, recurrent_activation, go_backwards)
                                       for s in parts])
    out = np.empty((n, steps, u) if return_sequences else (n, u), x.dtype)
    for s, lease in zip(parts, leases):
        hs = lease.arrays[0][1:, :, f:]
        out[s] = np.swapaxes(hs, 0, 1) if return_sequences else hs[-1]
    standard = activation == TANH and recurrent_activation == SIGMOID
    cache = (leases, parts, bias is not None, activation, recurrent_activation, standard, go_backwards,
             return_sequences)
    return out, cache


def _step_grads(dy, steps, return_sequences):
    """The gradient reaching each step's ``h`` from the layer output, as a function of the step."""
    if return_sequences:
        seq = np.ascontiguousarray(np.swapaxes(dy, 0, 1))
        return seq.__getitem__
    last, zero = np.ascontiguousarray(dy), np.zeros_like(dy)
    return lambda t: last if t == steps - 1 else zero


def _backward_part(dy, lease, rt, codes, standard, return_sequences):
    """``(work, dz, dw, db)`` of one slice of the batch: the step passes and the recurrent products, then
    ``xhᵀ @ dz``. ``dz`` lives in the leased ``work`` arrays, returned with it."""
    xh, z, g, cs, a = lease.arrays
    steps, n, u4 = z.shape
    u = u4 // 4
    douts = _step_grads(dy, steps, return_sequences)
    if standard:  # the gradients overwrite the activations, which nothing needs afterwards
        lease.spend()
        work, dz = None, g
    else:
        work = _Lease(("backward", steps, n, u4, z.dtype.str), lambda: (np.empty_like(z),))
        dz, = work.arrays
    dh, dc, db = np.zeros((n, u), z.dtype), np.zeros((n, u), z.dtype), np.zeros(u4, z.dtype)
    for t in range(steps - 1, -1, -1):
        if standard:
            lc.back_std(dh, douts(t), g[t], cs[t], a[t], dc, db)
        else:
            lc.back_any(dh, douts(t), z[t], g[t], cs[t], cs[t + 1], a[t], dc, dz[t], db, *codes)
        if t:
            np.matmul(dz[t], rt, out=dh)
    return work, dz.reshape(steps * n, u4), _weight_grad(xh[:steps], dz), db


def backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`forward`: ``(dx or None, dkernel, drecurrent, dbias or None)``."""
    leases, parts, has_bias, activation, recurrent_activation, standard, go_backwards, return_sequences = cache
    rt = np.ascontiguousarray(recurrent_kernel.T, dy.dtype)  # BLAS runs faster on a copy than on the view
    codes = (activation, recurrent_activation)
    results = _parallel(_backward_part, [(np.ascontiguousarray(dy[s]), lease, rt, codes, standard,
                                          return_sequences) for s, lease in zip(parts, leases)])
    dw, db = results[0][2], results[0][3]
    for r in results[1:]:
        dw += r[2]
        db += r[3]
    f = kernel.shape[0]
    dx = None
    if need_dx:
        n, steps = dy.shape[0], leases[0].arrays[1].shape[0]
        dx = np.empty((n, steps, f), dy.dtype)
        for s, r in zip(parts, results):
            dxt = (r[1] @ kernel.T).reshape(steps, -1, f)
            dx[s] = np.swapaxes(dxt[::-1] if go_backwards else dxt, 0, 1)
    return dx, dw[:f], dw[f:], db if has_bias else None
