"""The numba passes of one recurrent step (SimpleRNN, LSTM, GRU), used by :mod:`core.kernels.cpu.recurrent`.

Each step has a general pass, which applies any cell activation by kernel code (the shared formulas of
:mod:`core.kernels.formulas`, exact libm functions; this is what float64 and the rarer activations use), and a
pass specialised for Keras's defaults (tanh, sigmoid). The specialised forward passes run in float32 with a
rational tanh (Eigen's, max error 3.4e-7) and ``sigmoid(x) = 0.5 + 0.5·tanh(x / 2)``: with no function calls
left, LLVM vectorises them, far faster than calling libm's tanh per element (figures: tests/benchmarks/NOTES.md).
The specialised backward passes need only the stored activations (pure arithmetic), so they serve every dtype.
"""

import numpy as np

from core.kernels.cpu._formulas import act, dact
from core.kernels.cpu._jit import jit

_F = np.float32
HALF, ONE, CLAMP = _F(0.5), _F(1.0), _F(7.90531110763549805)  # |x| ≥ CLAMP: tanh(x) rounds to ±1 in float32
A1, A3, A5, A7 = _F(4.89352455891786e-03), _F(6.37261928875436e-04), _F(1.48572235717979e-05), _F(5.12229709037114e-08)
A9, A11, A13 = _F(-8.60467152213735e-11), _F(2.00018790482477e-13), _F(-2.76076847742355e-16)
B0, B2, B4, B6 = _F(4.89352518554385e-03), _F(2.26843463243900e-03), _F(1.18534705686654e-04), _F(1.19825839466702e-06)


# -- scalar activations --------------------------------------------------------------------------------------------
@jit
def tanh32(v):
    """float32 tanh as a 13/6 rational function (vectorisable)."""
    x = min(max(v, -CLAMP), CLAMP)
    x2 = x * x
    p = x2 * (x2 * (x2 * (x2 * (x2 * (x2 * A13 + A11) + A9) + A7) + A5) + A3) + A1
    return x * p / (x2 * (x2 * (x2 * B6 + B4) + B2) + B0)


@jit
def sigmoid32(v):
    return HALF + HALF * tanh32(HALF * v)


@jit
def col_sum(a):
    rows, cols = a.shape
    out = np.zeros(cols, a.dtype)
    for i in range(rows):
        for j in range(cols):
            out[j] += a[i, j]
    return out


# -- SimpleRNN: z += h_prev @ R; h = f(z) ----------------------------------------------------------------------------
@jit
def rnn_step(z, rz, h, code):
    n, u = z.shape
    for i in range(n):
        for j in range(u):
            v = z[i, j] + rz[i, j]
            z[i, j] = v
            h[i, j] = act(v, code)


@jit
def rnn_step_tanh32(z, rz, h):
    n, u = z.shape
    for i in range(n):
        zr, rr, hr = z[i], rz[i], h[i]
        for j in range(u):
            v = zr[j] + rr[j]
            zr[j] = v
            hr[j] = tanh32(v)


@jit
def rnn_back(dh_rec, dout, z, h, dz, code):
    n, u = z.shape
    for i in range(n):
        for j in range(u):
            dz[i, j] = (dh_rec[i, j] + dout[i, j]) * dact(z[i, j], h[i, j], code)


@jit
def rnn_back_tanh(dh_rec, dout, h, dz):
    n, u = h.shape
    for i in range(n):
        dr, do, hr, dzr = dh_rec[i], dout[i], h[i], dz[i]
        for j in range(u):
            dzr[j] = (dr[j] + do[j]) * (ONE - hr[j] * hr[j])


# -- LSTM: gates i, f, c, o; c = f·c_prev + i·g; h = o·act(c) ----------------------------------------------------
@jit
def lstm_step(z, rz, c_prev, c, h, g, a, code, rec):
    """Pre-activations ``z + rz`` (kept in ``z``), activations in ``g``, new ``c``, ``a = act(c)``, ``h``."""
    n, u = c.shape
    for i in range(n):
        for j in range(u):
            for k in range(4):
                col = k * u + j
                v = z[i, col] + rz[i, col]
                z[i, col] = v
                g[i, col] = act(v, code if k == 2 else rec)
            cc = g[i, u + j] * c_prev[i, j] + g[i, j] * g[i, 2 * u + j]
            c[i, j] = cc
            aa = act(cc, code)
            a[i, j] = aa
            h[i, j] = g[i, 3 * u + j] * aa


@jit
def cell_update32(gi, gf, gg, go, c_prev, c, a, h):
    """One row of the LSTM cell in float32: ``c = f·c_prev + i·g``, ``a = tanh(c)``, ``h = o·a``."""
    for j in range(c.size):
        cc = gf[j] * c_prev[j] + gi[j] * gg[j]
        c[j] = cc
        aa = tanh32(cc)
        a[j] = aa
        h[j] = go[j] * aa


@jit
def lstm_step32(z, rz, c_prev, c, h, g, a):
    """:func:`lstm_step` for tanh / sigmoid in float32, vectorised (one row and gate at a time)."""
    n, u = c.shape
    for i in range(n):
        zr, rr, gr = z[i], rz[i], g[i]
        for col in range(4 * u):
            zr[col] += rr[col]
        for col in range(2 * u):
            gr[col] = sigmoid32(zr[col])
        gg, zg = gr[2 * u:3 * u], zr[2 * u:3 * u]
        for j in range(u):
            gg[j] = tanh32(zg[j])
        go, zo = gr[3 * u:], zr[3 * u:]
        for j in range(u):
            go[j] = sigmoid32(zo[j])
        cell_update32(gr[:u], gr[u:2 * u], gg, go, c_prev[i], c[i], a[i], h[i])


@jit
def lstm_back(dh_rec, dout, z, g, c_prev, c, a, dc, dz, code, rec):
    """``dz`` of one step from the gradient reaching ``h`` (recurrent + output) and ``c`` (``dc``, rewritten in
    place as the gradient of ``c_prev``)."""
    n, u = c.shape
    for i in range(n):
        for j in range(u):
            d = dh_rec[i, j] + dout[i, j]
            gi, gf, gg, go = g[i, j], g[i, u + j], g[i, 2 * u + j], g[i, 3 * u + j]
            dcc = dc[i, j] + d * go * dact(c[i, j], a[i, j], code)
            dz[i, j] = dcc * gg * dact(z[i, j], gi, rec)
            dz[i, u + j] = dcc * c_prev[i, j] * dact(z[i, u + j], gf, rec)
            dz[i, 2 * u + j] = dcc * gi * dact(z[i, 2 * u + j], gg, code)
            dz[i, 3 * u + j] = d * a[i, j] * dact(z[i, 3 * u + j], go, rec)
            dc[i, j] = dcc * gf


@jit
def lstm_back_std(dh_rec, dout, g, c_prev, a, dc, dz):
    """:func:`lstm_back` for tanh / sigmoid (derivatives from the stored activations), vectorised."""
    n, u = dc.shape
    for i in range(n):
        dr, do, cp, ar, dcr = dh_rec[i], dout[i], c_prev[i], a[i], dc[i]
        gi, gf, gg, go = g[i, :u], g[i, u:2 * u], g[i, 2 * u:3 * u], g[i, 3 * u:]
        zi, zf, zg, zo = dz[i, :u], dz[i, u:2 * u], dz[i, 2 * u:3 * u], dz[i, 3 * u:]
        for j in range(u):
            d = dr[j] + do[j]
            aa = ar[j]
            dcc = dcr[j] + d * go[j] * (ONE - aa * aa)
            zi[j] = dcc * gg[j] * gi[j] * (ONE - gi[j])
            zf[j] = dcc * cp[j] * gf[j] * (ONE - gf[j])
            zg[j] = dcc * gi[j] * (ONE - gg[j] * gg[j])
            zo[j] = d * aa * go[j] * (ONE - go[j])
            dcr[j] = dcc * gf[j]
