"""The fused softmax + cross-entropy on the device: one thread per row writes the row's loss and gradient, the
losses are summed on the device, and only the mean comes back."""

import math

import numpy as np
from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty
from core.kernels.cuda._reduce import device_sum


@cuda.jit
def _xent(logits, labels, targets, sparse, grad, row_loss):
    n, k = logits.shape
    inv_n = 1.0 / n
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        m = logits[i, 0]
        for j in range(1, k):
            m = max(m, logits[i, j])
        s = 0.0
        tsum = 0.0
        for j in range(k):
            e = math.exp(logits[i, j] - m)
            grad[i, j] = e
            s += e
            tsum += 1.0 if sparse and j == labels[i] else (0.0 if sparse else targets[i, j])
        lse = math.log(s) + m
        total = 0.0
        for j in range(k):
            t = (1.0 if j == labels[i] else 0.0) if sparse else targets[i, j]
            total += t * (lse - logits[i, j])
            grad[i, j] = (grad[i, j] / s * tsum - t) * inv_n
        row_loss[i] = total


def softmax_xent(logits, targets):
    """Mean over the batch of ``-sum(t * log softmax(logits))`` and its gradient w.r.t. ``logits`` (on the
    device). ``targets`` is either one-hot/probabilities ``(batch, classes)`` or integer labels ``(batch,)``."""
    logits = dev(logits)
    n = logits.shape[0]
    sparse = len(targets.shape) == 1
    labels = dev(targets, np.int64) if sparse else empty((1,), np.int64)
    dense = empty((1, 1), logits.dtype) if sparse else dev(targets, logits.dtype)
    grad = empty(logits.shape, logits.dtype)
    row_loss = empty((n,), np.float64)
    _xent[blocks(n), THREADS](logits, labels, dense, sparse, grad, row_loss)
    return device_sum(row_loss) / n, grad
