"""Numba passes of the fused Dense-chain step (core/fused.py): what runs between its matrix products.

Hidden activations are applied in place, so the derivative is computed from the activation's output ``y``:
ReLU ``y > 0``, sigmoid ``y·(1 − y)``, tanh ``1 − y²``, linear 1 (the same formulas as the activations family).
"""

import math

from core.kernels.cpu._jit import jit
from core.kernels.cpu.activations import LINEAR, RELU, SIGMOID, TANH, _sigmoid

#: Activations the fused step can differentiate from their output alone.
FROM_OUTPUT = (LINEAR, RELU, SIGMOID, TANH)

#: Up to this many samples, a weight gradient is summed in a numba loop straight into its slot; above, by BLAS.
SMALL_BATCH = 4


@jit
def bias_activation(z, b, has_bias, code, out):
    """``out ← f(z + b)`` row by row (``out`` may be ``z``)."""
    rows, cols = z.shape
    for i in range(rows):
        for j in range(cols):
            v = z[i, j] + b[j] if has_bias else z[i, j]
            if code == RELU:
                v = v if v > 0 else 0.0
            elif code == SIGMOID:
                v = _sigmoid(v)
            elif code == TANH:
                v = math.tanh(v)
            out[i, j] = v


@jit
def activation_grad_col_sum(d, y, code, db, has_bias):
    """``d ← d·f'(y)`` in place (``y = f(z)``), then ``db = Σ_rows d`` when ``has_bias``."""
    rows, cols = d.shape
    if has_bias:
        for j in range(cols):
            db[j] = 0.0
    for i in range(rows):
        for j in range(cols):
            yi = y[i, j]
            if code == RELU:
                v = d[i, j] if yi > 0 else 0.0
            elif code == SIGMOID:
                v = d[i, j] * yi * (1.0 - yi)
            elif code == TANH:
                v = d[i, j] * (1.0 - yi * yi)
            else:
                v = d[i, j]
            d[i, j] = v
            if has_bias:
                db[j] += v


@jit
def weight_grad_small(a, d, out):
    """``out = aᵀ·d`` for a few rows (a sum of outer products), written in place."""
    rows, k = a.shape
    cols = d.shape[1]
    for p in range(k):
        x = a[0, p]
        for j in range(cols):
            out[p, j] = x * d[0, j]
        for i in range(1, rows):
            x = a[i, p]
            for j in range(cols):
                out[p, j] += x * d[i, j]
