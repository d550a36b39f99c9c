"""The fused softmax + cross-entropy kernel, one pass over the logits."""

import math

import numpy as np

from core.kernels.cpu._jit import jit


@jit
def _xent_int(logits, labels, grad):
    n, k = logits.shape
    total = 0.0
    inv_n = 1.0 / n
    for i in range(n):
        m = logits[i, 0]
        for j in range(1, k):
            m = max(m, logits[i, j])
        s = 0.0
        for j in range(k):
            e = math.exp(logits[i, j] - m)
            grad[i, j] = e
            s += e
        total += math.log(s) + m - logits[i, labels[i]]
        inv = inv_n / s
        for j in range(k):
            grad[i, j] *= inv
        grad[i, labels[i]] -= inv_n
    return total * inv_n


@jit
def _xent_dense(logits, targets, grad):
    n, k = logits.shape
    total = 0.0
    inv_n = 1.0 / n
    for i in range(n):
        m = logits[i, 0]
        for j in range(1, k):
            m = max(m, logits[i, j])
        s = 0.0
        tsum = 0.0
        for j in range(k):
            e = math.exp(logits[i, j] - m)
            grad[i, j] = e
            s += e
            tsum += targets[i, j]
        lse = math.log(s) + m
        for j in range(k):
            total += targets[i, j] * (lse - logits[i, j])
            grad[i, j] = (grad[i, j] / s * tsum - targets[i, j]) * inv_n
    return total * inv_n


def softmax_xent(logits, targets):
    """Mean over the batch of ``-sum(t * log softmax(logits))`` and its gradient w.r.t. ``logits``.

    ``targets`` is either one-hot/probabilities ``(batch, classes)`` or integer labels ``(batch,)``.
    """
    logits = np.ascontiguousarray(logits)
    grad = np.empty_like(logits)
    if targets.ndim == 1:
        loss = _xent_int(logits, np.ascontiguousarray(targets, dtype=np.int64), grad)
    else:
        loss = _xent_dense(logits, np.ascontiguousarray(targets, dtype=logits.dtype), grad)
    return float(loss), grad
