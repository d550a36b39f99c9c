"""The three forms of gradient descent, which differ only in the batch size given to ``fit``."""

from __future__ import annotations

from core.errors import ConfigError

#: The course's names for the three forms of gradient descent, by mode key.
GRADIENT_DESCENT_MODES = {"batch": "Batch gradient descent", "stochastic": "Stochastic gradient descent",
                          "mini-batch": "Mini-batch gradient descent"}


def gradient_descent_mode(batch_size: int, n: int) -> str:
    """``'batch'`` (one update per epoch on the whole set), ``'stochastic'`` (batch size 1) or ``'mini-batch'``."""
    if n < 1 or batch_size < 1:
        raise ConfigError(f"batch size ({batch_size}) and number of samples ({n}) must both be at least 1")
    if batch_size >= n:
        return "batch"
    return "stochastic" if batch_size == 1 else "mini-batch"


def batch_size_for_mode(mode: str, n: int, batch_size: int = 32) -> int:
    """The batch size that gives ``mode`` on ``n`` samples (``batch_size`` is used for mini-batch)."""
    sizes = {"batch": n, "stochastic": 1, "mini-batch": batch_size}
    if mode not in sizes:
        raise ConfigError(f"unknown gradient-descent mode {mode!r}; choose one of {', '.join(sizes)}")
    return max(1, sizes[mode])
