"""The numba passes of one GRU step (gates z, r, h), used by :mod:`core.kernels.cpu.recurrent`.

As in :mod:`core.kernels.cpu._rnn_cells`: general passes by activation code, and passes specialised for
tanh / sigmoid (float32 forward with the vectorisable tanh; backward from the stored activations) for Keras's
default ``reset_after=True``.
"""

from core.kernels.cpu._formulas import act, dact
from core.kernels.cpu._jit import jit
from core.kernels.cpu._rnn_cells import ONE, sigmoid32, tanh32


@jit
def gru_gates(xz, m, brec, h_prev, pre, g, rh, code, rec, reset_after):
    """Gates z and r from ``xz`` (input projection with the input bias) and ``m = h_prev @ R`` (plus ``brec``).
    With ``reset_after`` also the candidate, and ``rh`` keeps ``m_h + brec_h``; otherwise ``rh = r·h_prev``.
    Pre-activations go to ``pre``, activations to ``g``."""
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            for k in range(2):
                col = k * u + j
                v = xz[i, col] + m[i, col] + brec[col]
                pre[i, col] = v
                g[i, col] = act(v, rec)
            if reset_after:
                mh = m[i, 2 * u + j] + brec[2 * u + j]
                rh[i, j] = mh
                v = xz[i, 2 * u + j] + g[i, u + j] * mh
                pre[i, 2 * u + j] = v
                g[i, 2 * u + j] = act(v, code)
            else:
                rh[i, j] = g[i, u + j] * h_prev[i, j]


@jit
def gru_update(xz, mh, h_prev, pre, g, h, code, reset_after):
    """The candidate (``reset_after`` false: from ``mh = (r·h_prev) @ R_h``), then ``h = z·h_prev + (1 − z)·hh``.
    """
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            if not reset_after:
                v = xz[i, 2 * u + j] + mh[i, j]
                pre[i, 2 * u + j] = v
                g[i, 2 * u + j] = act(v, code)
            zg = g[i, j]
            h[i, j] = zg * h_prev[i, j] + (1 - zg) * g[i, 2 * u + j]


@jit
def gru_step32(xz, m, brec, h_prev, pre, g, rh, h):
    """A whole reset_after step for tanh / sigmoid in float32, vectorised (one row and gate at a time)."""
    n, u = h_prev.shape
    for i in range(n):
        xr, mr, pr, gr = xz[i], m[i], pre[i], g[i]
        for col in range(2 * u):
            v = xr[col] + mr[col] + brec[col]
            pr[col] = v
            gr[col] = sigmoid32(v)
        xh, mh, bh, ph = xr[2 * u:], mr[2 * u:], brec[2 * u:], pr[2 * u:]
        gz, gr_, gh = gr[:u], gr[u:2 * u], gr[2 * u:]
        hp, rhr, hr = h_prev[i], rh[i], h[i]
        for j in range(u):
            mj = mh[j] + bh[j]
            rhr[j] = mj
            v = xh[j] + gr_[j] * mj
            ph[j] = v
            hh = tanh32(v)
            gh[j] = hh
            hr[j] = gz[j] * hp[j] + (ONE - gz[j]) * hh


@jit
def gru_back(carry, dh_rec, dout, pre, g, h_prev, rh, dxz, dm, code, rec, reset_after):
    """Gradients of gate z and of the candidate (with ``reset_after`` also of gate r, and ``dm``, the gradient of
    ``h_prev @ R + brec``) for one step. ``carry`` (the gradient reaching ``h_prev`` through ``z·h_prev``) is
    read and rewritten in place."""
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            d = carry[i, j] + dh_rec[i, j] + dout[i, j]
            zg, hh = g[i, j], g[i, 2 * u + j]
            dah = d * (1 - zg) * dact(pre[i, 2 * u + j], hh, code)
            daz = d * (h_prev[i, j] - hh) * dact(pre[i, j], zg, rec)
            dxz[i, j] = daz
            dxz[i, 2 * u + j] = dah
            carry[i, j] = d * zg
            if reset_after:
                dar = dah * rh[i, j] * dact(pre[i, u + j], g[i, u + j], rec)
                dxz[i, u + j] = dar
                dm[i, j] = daz
                dm[i, u + j] = dar
                dm[i, 2 * u + j] = dah * g[i, u + j]


@jit
def gru_back_std(carry, dh_rec, dout, g, h_prev, rh, dxz, dm):
    """:func:`gru_back` with ``reset_after`` for tanh / sigmoid, vectorised."""
    n, u = h_prev.shape
    for i in range(n):
        cr, dr, do, hp, rhr = carry[i], dh_rec[i], dout[i], h_prev[i], rh[i]
        gz, gr, gh = g[i, :u], g[i, u:2 * u], g[i, 2 * u:]
        xz_, xr_, xh_ = dxz[i, :u], dxz[i, u:2 * u], dxz[i, 2 * u:]
        mz, mr, mh = dm[i, :u], dm[i, u:2 * u], dm[i, 2 * u:]
        for j in range(u):
            d = cr[j] + dr[j] + do[j]
            zg, rg, hh = gz[j], gr[j], gh[j]
            dah = d * (ONE - zg) * (ONE - hh * hh)
            daz = d * (hp[j] - hh) * zg * (ONE - zg)
            dar = dah * rhr[j] * rg * (ONE - rg)
            xz_[j] = daz
            xr_[j] = dar
            xh_[j] = dah
            cr[j] = d * zg
            mz[j] = daz
            mr[j] = dar
            mh[j] = dah * rg


@jit
def gru_back_reset(drh, pre, g, h_prev, carry, dxz, rec):
    """reset_after false: gate r's gradient from ``drh = d(r·h_prev)``, and the ``r·drh`` part of ``h_prev``'s."""
    n, u = h_prev.shape
    for i in range(n):
        for j in range(u):
            rg = g[i, u + j]
            dxz[i, u + j] = drh[i, j] * h_prev[i, j] * dact(pre[i, u + j], rg, rec)
            carry[i, j] += drh[i, j] * rg
