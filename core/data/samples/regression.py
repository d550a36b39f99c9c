"""Regression sets: 1-D functions (sine, polynomial, step) and a 2-D surface, generated with a seed.

Each returns ``(x, y)`` with ``x`` of shape ``(n, 1)`` or ``(n, 2)`` and ``y`` of shape ``(n, 1)``, float32.
"""

from __future__ import annotations

import numpy as np


def sine(n: int = 400, noise: float = 0.05, periods: float = 1.0, seed: int = 0):
    """``y = sin(2π·periods·x)`` for ``x`` in ``[-1, 1]``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 1))
    return _out(x, np.sin(2 * np.pi * periods * x), noise, rng)


def polynomial(n: int = 400, noise: float = 0.05, degree: int = 3, seed: int = 0):
    """A fixed polynomial of the given degree (Chebyshev ``T_degree``, within ``[-1, 1]``) for ``x`` in ``[-1, 1]``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 1))
    coeffs = np.zeros(degree + 1)
    coeffs[-1] = 1.0
    return _out(x, np.polynomial.chebyshev.chebval(x, coeffs), noise, rng)


def step(n: int = 400, noise: float = 0.05, steps: int = 3, seed: int = 0):
    """A staircase with ``steps`` equal steps from -1 to 1 over ``x`` in ``[-1, 1]``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 1))
    level = np.minimum(np.floor((x + 1.0) / 2.0 * steps), steps - 1)
    return _out(x, 2.0 * level / max(steps - 1, 1) - 1.0, noise, rng)


def surface(n: int = 600, noise: float = 0.05, seed: int = 0):
    """``y = sin(π·x1)·cos(π·x2)`` over the square ``[-1, 1]²``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 2))
    return _out(x, (np.sin(np.pi * x[:, 0]) * np.cos(np.pi * x[:, 1]))[:, None], noise, rng)


def _out(x: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator):
    y = y + rng.normal(0.0, 1.0, y.shape) * noise
    return x.astype(np.float32), y.astype(np.float32)
