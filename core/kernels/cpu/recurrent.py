"""Recurrent cells (SimpleRNN, GRU, LSTM) with back-propagation through time: BLAS products, fused numba steps.

Layout: the sequence is turned time-major ``(T, N, F)`` once, so that every step's slice is contiguous. The
input projection of all steps is ONE matrix product ``(T·N, F) @ kernel``; each step then makes one BLAS product
with the recurrent kernel and one numba pass that adds the bias, applies the gate nonlinearities and updates the
state. Backward mirrors it: one numba pass and one product per step, then the kernel, recurrent-kernel and input
gradients as single products over all steps. Signatures and caches follow :mod:`core.kernels.reference.recurrent`.
"""

import math

import numpy as np

from core.activations import CODES, ELU_ALPHA, LEAKY_SLOPE
from core.kernels.cpu._jit import jit

LINEAR, SIGMOID, TANH, RELU = (CODES[n] for n in ("linear", "sigmoid", "tanh", "relu"))
LEAKY, ELU, GELU, SOFTPLUS = (CODES[n] for n in ("leaky_relu", "elu", "gelu", "softplus"))
HARD, HARD_TF2 = CODES["hard_sigmoid"], CODES["hard_sigmoid_tf2"]
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


# -- scalar activations (Keras's definitions, as in core.kernels.cpu.activations) --------------------------------
@jit
def _sigmoid(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@jit
def _act(v, code):
    """``f(v)`` for activation ``code``."""
    if code == SIGMOID:
        return _sigmoid(v)
    if code == TANH:
        return math.tanh(v)
    if code == RELU:
        return v if v > 0 else 0.0
    if code == LEAKY:
        return v if v > 0 else LEAKY_SLOPE * v
    if code == ELU:
        return v if v > 0 else ELU_ALPHA * math.expm1(v)
    if code == GELU:
        return v * 0.5 * (1.0 + math.erf(v * INV_SQRT2))
    if code == SOFTPLUS:
        return max(v, 0.0) + math.log1p(math.exp(-abs(v)))
    if code == HARD:
        return min(max(v / 6.0 + 0.5, 0.0), 1.0)
    if code == HARD_TF2:
        return min(max(0.2 * v + 0.5, 0.0), 1.0)
    return v + 0.0


@jit
def _dact(z, y, code):
    """``f'(z)`` for activation ``code``, using ``y = f(z)`` where that is cheaper."""
    if code == SIGMOID:
        return y * (1.0 - y)
    if code == TANH:
        return 1.0 - y * y
    if code == RELU:
        return 1.0 if z > 0 else 0.0
    if code == LEAKY:
        return 1.0 if z > 0 else LEAKY_SLOPE
    if code == ELU:
        return 1.0 if z > 0 else y + ELU_ALPHA
    if code == GELU:
        return 0.5 * (1.0 + math.erf(z * INV_SQRT2)) + z * INV_SQRT2PI * math.exp(-0.5 * z * z)
    if code == SOFTPLUS:
        return _sigmoid(z)
    if code == HARD:
        return 1.0 / 6.0 if -3.0 < z < 3.0 else 0.0
    if code == HARD_TF2:
        return 0.2 if -2.5 < z < 2.5 else 0.0
    return 1.0


# -- layout helpers -----------------------------------------------------------------------------------------------
def _time_major(x, go_backwards):
    xt = np.swapaxes(x, 0, 1)
    return np.ascontiguousarray(xt[::-1] if go_backwards else xt)


def _batch_major(at, go_backwards):
    return np.ascontiguousarray(np.swapaxes(at[::-1] if go_backwards else at, 0, 1))


def _project(xt, kernel):
    """The input projection of every step at once: ``(T, N, F) @ kernel`` → ``(T, N, k)``."""
    steps, n, f = xt.shape
    return (xt.reshape(steps * n, f) @ kernel).reshape(steps, n, kernel.shape[1])


def _output(hs, return_sequences):
    """``hs`` is ``(T + 1, N, u)`` with the zero initial state first."""
    return _batch_major(hs[1:], False) if return_sequences else hs[-1].copy()


def _step_grads(dy, steps, return_sequences):
    """Per-step output gradients, time-major, and whether step ``t`` receives one."""
    if return_sequences:
        return np.ascontiguousarray(np.swapaxes(dy, 0, 1)), np.ones(steps, np.bool_)
    dys = np.empty((steps,) + dy.shape, dy.dtype)
    dys[-1] = dy
    mask = np.zeros(steps, np.bool_)
    mask[-1] = True
    return dys, mask


@jit
def _col_sum(a):
    rows, cols = a.shape
    out = np.zeros(cols, a.dtype)
    for i in range(rows):
        for j in range(cols):
            out[j] += a[i, j]
    return out


def _input_grads(xt, dz, kernel, go_backwards, need_dx):
    """``(dx or None, dkernel, dbias)`` from the pre-activation gradients ``dz`` ``(T, N, k)`` of all steps."""
    steps, n, f = xt.shape
    dz2 = dz.reshape(steps * n, dz.shape[2])
    dx = _batch_major((dz2 @ kernel.T).reshape(steps, n, f), go_backwards) if need_dx else None
    return dx, xt.reshape(steps * n, f).T @ dz2, _col_sum(dz2)


def _bias_or_zeros(bias, size, dtype):
    return np.zeros(size, dtype) if bias is None else bias.reshape(-1)


# -- SimpleRNN ----------------------------------------------------------------------------------------------------
@jit
def _rnn_step(z, rz, use_rz, b, h, act):
    n, u = z.shape
    for i in range(n):
        for j in range(u):
            v = z[i, j] + b[j]
            if use_rz:
                v += rz[i, j]
            z[i, j] = v
            h[i, j] = _act(v, act)


@jit
def _rnn_step_back(dh_rec, use_rec, dout, use_out, z, h, dz, act):
    n, u = z.shape
    for i in range(n):
        for j in range(u):
            d = dh_rec[i, j] if use_rec else 0.0
            if use_out:
                d += dout[i, j]
            dz[i, j] = d * _dact(z[i, j], h[i, j], act)


def simple_rnn_forward(x, kernel, recurrent_kernel, bias, activation, go_backwards, return_sequences):
    """``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``, ``h_0 = 0``."""
    xt = _time_major(x, go_backwards)
    z = _project(xt, kernel)
    steps, n, u = z.shape
    hs = np.zeros((steps + 1, n, u), x.dtype)
    rz = np.empty((n, u), x.dtype)
    b = _bias_or_zeros(bias, u, x.dtype)
    for t in range(steps):
        if t:
            np.matmul(hs[t], recurrent_kernel, out=rz)
        _rnn_step(z[t], rz, t > 0, b, hs[t + 1], activation)
    cache = (xt, z, hs, bias is not None, activation, go_backwards, return_sequences)
    return _output(hs, return_sequences), cache


def simple_rnn_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`simple_rnn_forward`."""
    xt, z, hs, has_bias, activation, go_backwards, return_sequences = cache
    steps, n, u = z.shape
    dys, has_out = _step_grads(dy, steps, return_sequences)
    dz = np.empty_like(z)
    dh = np.empty((n, u), z.dtype)
    rt = recurrent_kernel.T
    for t in range(steps - 1, -1, -1):
        _rnn_step_back(dh, t < steps - 1, dys[t], has_out[t], z[t], hs[t + 1], dz[t], activation)
        if t:
            np.matmul(dz[t], rt, out=dh)
    drec = hs[:steps].reshape(steps * n, u).T @ dz.reshape(steps * n, u)
    dx, dkernel, dbias = _input_grads(xt, dz, kernel, go_backwards, need_dx)
    return dx, dkernel, drec, dbias if has_bias else None


# -- LSTM ---------------------------------------------------------------------------------------------------------
@jit
def _lstm_step(z, rz, use_rz, b, c_prev, c, h, g, a, act, rec):
    """Gates i, f, c, o of ``z (+ rz) + b`` (pre-activations kept in ``z``, activations in ``g``), the new cell
    state ``c``, ``a = act(c)`` and ``h = o * a``."""
    n, u = c.shape
    for i in range(n):
        for j in range(u):
            for k in range(4):
                col = k * u + j
                v = z[i, col] + b[col]
                if use_rz:
                    v += rz[i, col]
                z[i, col] = v
                g[i, col] = _act(v, act if k == 2 else rec)
            cc = g[i, u + j] * c_prev[i, j] + g[i, j] * g[i, 2 * u + j]
            c[i, j] = cc
            aa = _act(cc, act)
            a[i, j] = aa
            h[i, j] = g[i, 3 * u + j] * aa


@jit
def _lstm_step_back(dh_rec, use_rec, dout, use_out, z, g, c_prev, c, a, dc, dz, act, rec):
    """``dz`` of one step from the gradient reaching ``h`` (recurrent + output) and ``c`` (``dc``, updated in place
    to the gradient of ``c_prev``)."""
    n, u = c.shape
    for i in range(n):
        for j in range(u):
            d = dh_rec[i, j] if use_rec else 0.0
            if use_out:
                d += dout[i, j]
            gi, gf, gg, go = g[i, j], g[i, u + j], g[i, 2 * u + j], g[i, 3 * u + j]
            dcc = dc[i, j] + d * go * _dact(c[i, j], a[i, j], act)
            dz[i, j] = dcc * gg * _dact(z[i, j], gi, rec)
            dz[i, u + j] = dcc * c_prev[i, j] * _dact(z[i, u + j], gf, rec)
            dz[i, 2 * u + j] = dcc * gi * _dact(z[i, 2 * u + j], gg, act)
            dz[i, 3 * u + j] = d * a[i, j] * _dact(z[i, 3 * u + j], go, rec)
            dc[i, j] = dcc * gf


def _rows(a):
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def lstm_cell_forward(z, c_prev, activation, recurrent_activation):
    """One LSTM update from the gate pre-activations ``z`` (``(..., 4u)``, gates i, f, c, o) and the previous cell
    state: returns ``(h, c, state)``; ``state`` is what :func:`lstm_cell_backward` needs."""
    z2, c_prev2 = _rows(z).copy(), _rows(c_prev)
    c, h, a = (np.empty_like(c_prev2) for _ in range(3))
    g = np.empty_like(z2)
    zero = np.zeros(z2.shape[1], z2.dtype)
    _lstm_step(z2, z2, False, zero, c_prev2, c, h, g, a, activation, recurrent_activation)
    return h.reshape(c_prev.shape), c.reshape(c_prev.shape), (z2, c_prev2, g, c, a)


def lstm_cell_backward(dh, dc, state, activation, recurrent_activation):
    """Gradients of one LSTM update: ``(dz, dc_prev)`` from the gradients of its ``h`` and ``c`` outputs."""
    z2, c_prev2, g, c, a = state
    dc_prev = _rows(dc).copy()
    dz = np.empty_like(z2)
    _lstm_step_back(dc_prev, False, _rows(dh), True, z2, g, c_prev2, c, a, dc_prev, dz, activation,
                    recurrent_activation)
    return dz.reshape(dh.shape[:-1] + (z2.shape[1],)), dc_prev.reshape(dc.shape)


def lstm_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, go_backwards,
                 return_sequences):
    """Keras's LSTM over a whole sequence: ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias``."""
    xt = _time_major(x, go_backwards)
    z = _project(xt, kernel)
    steps, n, u4 = z.shape
    u = u4 // 4
    hs = np.zeros((steps + 1, n, u), x.dtype)
    cs = np.zeros((steps + 1, n, u), x.dtype)
    g = np.empty_like(z)
    a = np.empty((steps, n, u), x.dtype)
    rz = np.empty((n, u4), x.dtype)
    b = _bias_or_zeros(bias, u4, x.dtype)
    for t in range(steps):
        if t:
            np.matmul(hs[t], recurrent_kernel, out=rz)
        _lstm_step(z[t], rz, t > 0, b, cs[t], cs[t + 1], hs[t + 1], g[t], a[t], activation, recurrent_activation)
    cache = (xt, z, g, hs, cs, a, bias is not None, activation, recurrent_activation, go_backwards,
             return_sequences)
    return _output(hs, return_sequences), cache


def lstm_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`lstm_forward`."""
    xt, z, g, hs, cs, a, has_bias, activation, recurrent_activation, go_backwards, return_sequences = cache
    steps, n, u4 = z.shape
    u = u4 // 4
    dys, has_out = _step_grads(dy, steps, return_sequences)
    dz = np.empty_like(z)
    dh = np.empty((n, u), z.dtype)
    dc = np.zeros((n, u), z.dtype)
    rt = recurrent_kernel.T
    for t in range(steps - 1, -1, -1):
        _lstm_step_back(dh, t < steps - 1, dys[t], has_out[t], z[t], g[t], cs[t], cs[t + 1], a[t], dc, dz[t],
                        activation, recurrent_activation)
        if t:
            np.matmul(dz[t], rt, out=dh)
    drec = hs[:steps].reshape(steps * n, u).T @ dz.reshape(steps * n, u4)
    dx, dkernel, dbias = _input_grads(xt, dz, kernel, go_backwards, need_dx)
    return dx, dkernel, drec, dbias if has_bias else None


# -- GRU ----------------------------------------------------------------------------------------------------------
@jit
def _gru_gates(xz, m, use_m, b, h_prev, pre, g, rh, act, rec, reset_after):
    """Gates z and r (pre-activations in ``pre``, activations in ``g``). With ``reset_after`` also the candidate
    ``hh`` from ``m = h_prev @ R + b_rec``; otherwise ``rh = r * h_prev`` for the candidate's product."""
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            for k in range(2):
                col = k * u + j
                v = xz[i, col] + b[col] + b[3 * u + col] + (m[i, col] if use_m else 0.0)
                pre[i, col] = v
                g[i, col] = _act(v, rec)
            if reset_after:
                mh = b[5 * u + j] + (m[i, 2 * u + j] if use_m else 0.0)
                rh[i, j] = mh
                v = xz[i, 2 * u + j] + b[2 * u + j] + g[i, u + j] * mh
                pre[i, 2 * u + j] = v
                g[i, 2 * u + j] = _act(v, act)
            else:
                rh[i, j] = g[i, u + j] * h_prev[i, j]


@jit
def _gru_update(xz, mh, use_mh, b, h_prev, pre, g, h, act, reset_after):
    """The candidate (``reset_after`` false: from ``mh = (r * h_prev) @ Rh``) and ``h = z·h_prev + (1 − z)·hh``."""
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            if not reset_after:
                v = xz[i, 2 * u + j] + b[2 * u + j] + (mh[i, j] if use_mh else 0.0)
                pre[i, 2 * u + j] = v
                g[i, 2 * u + j] = _act(v, act)
            zg = g[i, j]
            h[i, j] = zg * h_prev[i, j] + (1.0 - zg) * g[i, 2 * u + j]


def gru_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, reset_after, go_backwards,
                return_sequences):
    """Keras's GRU over a whole sequence; ``h = z * h_prev + (1 - z) * hh``. ``bias`` is ``(2, 3u)`` (input and
    recurrent bias) with ``reset_after``, else ``(3u,)``."""
    xt = _time_major(x, go_backwards)
    xz = _project(xt, kernel)
    steps, n, u3 = xz.shape
    u = u3 // 3
    b = np.zeros(2 * u3, x.dtype)
    if bias is not None:
        b[:bias.size] = bias.reshape(-1)
    rk = recurrent_kernel if reset_after else np.ascontiguousarray(recurrent_kernel[:, :2 * u])
    rk_h = np.ascontiguousarray(recurrent_kernel[:, 2 * u:])
    hs = np.zeros((steps + 1, n, u), x.dtype)
    pre, g = np.empty_like(xz), np.empty_like(xz)
    rh = np.empty((steps, n, u), x.dtype)
    m = np.empty((n, rk.shape[1]), x.dtype)
    mh = np.zeros((n, u), x.dtype)
    for t in range(steps):
        if t:
            np.matmul(hs[t], rk, out=m)
        _gru_gates(xz[t], m, t > 0, b, hs[t], pre[t], g[t], rh[t], activation, recurrent_activation, reset_after)
        if t and not reset_after:
            np.matmul(rh[t], rk_h, out=mh)
        _gru_update(xz[t], mh, t > 0, b, hs[t], pre[t], g[t], hs[t + 1], activation, reset_after)
    cache = (xt, pre, g, hs, rh, bias is not None, activation, recurrent_activation, reset_after, go_backwards,
             return_sequences)
    return _output(hs, return_sequences), cache


@jit
def _gru_back(carry, dh_rec, use_rec, dout, use_out, pre, g, h_prev, rh, dxz, dm, act, rec, reset_after):
    """Gradients of gate z and of the candidate (and, with ``reset_after``, of gate r) for one step; ``carry``
    (the gradient reaching ``h_prev`` through ``z·h_prev``) is read and rewritten in place."""
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            d = carry[i, j] + (dh_rec[i, j] if use_rec else 0.0) + (dout[i, j] if use_out else 0.0)
            zg, hh = g[i, j], g[i, 2 * u + j]
            dah = d * (1.0 - zg) * _dact(pre[i, 2 * u + j], hh, act)
            daz = d * (h_prev[i, j] - hh) * _dact(pre[i, j], zg, rec)
            dxz[i, j] = daz
            dxz[i, 2 * u + j] = dah
            carry[i, j] = d * zg
            if reset_after:
                dar = dah * rh[i, j] * _dact(pre[i, u + j], g[i, u + j], rec)
                dxz[i, u + j] = dar
                dm[i, j] = daz
                dm[i, u + j] = dar
                dm[i, 2 * u + j] = dah * g[i, u + j]


@jit
def _gru_back_reset(drh, pre, g, h_prev, carry, dxz, rec):
    """reset_after false: gate r's gradient from ``drh = d(r·h_prev)``, and the ``r·drh`` part of ``h_prev``'s."""
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            rg = g[i, u + j]
            dxz[i, u + j] = drh[i, j] * h_prev[i, j] * _dact(pre[i, u + j], rg, rec)
            carry[i, j] += drh[i, j] * rg


def gru_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`gru_forward`."""
    xt, pre, g, hs, rh, has_bias, activation, recurrent_activation, reset_after, go_backwards, rs = cache
    steps, n, u3 = pre.shape
    u = u3 // 3
    dys, has_out = _step_grads(dy, steps, rs)
    dxz = np.empty_like(pre)
    dm = np.empty_like(pre) if reset_after else dxz
    carry, dh, drh = (np.zeros((n, u), pre.dtype) for _ in range(3))
    rt = (recurrent_kernel if reset_after else recurrent_kernel[:, :2 * u]).T
    rt_h = recurrent_kernel[:, 2 * u:].T
    for t in range(steps - 1, -1, -1):
        _gru_back(carry, dh, t < steps - 1, dys[t], has_out[t], pre[t], g[t], hs[t], rh[t], dxz[t], dm[t],
                  activation, recurrent_activation, reset_after)
        if not reset_after:
            np.matmul(dxz[t][:, 2 * u:], rt_h, out=drh)
            _gru_back_reset(drh, pre[t], g[t], hs[t], carry, dxz[t], recurrent_activation)
        if t:
            np.matmul(dm[t][:, :rt.shape[0]], rt, out=dh)
    h2 = hs[:steps].reshape(steps * n, u).T
    dm2 = dm.reshape(steps * n, u3)
    if reset_after:
        drec = h2 @ dm2
    else:
        drec = np.concatenate([h2 @ dm2[:, :2 * u], rh.reshape(steps * n, u).T @ dm2[:, 2 * u:]], axis=1)
    dx, dkernel, dbias = _input_grads(xt, dxz, kernel, go_backwards, need_dx)
    if reset_after:
        dbias = np.stack([dbias, _col_sum(dm2)])
    return dx, dkernel, drec, dbias if has_bias else None
