"""Activation functions and their derivatives, by kernel code (see core.activations)."""

import math

import numpy as np

from core.activations import CODES, ELU_ALPHA, LEAKY_SLOPE

_erf = np.frompyfunc(math.erf, 1, 1)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _phi(z):
    return (0.5 * (1 + _erf(z / math.sqrt(2)).astype(z.dtype))).astype(z.dtype)


def activation_forward(z, code):
    """The activation ``code`` applied to ``z`` (softmax over the last axis)."""
    c = CODES
    if code == c["linear"]:
        return z.copy()
    if code == c["sigmoid"]:
        return _sigmoid(z)
    if code == c["tanh"]:
        return np.tanh(z)
    if code == c["relu"]:
        return np.maximum(z, 0)
    if code == c["softmax"]:
        return _softmax(z)
    if code == c["leaky_relu"]:
        return np.where(z > 0, z, LEAKY_SLOPE * z).astype(z.dtype)
    if code == c["elu"]:
        return np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0))).astype(z.dtype)
    if code == c["gelu"]:
        return z * _phi(z)
    if code == c["softplus"]:
        return np.logaddexp(0, z).astype(z.dtype)
    if code == c["hard_sigmoid"]:
        return np.clip(z / 6 + 0.5, 0, 1).astype(z.dtype)
    if code == c["hard_sigmoid_tf2"]:
        return np.clip(0.2 * z + 0.5, 0, 1).astype(z.dtype)
    raise ValueError(f"unknown activation code {code}")


def activation_backward(z, y, dy, code):
    """``dL/dz`` given ``dL/dy`` for ``y = f(z)``."""
    c = CODES
    if code == c["linear"]:
        return dy.copy()
    if code == c["sigmoid"]:
        return dy * y * (1 - y)
    if code == c["tanh"]:
        return dy * (1 - y * y)
    if code == c["relu"]:
        return dy * (z > 0)
    if code == c["softmax"]:
        return y * (dy - (dy * y).sum(axis=-1, keepdims=True))
    if code == c["leaky_relu"]:
        return dy * np.where(z > 0, 1, LEAKY_SLOPE).astype(z.dtype)
    if code == c["elu"]:
        return dy * np.where(z > 0, 1, y + ELU_ALPHA).astype(z.dtype)
    if code == c["gelu"]:
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return dy * (_phi(z) + z * pdf)
    if code == c["softplus"]:
        return dy * _sigmoid(z)
    if code == c["hard_sigmoid"]:
        return dy * ((z > -3) & (z < 3)) / 6
    if code == c["hard_sigmoid_tf2"]:
        return dy * ((z > -2.5) & (z < 2.5)) * 0.2
    raise ValueError(f"unknown activation code {code}")
