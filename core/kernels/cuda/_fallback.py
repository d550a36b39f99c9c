"""Run a CPU kernel on device tensors by copying them down and the results back up.

Used only where no CUDA kernel exists yet (named in :data:`HOST_FALLBACKS` so the gap is visible); the
numbers are the CPU kernel's, the cost is two transfers per call.
"""

from __future__ import annotations

import functools

import numpy as np

from core.kernels.cuda._device import dev, host, is_device

HOST_FALLBACKS: list[str] = []


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


def hosted(cpu_kernel):
    """``cpu_kernel`` wrapped to take and return device tensors (registered in :data:`HOST_FALLBACKS`)."""

    @functools.wraps(cpu_kernel)
    def run(*args, **kwargs):
        out = cpu_kernel(*_down(args), **{k: _down(v) for k, v in kwargs.items()})
        return _up(out)

    HOST_FALLBACKS.append(cpu_kernel.__name__)
    return run


def complete(namespace: dict, cpu_module) -> list[str]:
    """Give a cuda family module every public function of its cpu twin: those it does not define yet become
    host fallbacks (so a kernel added on the cpu is usable here at once, and listed). Returns ``__all__``."""
    from core.kernels import _public_functions
    names = sorted(_public_functions(cpu_module))
    for name in names:
        if not callable(namespace.get(name)) or name.startswith("_"):
            namespace[name] = hosted(getattr(cpu_module, name))
    return names
