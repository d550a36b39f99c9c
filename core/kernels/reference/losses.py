"""The fused softmax + cross-entropy kernel (the common classifier head), computed from logits."""

import numpy as np


def softmax_xent(logits, targets):
    """Mean over the batch of ``-sum(t * log softmax(logits))`` and its gradient w.r.t. ``logits``.

    ``targets`` is either one-hot/probabilities ``(batch, classes)`` or integer labels ``(batch,)``.
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_sum
    p = np.exp(log_p)
    if targets.ndim == 1:
        idx = targets.astype(np.int64)
        loss = -log_p[np.arange(n), idx].sum() / n
        grad = p.copy()
        grad[np.arange(n), idx] -= 1
    else:
        loss = -(targets * log_p).sum() / n
        grad = p * targets.sum(axis=1, keepdims=True) - targets
    return float(loss), (grad / n).astype(logits.dtype)
