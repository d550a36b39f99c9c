"""Scalar formulas shared by the compiled backends, written once as plain Python and compiled per target.

The cpu backend compiles them with ``numba.njit(inline="always")`` (:mod:`core.kernels.cpu._formulas`), the
cuda backend as device functions (:mod:`core.kernels.cuda._formulas`); :func:`compile_for` does it, so each
formula calls the other formulas' versions for the same target. Kernels keep their loops and layouts (those
differ per target) and call these for the arithmetic, so a formula fixed here is fixed everywhere. Being plain
Python, each formula also runs as it is (the tests compare the compiled versions with it).

Numba's on-disk cache of a cpu kernel is keyed on the kernel's own source file, not on the formulas inlined into
it: after editing a formula, delete the cache (``find core -name '*.nbi' -delete``) before measuring or testing.

- Activations (:mod:`core.activations` codes, Keras's definitions): ``act`` is ``f(v)``, ``grad`` is
  ``d·f'(z)`` given the upstream gradient ``d`` (``y = f(z)`` where that is cheaper), ``dact`` is ``f'(z)``.
  Softmax (a row operation) is not here. ``act`` of NaN is NaN for every activation, as in NumPy: a comparison
  with NaN is false, so each ``max``/``min``-like branch is written to let it through.
- Affine resampling taps (``resolve``, ``taps``): NHWC images, 2×3 matrices sending an output pixel to the input
  point it reads, computed in float64 so that every backend reads the same taps.
- Layer-normalisation rows (``layernorm_row``, ``layernorm_row_dx``) and LRN's ``s ** -beta`` (``inv_pow``).
"""

from __future__ import annotations

import math
import types
from types import SimpleNamespace

from core.activations import CODES, ELU_ALPHA, LEAKY_SLOPE

LINEAR, SIGMOID, TANH, RELU, SOFTMAX = (CODES[n] for n in ("linear", "sigmoid", "tanh", "relu", "softmax"))
LEAKY, ELU, GELU, SOFTPLUS = (CODES[n] for n in ("leaky_relu", "elu", "gelu", "softplus"))
HARD, HARD_TF2 = CODES["hard_sigmoid"], CODES["hard_sigmoid_tf2"]
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
REFLECT, WRAP, CONSTANT, NEAREST = range(4)


# -- activations ---------------------------------------------------------------------------------------------------
def sigmoid(v):
    """The logistic function, without overflow for large ``|v|``."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def act(v, code):
    """``f(v)`` for activation ``code`` (not softmax)."""
    if code == SIGMOID:
        return sigmoid(v)
    if code == TANH:
        return math.tanh(v)
    if code == RELU:
        return 0.0 if v <= 0 else v  # NaN stays NaN (``v if v > 0`` made it 0: a masked bad input)
    if code == LEAKY:
        return v if v > 0 else LEAKY_SLOPE * v
    if code == ELU:
        return v if v > 0 else ELU_ALPHA * math.expm1(v)
    if code == GELU:
        return v * 0.5 * (1.0 + math.erf(v * INV_SQRT2))
    if code == SOFTPLUS:
        return max(v, 0.0) + math.log1p(math.exp(-abs(v)))
    if code == HARD:
        return min(max(v / 6.0 + 0.5, 0.0), 1.0)
    if code == HARD_TF2:
        return min(max(0.2 * v + 0.5, 0.0), 1.0)
    return v


def grad(d, z, y, code):
    """``d·f'(z)`` for activation ``code`` with output ``y = f(z)`` (not softmax); where ``f'`` is 0 the result is
    0 whatever ``d`` is."""
    if code == SIGMOID:
        return d * y * (1.0 - y)
    if code == TANH:
        return d * (1.0 - y * y)
    if code == RELU:
        return d if z > 0 else 0.0
    if code == LEAKY:
        return d if z > 0 else LEAKY_SLOPE * d
    if code == ELU:
        return d if z > 0 else d * (y + ELU_ALPHA)
    if code == GELU:
        return d * (0.5 * (1.0 + math.erf(z * INV_SQRT2)) + z * INV_SQRT2PI * math.exp(-0.5 * z * z))
    if code == SOFTPLUS:
        return d * sigmoid(z)
    if code == HARD:
        return d / 6.0 if -3.0 < z < 3.0 else 0.0
    if code == HARD_TF2:
        return d * 0.2 if -2.5 < z < 2.5 else 0.0
    return d


def dact(z, y, code):
    """``f'(z)`` for activation ``code`` with output ``y = f(z)`` (not softmax)."""
    return grad(1.0, z, y, code)


# -- affine resampling ---------------------------------------------------------------------------------------------
def resample_codes(interpolation, fill_mode):
    """``(bilinear, fill mode code)`` for the resampling kernels; a clear error for an unknown choice. Plain Python
    (not compiled): the kernels' wrappers call it."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    return interpolation == "bilinear", FILL_MODES.index(fill_mode)


def resolve(i, size, mode):
    """Index ``i`` mapped into ``[0, size)`` by the fill mode; -1 where a constant fill applies."""
    if mode == REFLECT:
        period = 2 * size
        i = i % period
        return period - 1 - i if i >= size else i
    if mode == WRAP:
        return i % size
    if mode == NEAREST:
        return min(max(i, 0), size - 1)
    return i if 0 <= i < size else -1


def taps(m, b, ox, oy, h, w, bilinear, mode):
    """The taps of output pixel ``(oy, ox)`` of sample ``b``: rows ``r0, r1``, columns ``c0, c1`` (in range),
    their weights ``w00, w01, w10, w11``, and the weight that goes to the constant fill value (float64)."""
    sx = m[b, 0, 0] * ox + m[b, 0, 1] * oy + m[b, 0, 2]
    sy = m[b, 1, 0] * ox + m[b, 1, 1] * oy + m[b, 1, 2]
    if bilinear:
        fy, fx = math.floor(sy), math.floor(sx)
        ay, ax = sy - fy, sx - fx
        r0, c0 = resolve(int(fy), h, mode), resolve(int(fx), w, mode)
        r1, c1 = resolve(int(fy) + 1, h, mode), resolve(int(fx) + 1, w, mode)
    else:
        ay, ax = 0.0, 0.0
        r0, c0 = resolve(int(math.floor(sy + 0.5)), h, mode), resolve(int(math.floor(sx + 0.5)), w, mode)
        r1, c1 = 0, 0
    w00, w01, w10, w11 = (1.0 - ay) * (1.0 - ax), (1.0 - ay) * ax, ay * (1.0 - ax), ay * ax
    fill_w = 0.0
    if r0 < 0 or c0 < 0:
        fill_w, w00 = fill_w + w00, 0.0
    if r0 < 0 or c1 < 0:
        fill_w, w01 = fill_w + w01, 0.0
    if r1 < 0 or c0 < 0:
        fill_w, w10 = fill_w + w10, 0.0
    if r1 < 0 or c1 < 0:
        fill_w, w11 = fill_w + w11, 0.0
    return max(r0, 0), max(r1, 0), max(c0, 0), max(c1, 0), w00, w01, w10, w11, fill_w


# -- normalisation ---------------------------------------------------------------------------------------------------
def layernorm_row(x, i, gamma, beta, eps, y, xhat):
    """Normalise row ``i`` of ``x`` into ``xhat`` and ``y = xhat·gamma + beta``; returns the row's
    ``1 / sqrt(var + eps)``. Statistics accumulate in float64."""
    c = x.shape[1]
    s = 0.0
    for j in range(c):
        s += x[i, j]
    mean = s / c
    v = 0.0
    for j in range(c):
        d = x[i, j] - mean
        v += d * d
    inv = 1.0 / math.sqrt(v / c + eps)
    for j in range(c):
        h = (x[i, j] - mean) * inv
        xhat[i, j] = h
        y[i, j] = h * gamma[j] + beta[j]
    return inv


def layernorm_row_dx(dy, xhat, i, inv, gamma, dx):
    """Row ``i`` of the input gradient of layer normalisation, from that row's ``inv`` (its 1/std).

    The products run in the wider of ``dy``'s and ``gamma``'s dtypes (the cpu passes ``gamma`` in the tensors'
    dtype, the cuda kernels in float64)."""
    c = dy.shape[1]
    sg = 0.0
    sgx = 0.0
    for j in range(c):
        g = dy[i, j] * gamma[j]
        sg += g
        sgx += g * xhat[i, j]
    sg /= c
    sgx /= c
    for j in range(c):
        dx[i, j] = inv * (dy[i, j] * gamma[j] - sg - xhat[i, j] * sgx)


def inv_pow(s, beta):
    """``s ** -beta`` for s > 0, with the common exponents (TensorFlow's 0.5, AlexNet's 0.75) done by sqrt."""
    if beta == 0.5:
        return 1.0 / math.sqrt(s)
    if beta == 0.75:
        r = 1.0 / math.sqrt(s)
        return r * math.sqrt(r)
    return math.exp(-beta * math.log(s))


#: The formulas :func:`compile_for` compiles, callees before callers.
COMPILED = ("sigmoid", "act", "grad", "dact", "resolve", "taps", "layernorm_row", "layernorm_row_dx", "inv_pow")


def compile_for(decorator) -> SimpleNamespace:
    """Every formula of :data:`COMPILED` compiled by ``decorator`` (e.g. ``numba.njit(inline="always")``), as
    attributes. Each is a copy of the function whose globals name the other formulas' compiled copies, so a
    formula calling another calls the version for the same target."""
    namespace = dict(globals())
    compiled = {}
    for name in COMPILED:
        fn = globals()[name]
        copy = types.FunctionType(fn.__code__, namespace, name, fn.__defaults__, fn.__closure__)
        copy.__doc__, copy.__module__, copy.__qualname__ = fn.__doc__, fn.__module__, fn.__qualname__
        namespace[name] = compiled[name] = decorator(copy)
    return SimpleNamespace(**compiled)
