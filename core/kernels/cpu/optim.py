"""Optimiser updates, in place, one fused pass over each flat parameter array.

Each public function computes the step-wide scalars (bias corrections, the weight-decay factor ``1 − lr·λ``) in
Python, as scalars of the parameters' dtype so that the loop stays in float32 for float32 weights (a float64
square root and division per element made Adam much slower), and runs one numba loop that updates the slots and
the weight together. The loops stay on one thread: split between two (``parallel=True``), Adam over 235k weights
gained nothing measurable on an idle machine and stalled for milliseconds whenever the other core was busy.
Formulas: see the reference backend. Figures: tests/benchmarks/NOTES.md.
"""

import math

import numpy as np
from core.kernels.cpu._jit import jit


def _sgd_loop(w, g, v, s, nesterov):
    lr, momentum, decay = s[0], s[1], s[2]
    if momentum != 0.0:
        for i in range(w.size):
            vi = momentum * v[i] - lr * g[i]
            v[i] = vi
            w[i] = w[i] * decay + (momentum * vi - lr * g[i] if nesterov else vi)
    else:
        for i in range(w.size):
            w[i] = w[i] * decay - lr * g[i]


def _adam_loop(w, g, m, v, s):
    alpha, decay, one_minus_b1, one_minus_b2, epsilon = s[0], s[1], s[2], s[3], s[4]
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_b1
        vi = v[i] + (gi * gi - v[i]) * one_minus_b2
        m[i] = mi
        v[i] = vi
        w[i] = w[i] * decay - alpha * mi / (math.sqrt(vi) + epsilon)


def _amsgrad_loop(w, g, m, v, v_hat, s):
    alpha, decay, one_minus_b1, one_minus_b2, epsilon = s[0], s[1], s[2], s[3], s[4]
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_b1
        vi = v[i] + (gi * gi - v[i]) * one_minus_b2
        hi = max(v_hat[i], vi)
        m[i] = mi
        v[i] = vi
        v_hat[i] = hi
        w[i] = w[i] * decay - alpha * mi / (math.sqrt(hi) + epsilon)


def _adagrad_loop(w, g, acc, s):
    lr, decay, epsilon = s[0], s[1], s[2]
    for i in range(w.size):
        gi = g[i]
        ai = acc[i] + gi * gi
        acc[i] = ai
        w[i] = w[i] * decay - lr * gi / math.sqrt(ai + epsilon)


def _rmsprop_loop(w, g, velocity, mom, avg, s, centered):
    lr, decay, rho, one_minus_rho, momentum, epsilon = s[0], s[1], s[2], s[3], s[4], s[5]
    for i in range(w.size):
        gi = g[i]
        vi = rho * velocity[i] + one_minus_rho * gi * gi
        velocity[i] = vi
        if centered:
            ai = rho * avg[i] + one_minus_rho * gi
            avg[i] = ai
            vi = vi - ai * ai
        increment = lr * gi / math.sqrt(vi + epsilon)
        if momentum != 0.0:
            increment = momentum * mom[i] + increment
            mom[i] = increment
        w[i] = w[i] * decay - increment


def _adadelta_loop(w, g, acc_grad, acc_delta, s):
    lr, decay, rho, one_minus_rho, epsilon = s[0], s[1], s[2], s[3], s[4]
    for i in range(w.size):
        gi = g[i]
        ag = rho * acc_grad[i] + one_minus_rho * gi * gi
        acc_grad[i] = ag
        delta = -math.sqrt(acc_delta[i] + epsilon) * gi / math.sqrt(ag + epsilon)
        acc_delta[i] = rho * acc_delta[i] + one_minus_rho * delta * delta
        w[i] = w[i] * decay + lr * delta


def _nadam_loop(w, g, m, v, s):
    lr, decay, one_minus_b1, one_minus_b2, epsilon, c_m, c_g, c_v = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_b1
        vi = v[i] + (gi * gi - v[i]) * one_minus_b2
        m[i] = mi
        v[i] = vi
        w[i] = w[i] * decay - lr * (c_m * mi + c_g * gi) / (math.sqrt(vi * c_v) + epsilon)


def _adamax_loop(w, g, m, u, s):
    alpha, decay, one_minus_b1, beta_2, epsilon = s[0], s[1], s[2], s[3], s[4]
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_b1
        ui = max(beta_2 * u[i], abs(gi))
        m[i] = mi
        u[i] = ui
        w[i] = w[i] * decay - alpha * mi / (ui + epsilon)


_SGD, _ADAM, _AMSGRAD, _ADAGRAD, _RMSPROP, _ADADELTA, _NADAM, _ADAMAX = (jit(f) for f in (
    _sgd_loop, _adam_loop, _amsgrad_loop, _adagrad_loop, _rmsprop_loop, _adadelta_loop, _nadam_loop, _adamax_loop))


def _run(loop, w, arrays, scalars, *flags):
    """Run ``loop`` on ``w`` and its ``arrays``, with ``scalars`` in ``w``'s dtype (one small array: numba
    dispatches it faster than separate scalars) and boolean ``flags``."""
    loop(w, *arrays, np.array(scalars, w.dtype), *flags)


def _decay(lr, weight_decay):
    return 1.0 - float(lr) * float(weight_decay)


def sgd_update(w, g, v, lr, momentum, nesterov, weight_decay):
    """SGD with optional momentum, Nesterov and decoupled weight decay, in place on flat arrays."""
    _run(_SGD, w, (g, v), (lr, momentum, _decay(lr, weight_decay)), bool(nesterov))


def adam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam step number ``step`` (1-based) with decoupled weight decay, in place on flat arrays."""
    alpha = lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    _run(_ADAM, w, (g, m, v), (alpha, _decay(lr, weight_decay), 1.0 - beta_1, 1.0 - beta_2, epsilon))


def amsgrad_update(w, g, m, v, v_hat, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam with AMSGrad (running maximum ``v_hat`` of ``v`` in the denominator), in place on flat arrays."""
    alpha = lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    _run(_AMSGRAD, w, (g, m, v, v_hat), (alpha, _decay(lr, weight_decay), 1.0 - beta_1, 1.0 - beta_2, epsilon))


def adagrad_update(w, g, acc, lr, epsilon, weight_decay):
    """Adagrad with decoupled weight decay, in place on flat arrays."""
    _run(_ADAGRAD, w, (g, acc), (lr, _decay(lr, weight_decay), epsilon))


def rmsprop_update(w, g, velocity, mom, avg, lr, rho, momentum, epsilon, centered, weight_decay):
    """RMSprop (optionally centred and with momentum); ``mom`` / ``avg`` may be empty when unused."""
    _run(_RMSPROP, w, (g, velocity, mom, avg),
         (lr, _decay(lr, weight_decay), rho, 1.0 - rho, momentum, epsilon), bool(centered))


def adadelta_update(w, g, acc_grad, acc_delta, lr, rho, epsilon, weight_decay):
    """Adadelta with decoupled weight decay, in place on flat arrays."""
    _run(_ADADELTA, w, (g, acc_grad, acc_delta), (lr, _decay(lr, weight_decay), rho, 1.0 - rho, epsilon))


def nadam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, u_product, weight_decay):
    """Nadam step ``step``; ``u_product`` is ``Π μᵢ`` for i ≤ step, ``μᵢ = β₁·(1 − ½·0.96ⁱ)``."""
    u_t = beta_1 * (1.0 - 0.5 * 0.96**step)
    u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
    c_m = u_next / (1 - u_product * u_next)
    c_g = (1 - u_t) / (1 - u_product)
    c_v = 1.0 / (1 - beta_2**step)
    _run(_NADAM, w, (g, m, v), (lr, _decay(lr, weight_decay), 1.0 - beta_1, 1.0 - beta_2, epsilon, c_m, c_g, c_v))


def adamax_update(w, g, m, u, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adamax with decoupled weight decay, in place on flat arrays."""
    alpha = lr / (1 - beta_1**step)
    _run(_ADAMAX, w, (g, m, u), (alpha, _decay(lr, weight_decay), 1.0 - beta_1, beta_2, epsilon))
