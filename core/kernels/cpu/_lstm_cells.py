"""The numba passes of one LSTM step over a whole batch, used by :mod:`core.kernels.cpu._lstm`.

The forward pass takes the step's pre-activations ``z = [x_t, h_{t-1}] @ [kernel; recurrent_kernel]`` straight
from the matrix product, adds the bias, applies the gates and updates the cell in one sweep, and writes ``h_t``
into the next step's product operand (the ``off:`` columns of ``xh_next``), so that no array is copied between
steps. The float32 tanh / sigmoid pass overwrites ``z`` with the gate activations (the backward pass of those
needs only the activations); the general pass keeps ``z`` and writes the activations to ``g``. The backward
passes also accumulate the bias gradient, which saves a sweep over all steps' gradients.
"""

from core.kernels.cpu._formulas import act, dact
from core.kernels.cpu._jit import jit
from core.kernels.cpu._rnn_cells import ONE, cell_update32, sigmoid32, tanh32


@jit
def step_std32(z, bias, c_prev, c, a, xh_next, off):
    """tanh / sigmoid in float32: ``z`` (``(n, 4u)``, gates i, f, c, o) becomes the gate activations; writes the
    new cell state ``c``, ``a = tanh(c)`` and ``h = o·a`` (into ``xh_next[:, off:]``). Vectorised per row."""
    n, u = c.shape
    for i in range(n):
        zr = z[i]
        for col in range(4 * u):  # the bias as a sweep of its own: fused into the calls below it ran slower
            zr[col] += bias[col]
        for col in range(2 * u):
            zr[col] = sigmoid32(zr[col])
        gg = zr[2 * u:3 * u]
        for j in range(u):
            gg[j] = tanh32(gg[j])
        go = zr[3 * u:]
        for j in range(u):
            go[j] = sigmoid32(go[j])
        cell_update32(zr[:u], zr[u:2 * u], gg, go, c_prev[i], c[i], a[i], xh_next[i][off:off + u])


@jit
def step_any(z, bias, g, c_prev, c, a, xh_next, off, code, rec):
    """Any cell activation ``code`` and gate activation ``rec`` (exact libm functions; float64 too): ``z`` gets
    the bias added and is kept, ``g`` the activations; then as :func:`step_std32`."""
    n, u = c.shape
    for i in range(n):
        zr, gr = z[i], g[i]
        for col in range(4 * u):
            v = zr[col] + bias[col]
            zr[col] = v
            gr[col] = act(v, code if 2 * u <= col < 3 * u else rec)
        cp, cr, ar, hr = c_prev[i], c[i], a[i], xh_next[i][off:off + u]
        for j in range(u):
            cc = gr[u + j] * cp[j] + gr[j] * gr[2 * u + j]
            cr[j] = cc
            aa = act(cc, code)
            ar[j] = aa
            hr[j] = gr[3 * u + j] * aa


@jit
def back_std(dh, dout, g, c_prev, a, dc, db):
    """``dz`` of one tanh / sigmoid step (any dtype: derivatives from the stored activations), written over the
    activations ``g``, from the gradient reaching ``h`` (``dh`` from the next step plus ``dout`` from the
    output) and ``c`` (``dc``, rewritten in place as the gradient of ``c_prev``); adds ``dz``'s column sums to
    ``db``. Writing in place saves an array the size of all steps' gates (and the time to fill it)."""
    n, u = dc.shape
    for i in range(n):
        dr, do, cp, ar, dcr = dh[i], dout[i], c_prev[i], a[i], dc[i]
        gi, gf, gg, go = g[i, :u], g[i, u:2 * u], g[i, 2 * u:3 * u], g[i, 3 * u:]
        for j in range(u):
            vi, vf, vg, vo = gi[j], gf[j], gg[j], go[j]
            d = dr[j] + do[j]
            aa = ar[j]
            dcc = dcr[j] + d * vo * (ONE - aa * aa)
            gi[j] = dcc * vg * vi * (ONE - vi)
            gf[j] = dcc * cp[j] * vf * (ONE - vf)
            gg[j] = dcc * vi * (ONE - vg * vg)
            go[j] = d * aa * vo * (ONE - vo)
            dcr[j] = dcc * vf
        zr = g[i]
        for col in range(4 * u):
            db[col] += zr[col]


@jit
def back_any(dh, dout, z, g, c_prev, c, a, dc, dz, db, code, rec):
    """:func:`back_std` for any activations (derivatives from the pre-activations where needed), into ``dz``."""
    n, u = dc.shape
    for i in range(n):
        zr, gr, dzr = z[i], g[i], dz[i]
        for j in range(u):
            d = dh[i, j] + dout[i, j]
            gi, gf, gg, go = gr[j], gr[u + j], gr[2 * u + j], gr[3 * u + j]
            dcc = dc[i, j] + d * go * dact(c[i, j], a[i, j], code)
            dzr[j] = dcc * gg * dact(zr[j], gi, rec)
            dzr[u + j] = dcc * c_prev[i, j] * dact(zr[u + j], gf, rec)
            dzr[2 * u + j] = dcc * gi * dact(zr[2 * u + j], gg, code)
            dzr[3 * u + j] = d * a[i, j] * dact(zr[3 * u + j], go, rec)
            dc[i, j] = dcc * gf
        for col in range(4 * u):
            db[col] += dzr[col]
