"""Numba passes of the fused Dense-chain step (core/fused.py): what runs between its matrix products.

Hidden activations are applied in place, so the derivative is computed from the activation's output ``y``
(ReLU ``y > 0``, sigmoid ``y·(1 − y)``, tanh ``1 − y²``, linear 1): the formulas are the activations family's,
from :mod:`core.kernels.formulas`. ``softmax_rows`` (the output softmax of a chain) is that family's pass too.
"""

from numba import njit

from core.kernels.cpu._formulas import act, grad
from core.kernels.cpu._jit import jit
from core.kernels.cpu.activations import _softmax_rows as softmax_rows  # noqa: F401  (part of the capability)
from core.kernels.formulas import LINEAR, RELU, SIGMOID, TANH

#: Activations the fused step can differentiate from their output alone.
FROM_OUTPUT = (LINEAR, RELU, SIGMOID, TANH)

#: Up to this many samples, a weight gradient is summed in a numba loop straight into its slot; above, by BLAS.
SMALL_BATCH = 4


@njit(inline="always")
def _bias_activation(z, b, has_bias, code, out):
    rows, cols = z.shape
    for i in range(rows):
        for j in range(cols):
            out[i, j] = act(z[i, j] + b[j] if has_bias else z[i, j], code)


@jit
def bias_activation(z, b, has_bias, code, out):
    """``out ← f(z + b)`` row by row (``out`` may be ``z``); one loop per activation, its code a constant, so
    that the loop vectorises."""
    if code == RELU:
        _bias_activation(z, b, has_bias, RELU, out)
    elif code == SIGMOID:
        _bias_activation(z, b, has_bias, SIGMOID, out)
    elif code == TANH:
        _bias_activation(z, b, has_bias, TANH, out)
    else:
        _bias_activation(z, b, has_bias, LINEAR, out)


@njit(inline="always")
def _grad_col_sum(d, y, code, db, has_bias):
    rows, cols = d.shape
    if has_bias:
        for j in range(cols):
            db[j] = 0.0
    for i in range(rows):
        for j in range(cols):
            v = grad(d[i, j], y[i, j], y[i, j], code)  # these activations' f' is a function of y alone
            d[i, j] = v
            if has_bias:
                db[j] += v


@jit
def activation_grad_col_sum(d, y, code, db, has_bias):
    """``d ← d·f'(y)`` in place (``y = f(z)``), then ``db = Σ_rows d`` when ``has_bias``."""
    if code == RELU:
        _grad_col_sum(d, y, RELU, db, has_bias)
    elif code == SIGMOID:
        _grad_col_sum(d, y, SIGMOID, db, has_bias)
    elif code == TANH:
        _grad_col_sum(d, y, TANH, db, has_bias)
    else:
        _grad_col_sum(d, y, LINEAR, db, has_bias)


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
