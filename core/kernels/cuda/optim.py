"""Optimiser updates on the device, in place, one fused pass over each flat parameter array (slots and weight
together). Step-wide scalars (bias corrections, the weight-decay factor ``1 − lr·λ``) are computed in Python,
as on the CPU; formulas: see the reference backend."""

import math

from numba import cuda

from core.kernels.cuda._device import THREADS, blocks


@cuda.jit
def _sgd(w, g, v, lr, momentum, nesterov, decay):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        if momentum != 0.0:
            vi = momentum * v[i] - lr * g[i]
            v[i] = vi
            w[i] = w[i] * decay + (momentum * vi - lr * g[i] if nesterov else vi)
        else:
            w[i] = w[i] * decay - lr * g[i]


@cuda.jit
def _adam(w, g, m, v, v_hat, amsgrad, alpha, decay, beta_1, beta_2, epsilon):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * (1.0 - beta_1)
        vi = v[i] + (gi * gi - v[i]) * (1.0 - beta_2)
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vi = max(v_hat[i], vi)
            v_hat[i] = vi
        w[i] = w[i] * decay - alpha * mi / (math.sqrt(vi) + epsilon)


@cuda.jit
def _adagrad(w, g, acc, lr, decay, epsilon):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        gi = g[i]
        ai = acc[i] + gi * gi
        acc[i] = ai
        w[i] = w[i] * decay - lr * gi / math.sqrt(ai + epsilon)


@cuda.jit
def _rmsprop(w, g, velocity, mom, avg, lr, decay, rho, momentum, epsilon, centered):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        gi = g[i]
        vi = rho * velocity[i] + (1.0 - rho) * gi * gi
        velocity[i] = vi
        if centered:
            ai = rho * avg[i] + (1.0 - rho) * gi
            avg[i] = ai
            vi = vi - ai * ai
        increment = lr * gi / math.sqrt(vi + epsilon)
        if momentum != 0.0:
            increment = momentum * mom[i] + increment
            mom[i] = increment
        w[i] = w[i] * decay - increment


@cuda.jit
def _adadelta(w, g, acc_grad, acc_delta, lr, decay, rho, epsilon):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        gi = g[i]
        ag = rho * acc_grad[i] + (1.0 - rho) * gi * gi
        acc_grad[i] = ag
        delta = -math.sqrt(acc_delta[i] + epsilon) * gi / math.sqrt(ag + epsilon)
        acc_delta[i] = rho * acc_delta[i] + (1.0 - rho) * delta * delta
        w[i] = w[i] * decay + lr * delta


@cuda.jit
def _nadam(w, g, m, v, lr, decay, beta_1, beta_2, epsilon, c_m, c_g, c_v):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * (1.0 - beta_1)
        vi = v[i] + (gi * gi - v[i]) * (1.0 - beta_2)
        m[i] = mi
        v[i] = vi
        w[i] = w[i] * decay - lr * (c_m * mi + c_g * gi) / (math.sqrt(vi * c_v) + epsilon)


@cuda.jit
def _adamax(w, g, m, u, alpha, decay, beta_1, beta_2, epsilon):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * (1.0 - beta_1)
        ui = max(beta_2 * u[i], abs(gi))
        m[i] = mi
        u[i] = ui
        w[i] = w[i] * decay - alpha * mi / (ui + epsilon)


def _launch(kernel, w, *args):
    if w.size:
        kernel[blocks(w.size), THREADS](w, *args)


def _decay(lr, weight_decay):
    return 1.0 - float(lr) * float(weight_decay)


def sgd_update(w, g, v, lr, momentum, nesterov, weight_decay):
    """SGD with optional momentum, Nesterov and decoupled weight decay, in place on flat arrays."""
    _launch(_sgd, w, g, v if v.size else w, float(lr), float(momentum), bool(nesterov), _decay(lr, weight_decay))


def adam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam step number ``step`` (1-based) with decoupled weight decay, in place on flat arrays."""
    alpha = lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    _launch(_adam, w, g, m, v, v, False, float(alpha), _decay(lr, weight_decay), float(beta_1), float(beta_2),
            float(epsilon))


def amsgrad_update(w, g, m, v, v_hat, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adam with AMSGrad (running maximum ``v_hat`` of ``v`` in the denominator), in place on flat arrays."""
    alpha = lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    _launch(_adam, w, g, m, v, v_hat, True, float(alpha), _decay(lr, weight_decay), float(beta_1),
            float(beta_2), float(epsilon))


def adagrad_update(w, g, acc, lr, epsilon, weight_decay):
    """Adagrad with decoupled weight decay, in place on flat arrays."""
    _launch(_adagrad, w, g, acc, float(lr), _decay(lr, weight_decay), float(epsilon))


def rmsprop_update(w, g, velocity, mom, avg, lr, rho, momentum, epsilon, centered, weight_decay):
    """RMSprop (optionally centred and with momentum); ``mom`` / ``avg`` may be empty when unused."""
    _launch(_rmsprop, w, g, velocity, mom if mom.size else w, avg if avg.size else w, float(lr),
            _decay(lr, weight_decay), float(rho), float(momentum), float(epsilon), bool(centered))


def adadelta_update(w, g, acc_grad, acc_delta, lr, rho, epsilon, weight_decay):
    """Adadelta with decoupled weight decay, in place on flat arrays."""
    _launch(_adadelta, w, g, acc_grad, acc_delta, float(lr), _decay(lr, weight_decay), float(rho), float(epsilon))


def nadam_update(w, g, m, v, lr, beta_1, beta_2, epsilon, step, u_product, weight_decay):
    """Nadam step ``step``; ``u_product`` is ``Π μᵢ`` for i ≤ step, ``μᵢ = β₁·(1 − ½·0.96ⁱ)``."""
    u_t = beta_1 * (1.0 - 0.5 * 0.96**step)
    u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
    c_m = u_next / (1 - u_product * u_next)
    c_g = (1 - u_t) / (1 - u_product)
    c_v = 1.0 / (1 - beta_2**step)
    _launch(_nadam, w, g, m, v, float(lr), _decay(lr, weight_decay), float(beta_1), float(beta_2), float(epsilon),
            float(c_m), float(c_g), float(c_v))


def adamax_update(w, g, m, u, lr, beta_1, beta_2, epsilon, step, weight_decay):
    """Adamax with decoupled weight decay, in place on flat arrays."""
    alpha = lr / (1 - beta_1**step)
    _launch(_adamax, w, g, m, u, float(alpha), _decay(lr, weight_decay), float(beta_1), float(beta_2),
            float(epsilon))
