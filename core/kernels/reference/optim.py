"""Optimiser updates, in place, on flat parameter arrays (Keras 3's formulas).

Every update first applies the decoupled weight decay ``w ← w − lr·λ·w`` (Keras's ``_apply_weight_decay``) and
then the optimiser's own step. ``step`` is the 1-based iteration number. Slots an option turns off (momentum of
plain SGD, RMSprop's momentum or centred average) are passed as empty arrays and ignored.
"""

import numpy as np


def _decay(w, lr, weight_decay):
    if weight_decay:
        w -= lr * weight_decay * w


def sgd_update(w, g, v, lr, momentum, nesterov, weight_decay):
    """SGD with optional momentum, Nesterov and decoupled weight decay; ``v`` is the velocity (unused if
    momentum is 0)."""
    _decay(w, lr, weight_decay)
    if momentum:
        v[:] = momentum * v - lr * g
        w += momentum * v - lr * g if nesterov else v
    else:
        w -= lr * g


def adam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam step number ``step`` (1-based) with decoupled weight decay."""
    _decay(w, lr, weight_decay)
    alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    w -= alpha * m / (np.sqrt(v) + epsilon)


def amsgrad_update(w, g, m, v, v_hat, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam with AMSGrad: the denominator uses the running maximum ``v_hat`` of ``v``."""
    _decay(w, lr, weight_decay)
    alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    np.maximum(v_hat, v, out=v_hat)
    w -= alpha * m / (np.sqrt(v_hat) + epsilon)


def adagrad_update(w, g, acc, lr, epsilon, weight_decay):
    """Adagrad: ``acc += g²``, ``w −= lr·g / √(acc + ε)``."""
    _decay(w, lr, weight_decay)
    acc += g * g
    w -= lr * g / np.sqrt(acc + epsilon)


def rmsprop_update(w, g, velocity, mom, avg, lr, rho, momentum, epsilon, centered, weight_decay):
    """RMSprop, optionally centred (``avg`` holds the mean gradient) and with momentum (``mom``)."""
    _decay(w, lr, weight_decay)
    velocity[:] = rho * velocity + (1 - rho) * g * g
    if centered:
        avg[:] = rho * avg + (1 - rho) * g
        denominator = velocity - avg * avg + epsilon
    else:
        denominator = velocity + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum:
        mom[:] = momentum * mom + increment
        w -= mom
    else:
        w -= increment


def adadelta_update(w, g, acc_grad, acc_delta, lr, rho, epsilon, weight_decay):
    """Adadelta: running means of ``g²`` and of the squared steps, step ``lr·Δ``."""
    _decay(w, lr, weight_decay)
    acc_grad[:] = rho * acc_grad + (1 - rho) * g * g
    delta = -np.sqrt(acc_delta + epsilon) * g / np.sqrt(acc_grad + epsilon)
    acc_delta[:] = rho * acc_delta + (1 - rho) * delta * delta
    w += lr * delta


def nadam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, u_product, weight_decay):
    """Nadam step ``step``; ``u_product`` is ``Π μᵢ`` for i ≤ step, ``μᵢ = β₁·(1 − ½·0.96ⁱ)``."""
    _decay(w, lr, weight_decay)
    u_t = beta_1 * (1.0 - 0.5 * 0.96**step)
    u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
    v_hat = v / (1 - beta_2**step)
    w -= lr * m_hat / (np.sqrt(v_hat) + epsilon)


def adamax_update(w, g, m, u, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adamax: ``u = max(β₂·u, |g|)``, ``w −= lr·m / ((1 − β₁ᵗ)·(u + ε))``."""
    _decay(w, lr, weight_decay)
    m += (g - m) * (1 - beta_1)
    np.maximum(beta_2 * u, np.abs(g), out=u)
    w -= lr * m / ((1 - beta_1**step) * (u + epsilon))
