"""Normalisation kernels, plain NumPy.

Inputs are 2-D ``(rows, channels)``: the layer moves its normalisation axis last and folds every other axis into
rows. Batch normalisation takes statistics per column (over rows), layer normalisation per row (over columns),
local response normalisation sums squares over a window of neighbouring columns.
"""

import numpy as np


def _affine(xhat, gamma, beta):
    y = xhat if gamma is None else xhat * gamma
    return y if beta is None else y + beta


def batchnorm_forward_train(x, gamma, beta, eps):
    """Batch normalisation with the batch's statistics; ``gamma``/``beta`` may be None.

    Returns ``(y, mean, var, xhat, inv_std)``; ``var`` is the biased batch variance, which Keras's moving
    average uses.
    """
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    return _affine(xhat, gamma, beta), mean, var, xhat, inv_std


def batchnorm_forward_infer(x, gamma, beta, mean, var, eps):
    """Batch normalisation with given (moving) statistics: returns ``(y, xhat, inv_std)``."""
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    return _affine(xhat, gamma, beta), xhat, inv_std


def batchnorm_backward(dy, xhat, inv_std, gamma, batch_stats, need_dx):
    """Gradients of batch normalisation: ``(dx or None, dgamma, dbeta)``.

    With ``batch_stats`` the mean and variance depend on x (training mode), which adds the two centring terms.
    """
    dgamma = (dy * xhat).sum(axis=0)
    dbeta = dy.sum(axis=0)
    if not need_dx:
        return None, dgamma, dbeta
    g = dy if gamma is None else dy * gamma
    if not batch_stats:
        return g * inv_std, dgamma, dbeta
    m = dy.shape[0]
    dx = inv_std / m * (m * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0))
    return dx, dgamma, dbeta


def batchnorm_update_moving(moving, value, momentum):
    """Keras's moving average, in place: ``moving = moving * momentum + value * (1 - momentum)``."""
    moving[...] = moving * momentum + value * (1.0 - momentum)


def layernorm_forward(x, gamma, beta, eps):
    """Layer normalisation of each row: returns ``(y, xhat, inv_std)`` with ``inv_std`` of shape ``(rows,)``."""
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    return _affine(xhat, gamma, beta), xhat, inv_std[:, 0]


def layernorm_backward(dy, xhat, inv_std, gamma, need_dx):
    """Gradients of layer normalisation: ``(dx or None, dgamma, dbeta)``."""
    dgamma = (dy * xhat).sum(axis=0)
    dbeta = dy.sum(axis=0)
    if not need_dx:
        return None, dgamma, dbeta
    g = dy if gamma is None else dy * gamma
    c = dy.shape[1]
    dx = inv_std[:, None] / c * (c * g - g.sum(axis=1, keepdims=True)
                                 - xhat * (g * xhat).sum(axis=1, keepdims=True))
    return dx, dgamma, dbeta


def _window_sum(v, radius):
    """``out[:, d] = v[:, d - radius : d + radius + 1].sum(1)``, clipped at the edges."""
    c = v.shape[1]
    out = np.zeros_like(v)
    for d in range(c):
        out[:, d] = v[:, max(0, d - radius):min(c, d + radius + 1)].sum(axis=1)
    return out


def lrn_forward(x, depth_radius, bias, alpha, beta):
    """TensorFlow's local response normalisation over columns: ``x / (bias + alpha * sqr_sum) ** beta``.

    Returns ``(y, scale)`` with ``scale = bias + alpha * sqr_sum``.
    """
    scale = bias + alpha * _window_sum(x * x, depth_radius)
    return x * scale ** -beta, scale


def lrn_backward(dy, x, scale, depth_radius, alpha, beta):
    """Gradient of local response normalisation w.r.t. x (the window is symmetric, so its transpose is itself)."""
    t = _window_sum(dy * x * scale ** (-beta - 1.0), depth_radius)
    return dy * scale ** -beta - (2.0 * alpha * beta) * x * t
