"""Optimiser updates, in place, on flat parameter arrays (Keras 3's formulas)."""

import numpy as np


def sgd_update(w, g, v, lr, momentum, nesterov, weight_decay):
    """SGD with optional momentum, Nesterov and decoupled weight decay; ``v`` is the velocity (unused if
    momentum is 0)."""
    if weight_decay:
        w -= lr * weight_decay * w
    if momentum:
        v[:] = momentum * v - lr * g
        w += momentum * v - lr * g if nesterov else v
    else:
        w -= lr * g


def adam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam step number ``step`` (1-based) with decoupled weight decay."""
    if weight_decay:
        w -= lr * weight_decay * w
    alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    w -= alpha * m / (np.sqrt(v) + epsilon)
