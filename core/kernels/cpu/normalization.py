"""Normalisation kernels in numba: one pass for the statistics, one fused pass for the output.

Inputs are 2-D ``(rows, channels)`` (the layer moves the normalisation axis last). Statistics accumulate in
float64 whatever the data type, so float32 batches of many rows keep their precision.
"""

import numpy as np

from core.kernels.cpu._formulas import inv_pow, layernorm_row, layernorm_row_dx
from core.kernels.cpu._jit import jit


def _rows(x):
    return np.ascontiguousarray(x)


def _or_const(v, n, dtype, value):
    return np.full(n, value, dtype) if v is None else np.ascontiguousarray(v, dtype=dtype)


@jit
def _column_stats(x):
    m, c = x.shape
    mean = np.zeros(c, np.float64)
    for i in range(m):
        for j in range(c):
            mean[j] += x[i, j]
    mean /= m
    var = np.zeros(c, np.float64)
    for i in range(m):
        for j in range(c):
            d = x[i, j] - mean[j]
            var[j] += d * d
    var /= m
    return mean, var


@jit
def _bn_normalize(x, mean, inv_std, gamma, beta, y, xhat):
    m, c = x.shape
    for i in range(m):
        for j in range(c):
            h = (x[i, j] - mean[j]) * inv_std[j]
            xhat[i, j] = h
            y[i, j] = h * gamma[j] + beta[j]


@jit
def _column_grads(dy, xhat):
    m, c = dy.shape
    dgamma = np.zeros(c, np.float64)
    dbeta = np.zeros(c, np.float64)
    for i in range(m):
        for j in range(c):
            dgamma[j] += dy[i, j] * xhat[i, j]
            dbeta[j] += dy[i, j]
    return dgamma, dbeta


@jit
def _bn_dx(dy, xhat, k, a, b, dx):
    """``dx = k * (dy - a - xhat * b)`` per column."""
    m, c = dy.shape
    for i in range(m):
        for j in range(c):
            dx[i, j] = k[j] * (dy[i, j] - a[j] - xhat[i, j] * b[j])


def _bn_apply(x, gamma, beta, mean, var, eps):
    c = x.shape[1]
    inv_std = (1.0 / np.sqrt(var.astype(np.float64) + eps)).astype(x.dtype)
    y, xhat = np.empty_like(x), np.empty_like(x)
    _bn_normalize(x, mean.astype(x.dtype), inv_std, _or_const(gamma, c, x.dtype, 1.0),
                  _or_const(beta, c, x.dtype, 0.0), y, xhat)
    return y, xhat, inv_std


def batchnorm_forward_train(x, gamma, beta, eps):
    """Batch normalisation with the batch's statistics; ``gamma``/``beta`` may be None.

    Returns ``(y, mean, var, xhat, inv_std)``; ``var`` is the biased batch variance, which Keras's moving
    average uses.
    """
    x = _rows(x)
    mean, var = _column_stats(x)
    y, xhat, inv_std = _bn_apply(x, gamma, beta, mean, var, eps)
    return y, mean.astype(x.dtype), var.astype(x.dtype), xhat, inv_std


def batchnorm_forward_infer(x, gamma, beta, mean, var, eps):
    """Batch normalisation with given (moving) statistics: returns ``(y, xhat, inv_std)``."""
    return _bn_apply(_rows(x), gamma, beta, mean, var, eps)


def batchnorm_backward(dy, xhat, inv_std, gamma, batch_stats, need_dx):
    """Gradients of batch normalisation: ``(dx or None, dgamma, dbeta)``.

    With ``batch_stats`` the mean and variance depend on x (training mode), which adds the two centring terms.
    """
    dy = _rows(dy)
    m, c = dy.shape
    dgamma, dbeta = _column_grads(dy, xhat)
    dt = dy.dtype
    if not need_dx:
        return None, dgamma.astype(dt), dbeta.astype(dt)
    k = inv_std.astype(np.float64) * (1.0 if gamma is None else gamma.astype(np.float64))
    zero = np.zeros(c, np.float64)
    a, b = (dbeta / m, dgamma / m) if batch_stats else (zero, zero)
    dx = np.empty_like(dy)
    _bn_dx(dy, xhat, k, a, b, dx)
    return dx, dgamma.astype(dt), dbeta.astype(dt)


@jit
def _moving_update(moving, value, momentum):
    for j in range(moving.size):
        moving[j] = moving[j] * momentum + value[j] * (1.0 - momentum)


def batchnorm_update_moving(moving, value, momentum):
    """Keras's moving average, in place: ``moving = moving * momentum + value * (1 - momentum)``."""
    _moving_update(moving.reshape(-1), value.astype(moving.dtype).reshape(-1), momentum)


@jit
def _ln_forward(x, gamma, beta, eps, y, xhat, inv_std):
    for i in range(x.shape[0]):
        inv_std[i] = layernorm_row(x, i, gamma, beta, eps, y, xhat)


@jit
def _ln_dx(dy, xhat, inv_std, gamma, dx):
    for i in range(dy.shape[0]):
        layernorm_row_dx(dy, xhat, i, inv_std[i], gamma, dx)


def layernorm_forward(x, gamma, beta, eps):
    """Layer normalisation of each row: returns ``(y, xhat, inv_std)`` with ``inv_std`` of shape ``(rows,)``."""
    x = _rows(x)
    m, c = x.shape
    y, xhat, inv_std = np.empty_like(x), np.empty_like(x), np.empty(m, x.dtype)
    _ln_forward(x, _or_const(gamma, c, x.dtype, 1.0), _or_const(beta, c, x.dtype, 0.0), eps, y, xhat, inv_std)
    return y, xhat, inv_std


def layernorm_backward(dy, xhat, inv_std, gamma, need_dx):
    """Gradients of layer normalisation: ``(dx or None, dgamma, dbeta)``."""
    dy = _rows(dy)
    dgamma, dbeta = _column_grads(dy, xhat)
    dgamma, dbeta = dgamma.astype(dy.dtype), dbeta.astype(dy.dtype)
    if not need_dx:
        return None, dgamma, dbeta
    dx = np.empty_like(dy)
    _ln_dx(dy, xhat, inv_std, _or_const(gamma, dy.shape[1], dy.dtype, 1.0), dx)
    return dx, dgamma, dbeta


@jit
def _window_sum_rows(v, radius, out):
    """Sliding sum over columns, ``out[:, d] = v[:, d - radius : d + radius + 1].sum(1)``, clipped at the edges."""
    m, c = v.shape
    for i in range(m):
        s = 0.0
        for j in range(min(radius, c)):
            s += v[i, j]
        for d in range(c):
            if d + radius < c:
                s += v[i, d + radius]
            if d - radius - 1 >= 0:
                s -= v[i, d - radius - 1]
            out[i, d] = s


@jit
def _lrn_forward(x, radius, bias, alpha, beta, y, scale):
    m, c = x.shape
    _window_sum_rows(x * x, radius, scale)
    for i in range(m):
        for j in range(c):
            s = bias + alpha * scale[i, j]
            scale[i, j] = s
            y[i, j] = x[i, j] * inv_pow(s, beta)


@jit
def _lrn_backward(dy, x, scale, radius, alpha, beta, dx):
    m, c = x.shape
    t = np.empty_like(dx)
    for i in range(m):
        for j in range(c):
            p = inv_pow(scale[i, j], beta)
            dx[i, j] = dy[i, j] * p
            t[i, j] = dy[i, j] * x[i, j] * p / scale[i, j]
    w = np.empty_like(dx)
    _window_sum_rows(t, radius, w)
    k = 2.0 * alpha * beta
    for i in range(m):
        for j in range(c):
            dx[i, j] -= k * x[i, j] * w[i, j]


def lrn_forward(x, depth_radius, bias, alpha, beta):
    """TensorFlow's local response normalisation over columns: ``x / (bias + alpha * sqr_sum) ** beta``.

    Returns ``(y, scale)`` with ``scale = bias + alpha * sqr_sum``.
    """
    x = _rows(x)
    y, scale = np.empty_like(x), np.empty_like(x)
    _lrn_forward(x, depth_radius, float(bias), float(alpha), float(beta), y, scale)
    return y, scale


def lrn_backward(dy, x, scale, depth_radius, alpha, beta):
    """Gradient of local response normalisation w.r.t. x (the window is symmetric, so its transpose is itself)."""
    dy = _rows(dy)
    dx = np.empty_like(dy)
    _lrn_backward(dy, _rows(x), scale, depth_radius, float(alpha), float(beta), dx)
    return dx
