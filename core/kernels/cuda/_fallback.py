"""Run a host kernel on device tensors by copying them down and the results back up.

Used by the loader only where no CUDA kernel exists yet (the backend's ``fallbacks`` name them, so the gap is
visible); the numbers are the host kernel's, the cost is two transfers per call.
"""

from __future__ import annotations

import functools

import numpy as np

from core.kernels.cuda._device import dev, host, is_device


def _down(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_down(v) for v in value)
    return host(value) if is_device(value) else value


def _up(value):
    if isinstance(value, tuple):
        return tuple(_up(v) for v in value)
    if isinstance(value, list):
        return [_up(v) for v in value]
    return dev(value) if isinstance(value, np.ndarray) else value


def hosted(host_kernel):
    """``host_kernel`` wrapped to take and return device tensors."""

    @functools.wraps(host_kernel)
    def run(*args, **kwargs):
        out = host_kernel(*_down(args), **{k: _down(v) for k, v in kwargs.items()})
        return _up(out)

    return run
