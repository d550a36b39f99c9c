"""Normalisation kernels on the device. Batch statistics and the gamma/beta gradients are column reductions:
one block per channel folds its rows through shared memory in float64. The element-wise passes are one thread
per element; layer normalisation and local response normalisation are one thread per row (or element) walking
its channels. Inputs are 2-D ``(rows, channels)``; formulas: see the reference backend."""

import math

import numpy as np
from numba import cuda, float64

from core.kernels.cuda._device import THREADS, blocks, dev, empty
from core.kernels.cuda._formulas import inv_pow, layernorm_row, layernorm_row_dx
from core.kernels.cuda._reduce import REDUCE_THREADS, block_total


@cuda.jit
def _column_stats(x, mean, var):
    shared = cuda.shared.array(REDUCE_THREADS, float64)
    j, tid = cuda.blockIdx.x, cuda.threadIdx.x
    m = x.shape[0]
    s = 0.0
    for i in range(tid, m, REDUCE_THREADS):
        s += x[i, j]
    mu = block_total(shared, s) / m
    s = 0.0
    for i in range(tid, m, REDUCE_THREADS):
        d = x[i, j] - mu
        s += d * d
    v = block_total(shared, s) / m
    if tid == 0:
        mean[j] = mu
        var[j] = v


@cuda.jit
def _column_grads(dy, xhat, dgamma, dbeta):
    shared = cuda.shared.array(REDUCE_THREADS, float64)
    j, tid = cuda.blockIdx.x, cuda.threadIdx.x
    sg, sb = 0.0, 0.0
    for i in range(tid, dy.shape[0], REDUCE_THREADS):
        sg += dy[i, j] * xhat[i, j]
        sb += dy[i, j]
    g = block_total(shared, sg)
    b = block_total(shared, sb)
    if tid == 0:
        dgamma[j] = g
        dbeta[j] = b


@cuda.jit
def _bn_normalize(x, mean, var, eps, gamma, beta, affine, y, xhat, inv_std):
    m, c = x.shape
    for i in range(cuda.grid(1), m * c, cuda.gridsize(1)):
        r, j = i // c, i % c
        inv = 1.0 / math.sqrt(var[j] + eps)
        if r == 0:
            inv_std[j] = inv
        h = (x[r, j] - mean[j]) * inv
        xhat[r, j] = h
        y[r, j] = h * (gamma[j] if affine[0] else 1.0) + (beta[j] if affine[1] else 0.0)


@cuda.jit
def _bn_dx(dy, xhat, inv_std, gamma, has_gamma, dgamma, dbeta, batch_stats, dx):
    m, c = dy.shape
    for i in range(cuda.grid(1), m * c, cuda.gridsize(1)):
        r, j = i // c, i % c
        k = inv_std[j] * (gamma[j] if has_gamma else 1.0)
        if batch_stats:
            dx[r, j] = k * (dy[r, j] - dbeta[j] / m - xhat[r, j] * dgamma[j] / m)
        else:
            dx[r, j] = k * dy[r, j]


def _bn_apply(x, gamma, beta, mean, var, eps):
    x = dev(x)
    m, c = x.shape
    y, xhat, inv_std = empty(x.shape, x.dtype), empty(x.shape, x.dtype), empty((c,), x.dtype)
    if x.size:
        _bn_normalize[blocks(x.size), THREADS](x, dev(mean), dev(var), float(eps), dev(gamma) if gamma is not None
                                               else x[0], dev(beta) if beta is not None else x[0],
                                               (gamma is not None, beta is not None), y, xhat, inv_std)
    return y, xhat, inv_std


def batchnorm_forward_train(x, gamma, beta, eps):
    """Batch normalisation with the batch's statistics: ``(y, mean, var, xhat, inv_std)`` (biased variance)."""
    x = dev(x)
    c = x.shape[1]
    mean, var = empty((c,), np.float64), empty((c,), np.float64)
    _column_stats[c, REDUCE_THREADS](x, mean, var)
    y, xhat, inv_std = _bn_apply(x, gamma, beta, mean, var, eps)
    return y, _cast(mean, x.dtype), _cast(var, x.dtype), xhat, inv_std


@cuda.jit
def _copy_cast(src, dst):
    for i in range(cuda.grid(1), src.size, cuda.gridsize(1)):
        dst[i] = src[i]


def _or_const(v, n, dtype, value):
    """``v`` on the device in ``dtype``, or ``n`` copies of ``value`` where ``v`` is None."""
    if v is None:
        return dev(np.full(n, value, dtype))
    v = dev(v)
    return v if v.dtype == np.dtype(dtype) else _cast(v, dtype)


def _cast(v, dtype):
    out = empty(v.shape, dtype)
    _copy_cast[blocks(v.size), THREADS](v, out)
    return out


def batchnorm_forward_infer(x, gamma, beta, mean, var, eps):
    """Batch normalisation with given (moving) statistics: returns ``(y, xhat, inv_std)``."""
    return _bn_apply(x, gamma, beta, mean, var, eps)


def batchnorm_backward(dy, xhat, inv_std, gamma, batch_stats, need_dx):
    """Gradients of batch normalisation: ``(dx or None, dgamma, dbeta)``."""
    dy, xhat = dev(dy), dev(xhat)
    c = dy.shape[1]
    dgamma, dbeta = empty((c,), np.float64), empty((c,), np.float64)
    _column_grads[c, REDUCE_THREADS](dy, xhat, dgamma, dbeta)
    dx = None
    if need_dx:
        dx = empty(dy.shape, dy.dtype)
        _bn_dx[blocks(dy.size), THREADS](dy, xhat, dev(inv_std), dev(gamma) if gamma is not None else dy[0],
                                         gamma is not None, dgamma, dbeta, bool(batch_stats), dx)
    return dx, _cast(dgamma, dy.dtype), _cast(dbeta, dy.dtype)


@cuda.jit
def _moving(moving, value, momentum):
    for i in range(cuda.grid(1), moving.size, cuda.gridsize(1)):
        moving[i] = moving[i] * momentum + value[i] * (1.0 - momentum)


def batchnorm_update_moving(moving, value, momentum):
    """Keras's moving average, in place: ``moving = moving * momentum + value * (1 - momentum)``."""
    _moving[blocks(moving.size), THREADS](moving, dev(value, moving.dtype), float(momentum))


@cuda.jit
def _ln_forward(x, gamma, beta, eps, y, xhat, inv_std):
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        inv_std[i] = layernorm_row(x, i, gamma, beta, eps, y, xhat)


@cuda.jit
def _ln_dx(dy, xhat, inv_std, gamma, dx):
    for i in range(cuda.grid(1), dy.shape[0], cuda.gridsize(1)):
        layernorm_row_dx(dy, xhat, i, inv_std[i], gamma, dx)


def layernorm_forward(x, gamma, beta, eps):
    """Layer normalisation of each row: returns ``(y, xhat, inv_std)`` with ``inv_std`` of shape ``(rows,)``."""
    x = dev(x)
    m = x.shape[0]
    y, xhat, inv_std = empty(x.shape, x.dtype), empty(x.shape, x.dtype), empty((m,), x.dtype)
    if x.size:
        _ln_forward[blocks(m), THREADS](x, _or_const(gamma, x.shape[1], x.dtype, 1.0),
                                        _or_const(beta, x.shape[1], x.dtype, 0.0), float(eps), y, xhat, inv_std)
    return y, xhat, inv_std


def layernorm_backward(dy, xhat, inv_std, gamma, need_dx):
    """Gradients of layer normalisation: ``(dx or None, dgamma, dbeta)``."""
    dy, xhat = dev(dy), dev(xhat)
    c = dy.shape[1]
    dgamma, dbeta = empty((c,), np.float64), empty((c,), np.float64)
    _column_grads[c, REDUCE_THREADS](dy, xhat, dgamma, dbeta)
    dx = None
    if need_dx:
        dx = empty(dy.shape, dy.dtype)
        gamma64 = _or_const(gamma, c, np.float64, 1.0)  # dy·gamma in float64
        _ln_dx[blocks(dy.shape[0]), THREADS](dy, xhat, dev(inv_std), gamma64, dx)
    return dx, _cast(dgamma, dy.dtype), _cast(dbeta, dy.dtype)


@cuda.jit(device=True)
def _square_sum(x, i, d, radius, c):
    s = 0.0
    for j in range(max(d - radius, 0), min(d + radius + 1, c)):
        s += x[i, j] * x[i, j]
    return s


@cuda.jit
def _lrn_forward(x, radius, bias, alpha, beta, y, scale):
    m, c = x.shape
    for k in range(cuda.grid(1), m * c, cuda.gridsize(1)):
        i, d = k // c, k % c
        s = bias + alpha * _square_sum(x, i, d, radius, c)
        scale[i, d] = s
        y[i, d] = x[i, d] * inv_pow(s, beta)


@cuda.jit
def _lrn_backward(dy, x, scale, radius, alpha, beta, dx):
    m, c = x.shape
    for k in range(cuda.grid(1), m * c, cuda.gridsize(1)):
        i, d = k // c, k % c
        w = 0.0
        for j in range(max(d - radius, 0), min(d + radius + 1, c)):
            w += dy[i, j] * x[i, j] * inv_pow(scale[i, j], beta) / scale[i, j]
        dx[i, d] = dy[i, d] * inv_pow(scale[i, d], beta) - 2.0 * alpha * beta * x[i, d] * w


def lrn_forward(x, depth_radius, bias, alpha, beta):
    """TensorFlow's local response normalisation over columns: returns ``(y, scale)``."""
    x = dev(x)
    y, scale = empty(x.shape, x.dtype), empty(x.shape, x.dtype)
    if x.size:
        _lrn_forward[blocks(x.size), THREADS](x, int(depth_radius), float(bias), float(alpha), float(beta), y, scale)
    return y, scale


def lrn_backward(dy, x, scale, depth_radius, alpha, beta):
    """Gradient of local response normalisation w.r.t. x."""
    dy, x = dev(dy), dev(x)
    dx = empty(dy.shape, dy.dtype)
    if dy.size:
        _lrn_backward[blocks(dy.size), THREADS](dy, x, dev(scale), int(depth_radius), float(alpha), float(beta), dx)
    return dx
