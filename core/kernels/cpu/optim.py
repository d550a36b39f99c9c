"""Optimiser updates, in place, one fused pass over each flat parameter array."""

import math

from core.kernels.cpu._jit import jit


@jit
def _sgd(w, g, v, lr, momentum, nesterov, weight_decay):
    decay = 1.0 - lr * weight_decay
    n = w.size
    if momentum != 0.0:
        for i in range(n):
            wi = w[i] * decay
            vi = momentum * v[i] - lr * g[i]
            v[i] = vi
            w[i] = wi + (momentum * vi - lr * g[i] if nesterov else vi)
    else:
        for i in range(n):
            w[i] = w[i] * decay - lr * g[i]


@jit
def _adam(w, g, m, v, alpha, decay, beta_1, beta_2, epsilon):
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * (1.0 - beta_1)
        vi = v[i] + (gi * gi - v[i]) * (1.0 - beta_2)
        m[i] = mi
        v[i] = vi
        w[i] = w[i] * decay - alpha * mi / (math.sqrt(vi) + epsilon)


def sgd_update(w, g, v, lr, momentum, nesterov, weight_decay):
    """SGD with optional momentum, Nesterov and decoupled weight decay, in place on flat arrays."""
    _sgd(w, g, v, float(lr), float(momentum), bool(nesterov), float(weight_decay))


def adam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam step number ``step`` (1-based) with decoupled weight decay, in place on flat arrays."""
    alpha = lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    _adam(w, g, m, v, float(alpha), 1.0 - float(lr) * float(weight_decay), float(beta_1), float(beta_2),
          float(epsilon))
