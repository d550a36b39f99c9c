"""Recurrent layers on the device: SimpleRNN and LSTM with back-propagation through time.

The input projection of every step is one tiled matrix product over ``(T·N, F)`` (bias fused); each step then
adds ``h_{t-1} @ recurrent_kernel`` into its slice with the product's accumulate mode and runs one fused
element-wise cell kernel. The backward mirrors it: per step one cell-gradient kernel and two products, then one
product each for the kernel and the input gradients over all steps. Sequences are stored time-major on the
device; ``go_backwards`` reverses time while transposing. Formulas and gate order (i, f, c, o): Keras's, as in
the reference backend. The cell kernels shared with ConvLSTM2D are in :mod:`core.kernels.cuda._cells`;
ConvLSTM2D and the single LSTM cell step are in :mod:`core.kernels.cuda._conv_lstm` and exported from here.
"""

from numba import cuda

from core.kernels.cuda._cells import (_copy_kernel, _lstm_cell, _lstm_cell_back, _output, _output_grads,
                                     _reverse_time, _swap01)
from core.kernels.cuda._conv_lstm import (conv_lstm2d_backward, conv_lstm2d_forward, lstm_cell_backward,
                                          lstm_cell_forward)
from core.kernels.cuda._device import THREADS, blocks, dev, empty, zeros
from core.kernels.cuda._formulas import act, dact
from core.kernels.cuda._matmul import col_sum, matmul


def _time_major(x, go_backwards):
    return _reverse_time(_swap01(dev(x)), go_backwards)


def _project(xt, kernel, bias):
    """``x_t @ kernel + bias`` for every step at once: ``(T, N, G)``."""
    t, n, f = xt.shape
    return matmul(xt.reshape(t * n, f), dev(kernel), bias=bias).reshape((t, n, kernel.shape[1]))


def _finish(xt, dz, kernel, has_bias, go_backwards, need_dx):
    """Kernel, bias and input gradients from the per-step pre-activation gradients ``dz`` (T, N, G)."""
    t, n, g = dz.shape
    dz2 = dz.reshape(t * n, g)
    x2 = xt.reshape(t * n, xt.shape[2])
    dkernel = matmul(x2, dz2, ta=True)
    dbias = col_sum(dz2) if has_bias else None
    dx = None
    if need_dx:
        dxt = matmul(dz2, dev(kernel), tb=True).reshape((t, n, xt.shape[2]))
        dx = _swap01(_reverse_time(dxt, go_backwards))
    return dx, dkernel, dbias


# -- SimpleRNN ---------------------------------------------------------------------------------------------------
@cuda.jit
def _rnn_cell(z, h, code):
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        h[i] = act(z[i], code)


@cuda.jit
def _rnn_cell_back(dh, dout, z, h, dz, code):
    for i in range(cuda.grid(1), dz.size, cuda.gridsize(1)):
        dz[i] = (dh[i] + dout[i]) * dact(z[i], h[i], code)


def simple_rnn_forward(x, kernel, recurrent_kernel, bias, activation, go_backwards, return_sequences):
    """``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``, ``h_0 = 0``."""
    xt = _time_major(x, go_backwards)
    rk = dev(recurrent_kernel)
    z = _project(xt, kernel, bias)
    steps, n, units = z.shape
    hs = zeros((steps + 1, n, units), z.dtype)
    for t in range(steps):
        matmul(hs[t], rk, out=z[t], accumulate=True)
        _rnn_cell[blocks(n * units), THREADS](z[t].reshape(n * units), hs[t + 1].reshape(n * units), activation)
    cache = (xt, z, hs, bias is not None, activation, go_backwards, return_sequences)
    return _output(hs, return_sequences), cache


def simple_rnn_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`simple_rnn_forward`."""
    xt, z, hs, has_bias, activation, go_backwards, return_sequences = cache
    steps, n, units = z.shape
    rk = dev(recurrent_kernel)
    douts = _output_grads(dy, steps, return_sequences)
    dh = zeros((n, units), z.dtype)
    drec = zeros(rk.shape, z.dtype)
    dz = empty(z.shape, z.dtype)
    size = n * units
    for t in reversed(range(steps)):
        _rnn_cell_back[blocks(size), THREADS](dh.reshape(size), douts[t].reshape(size), z[t].reshape(size),
                                              hs[t + 1].reshape(size), dz[t].reshape(size), activation)
        matmul(hs[t], dz[t], ta=True, out=drec, accumulate=True)
        matmul(dz[t], rk, tb=True, out=dh)
    dx, dkernel, dbias = _finish(xt, dz, kernel, has_bias, go_backwards, need_dx)
    return dx, dkernel, drec, dbias


# -- LSTM ---------------------------------------------------------------------------------------------------------
def lstm_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, go_backwards,
                 return_sequences):
    """Keras's LSTM over a whole sequence: ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias``."""
    xt = _time_major(x, go_backwards)
    rk = dev(recurrent_kernel)
    z = _project(xt, kernel, bias)
    steps, n, four = z.shape
    units = four // 4
    hs, cs = zeros((steps + 1, n, units), z.dtype), zeros((steps + 1, n, units), z.dtype)
    g, a = empty(z.shape, z.dtype), empty((steps, n, units), z.dtype)
    for t in range(steps):
        matmul(hs[t], rk, out=z[t], accumulate=True)
        _lstm_cell[blocks(n * units), THREADS](z[t], cs[t], cs[t + 1], hs[t + 1], g[t], a[t], activation,
                                               recurrent_activation)
    cache = (xt, z, g, hs, cs, a, bias is not None, activation, recurrent_activation, go_backwards,
             return_sequences)
    return _output(hs, return_sequences), cache


def lstm_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`lstm_forward`."""
    xt, z, g, hs, cs, a, has_bias, activation, recurrent_activation, go_backwards, return_sequences = cache
    steps, n, four = z.shape
    units = four // 4
    rk = dev(recurrent_kernel)
    douts = _output_grads(dy, steps, return_sequences)
    dh, dc = zeros((n, units), z.dtype), zeros((n, units), z.dtype)
    drec = zeros(rk.shape, z.dtype)
    dz = empty(z.shape, z.dtype)
    for t in reversed(range(steps)):
        _lstm_cell_back[blocks(n * units), THREADS](dh, douts[t], dc, z[t], g[t], cs[t], cs[t + 1], a[t], dz[t],
                                                    activation, recurrent_activation)
        matmul(hs[t], dz[t], ta=True, out=drec, accumulate=True)
        matmul(dz[t], rk, tb=True, out=dh)
    dx, dkernel, dbias = _finish(xt, dz, kernel, has_bias, go_backwards, need_dx)
    return dx, dkernel, drec, dbias


# -- GRU ----------------------------------------------------------------------------------------------------------
@cuda.jit
def _gru_cell(xz, m, h_prev, h, pre, g, rh, code, rec, reset_after):
    """Gates z, r, h: ``xz`` (N, 3U) the input projection (input bias in), ``m`` the recurrent product (reset_after:
    all three gates, recurrent bias in, and ``rh`` keeps its candidate part; else z and r). Without reset_after
    ``rh`` receives ``r·h_prev`` and the
    candidate's recurrent term is added by the caller's second product into ``xz[:, 2U:]`` before
    :func:`_gru_update`. ``pre``/``g`` keep the gates' pre-activations and activations."""
    n, units = h_prev.shape
    for k in range(cuda.grid(1), n * units, cuda.gridsize(1)):
        r, j = k // units, k % units
        az = xz[r, j] + m[r, j]
        ar = xz[r, units + j] + m[r, units + j]
        zg, rg = act(az, rec), act(ar, rec)
        pre[r, j], pre[r, units + j], g[r, j], g[r, units + j] = az, ar, zg, rg
        if reset_after:
            ah = xz[r, 2 * units + j] + rg * m[r, 2 * units + j]
            hh = act(ah, code)
            pre[r, 2 * units + j], g[r, 2 * units + j] = ah, hh
            h[r, j] = zg * h_prev[r, j] + (1.0 - zg) * hh
            rh[r, j] = m[r, 2 * units + j]  # kept for the backward
        else:
            rh[r, j] = rg * h_prev[r, j]


@cuda.jit
def _gru_update(xz, h_prev, h, pre, g, code):
    """Candidate and new state when the reset gate applies before the product (reset_after false)."""
    n, units = h_prev.shape
    for k in range(cuda.grid(1), n * units, cuda.gridsize(1)):
        r, j = k // units, k % units
        ah = xz[r, 2 * units + j]
        hh = act(ah, code)
        pre[r, 2 * units + j], g[r, 2 * units + j] = ah, hh
        zg = g[r, j]
        h[r, j] = zg * h_prev[r, j] + (1.0 - zg) * hh


def gru_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, reset_after, go_backwards,
                return_sequences):
    """Keras's GRU over a whole sequence; ``bias`` is ``(2, 3u)`` with ``reset_after``, else ``(3u,)``."""
    xt = _time_major(x, go_backwards)
    rk = dev(recurrent_kernel)
    bias = dev(bias)
    xz = _project(xt, kernel, None if bias is None else (bias[0] if reset_after else bias))
    steps, n, three = xz.shape
    units = three // 3
    hs = zeros((steps + 1, n, units), xz.dtype)
    pre, g = empty(xz.shape, xz.dtype), empty(xz.shape, xz.dtype)
    rh = zeros((steps, n, units), xz.dtype)
    size = n * units
    for t in range(steps):
        if reset_after:
            m = matmul(hs[t], rk, bias=None if bias is None else bias[1])
        else:
            m = matmul(hs[t], rk[:, :2 * units])
        _gru_cell[blocks(size), THREADS](xz[t], m, hs[t], hs[t + 1], pre[t], g[t], rh[t], activation,
                                         recurrent_activation, bool(reset_after))
        if reset_after:
            continue
        matmul(rh[t], rk[:, 2 * units:], out=xz[t][:, 2 * units:], accumulate=True)
        _gru_update[blocks(size), THREADS](xz[t], hs[t], hs[t + 1], pre[t], g[t], activation)
    cache = (xt, pre, g, hs, rh, bias is not None, activation, recurrent_activation, reset_after, go_backwards,
             return_sequences)
    return _output(hs, return_sequences), cache


@cuda.jit
def _gru_back(dh, dout, h_prev, pre, g, rh, dxz, dm, dh_new, code, rec, reset_after):
    """Per element: the z and candidate gate gradients, ``dh_new = dh·z`` and, with reset_after, the reset gate
    and the recurrent-term gradient ``dm``."""
    n, units = h_prev.shape
    for k in range(cuda.grid(1), n * units, cuda.gridsize(1)):
        r, j = k // units, k % units
        dht = dh[r, j] + dout[r, j]
        zg, rg, hh = g[r, j], g[r, units + j], g[r, 2 * units + j]
        dah = dht * (1.0 - zg) * dact(pre[r, 2 * units + j], hh, code)
        daz = dht * (h_prev[r, j] - hh) * dact(pre[r, j], zg, rec)
        dxz[r, j], dxz[r, 2 * units + j] = daz, dah
        dh_new[r, j] = dht * zg
        if reset_after:
            dar = dah * rh[r, j] * dact(pre[r, units + j], rg, rec)
            dxz[r, units + j] = dar
            dm[r, j], dm[r, units + j], dm[r, 2 * units + j] = daz, dar, dah * rg


@cuda.jit
def _gru_back_reset(drh, h_prev, pre, g, dxz, dh_new, rec):
    """Reset gate gradient when it applies before the product: from ``drh = dah @ Rhᵀ``."""
    n, units = h_prev.shape
    for k in range(cuda.grid(1), n * units, cuda.gridsize(1)):
        r, j = k // units, k % units
        rg = g[r, units + j]
        dxz[r, units + j] = drh[r, j] * h_prev[r, j] * dact(pre[r, units + j], rg, rec)
        dh_new[r, j] += drh[r, j] * rg


def gru_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`gru_forward`."""
    xt, pre, g, hs, rh, has_bias, activation, recurrent_activation, reset_after, go_backwards, rs = cache
    steps, n, three = pre.shape
    units = three // 3
    rk = dev(recurrent_kernel)
    douts = _output_grads(dy, steps, rs)
    dh, dh_new = zeros((n, units), pre.dtype), empty((n, units), pre.dtype)
    drec = zeros(rk.shape, pre.dtype)
    dxz, dm = empty(pre.shape, pre.dtype), empty(pre.shape if reset_after else (1, 1, 1), pre.dtype)
    size = n * units
    for t in reversed(range(steps)):
        dm_t = dm[t] if reset_after else dm[0]
        _gru_back[blocks(size), THREADS](dh, douts[t], hs[t], pre[t], g[t], rh[t], dxz[t], dm_t, dh_new, activation,
                                         recurrent_activation, bool(reset_after))
        if reset_after:
            matmul(dm_t, rk, tb=True, out=dh_new, accumulate=True)
            matmul(hs[t], dm_t, ta=True, out=drec, accumulate=True)
        else:
            dah = dxz[t][:, 2 * units:]
            drh = matmul(dah, rk[:, 2 * units:], tb=True)
            _gru_back_reset[blocks(size), THREADS](drh, hs[t], pre[t], g[t], dxz[t], dh_new, recurrent_activation)
            dzr = dxz[t][:, :2 * units]
            matmul(dzr, rk[:, :2 * units], tb=True, out=dh_new, accumulate=True)
            matmul(hs[t], dzr, ta=True, out=drec[:, :2 * units], accumulate=True)
            matmul(rh[t], dah, ta=True, out=drec[:, 2 * units:], accumulate=True)
        dh, dh_new = dh_new, dh
    dx, dkernel, dbias = _finish(xt, dxz, kernel, has_bias, go_backwards, need_dx)
    if has_bias and reset_after:
        both = empty((2, three), pre.dtype)
        _copy_kernel[blocks(three), THREADS](dbias, both[0])
        _copy_kernel[blocks(three), THREADS](col_sum(dm.reshape(steps * n, three)), both[1])
        dbias = both
    return dx, dkernel, drec, dbias


__all__ = ["conv_lstm2d_backward", "conv_lstm2d_forward", "gru_backward", "gru_forward", "lstm_backward",
           "lstm_cell_backward", "lstm_cell_forward", "lstm_forward", "simple_rnn_backward", "simple_rnn_forward"]
