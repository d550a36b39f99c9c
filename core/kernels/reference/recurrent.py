"""Recurrent cells (SimpleRNN, GRU, LSTM, ConvLSTM2D) with back-propagation through time, in plain NumPy.

This is the oracle the fast kernels are tested against, so it follows Keras's formulas step by step with no
tricks. Inputs are batch-major ``(batch, time, features)``; ``go_backwards`` reverses the time axis before the
loop and the returned sequence stays in processing order, as in Keras. Activations are given by kernel code
(see :mod:`core.activations`). A forward returns ``(output, cache)``; the matching backward takes the gradient
of the output and that cache and returns ``(dx or None, dkernel, drecurrent_kernel, dbias or None)``.
"""

import numpy as np

from core.kernels.reference.activations import activation_backward as _act_back
from core.kernels.reference.activations import activation_forward as _act
from core.kernels.reference.conv import conv2d_backward, conv2d_forward


def _time_major(x, go_backwards):
    """``(batch, time, f)`` → ``(time, batch, f)``, reversed in time when going backwards."""
    xt = np.swapaxes(x, 0, 1)
    return xt[::-1] if go_backwards else xt


def _batch_major(dxt, go_backwards):
    dxt = dxt[::-1] if go_backwards else dxt
    return np.ascontiguousarray(np.swapaxes(dxt, 0, 1))


def _output(hs, return_sequences):
    return np.ascontiguousarray(np.swapaxes(np.stack(hs), 0, 1)) if return_sequences else hs[-1].copy()


def _output_grads(dy, steps, return_sequences):
    """The gradient reaching each step's ``h`` from the layer output, time-major."""
    if return_sequences:
        return np.swapaxes(dy, 0, 1)
    grads = np.zeros((steps,) + dy.shape, dy.dtype)
    grads[-1] = dy
    return grads


def _finish(xt, dz_all, kernel, bias, go_backwards, need_dx):
    """Kernel, bias and input gradients from the per-step pre-activation gradients ``dz_all`` (time-major)."""
    dkernel = sum(xt[t].T @ dz_all[t] for t in range(len(xt)))
    dbias = None if bias is None else sum(d.sum(axis=0) for d in dz_all)
    dx = _batch_major(np.stack([d @ kernel.T for d in dz_all]), go_backwards) if need_dx else None
    return dx, dkernel, dbias


# -- SimpleRNN ---------------------------------------------------------------------------------------------------
def simple_rnn_forward(x, kernel, recurrent_kernel, bias, activation, go_backwards, return_sequences):
    """``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``, ``h_0 = 0``."""
    xt = _time_major(x, go_backwards)
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]), x.dtype)
    hs, zs = [h], []
    for t in range(xt.shape[0]):
        z = xt[t] @ kernel + hs[-1] @ recurrent_kernel
        if bias is not None:
            z = z + bias
        zs.append(z)
        hs.append(_act(z, activation))
    cache = (xt, hs, zs, bias, activation, go_backwards, return_sequences)
    return _output(hs[1:], return_sequences), cache


def simple_rnn_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`simple_rnn_forward`."""
    xt, hs, zs, bias, activation, go_backwards, return_sequences = cache
    douts = _output_grads(dy, len(zs), return_sequences)
    dh = np.zeros_like(hs[0])
    drec = np.zeros_like(recurrent_kernel)
    dz_all = [None] * len(zs)
    for t in reversed(range(len(zs))):
        dz = _act_back(zs[t], hs[t + 1], dh + douts[t], activation)
        drec += hs[t].T @ dz
        dh = dz @ recurrent_kernel.T
        dz_all[t] = dz
    dx, dkernel, dbias = _finish(xt, dz_all, kernel, bias, go_backwards, need_dx)
    return dx, dkernel, drec, dbias


# -- LSTM ---------------------------------------------------------------------------------------------------------
def lstm_cell_forward(z, c_prev, activation, recurrent_activation):
    """One LSTM update from the gate pre-activations ``z`` (``(..., 4u)``, gates i, f, c, o) and the previous cell
    state: returns ``(h, c, state)``; ``state`` is what :func:`lstm_cell_backward` needs."""
    u = c_prev.shape[-1]
    i = _act(z[..., :u], recurrent_activation)
    f = _act(z[..., u:2 * u], recurrent_activation)
    g = _act(z[..., 2 * u:3 * u], activation)
    o = _act(z[..., 3 * u:], recurrent_activation)
    c = f * c_prev + i * g
    a = _act(c, activation)
    return o * a, c, (z, c_prev, i, f, g, o, c, a)


def lstm_cell_backward(dh, dc, state, activation, recurrent_activation):
    """Gradients of one LSTM update: ``(dz, dc_prev)`` from the gradients of its ``h`` and ``c`` outputs."""
    z, c_prev, i, f, g, o, c, a = state
    u = c_prev.shape[-1]
    dc = dc + _act_back(c, a, dh * o, activation)
    dz = np.concatenate([
        _act_back(z[..., :u], i, dc * g, recurrent_activation),
        _act_back(z[..., u:2 * u], f, dc * c_prev, recurrent_activation),
        _act_back(z[..., 2 * u:3 * u], g, dc * i, activation),
        _act_back(z[..., 3 * u:], o, dh * a, recurrent_activation),
    ], axis=-1)
    return dz, dc * f


def lstm_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, go_backwards,
                 return_sequences):
    """Keras's LSTM over a whole sequence: ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias``."""
    xt = _time_major(x, go_backwards)
    units = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], units), x.dtype)
    c = np.zeros_like(h)
    hs, states = [h], []
    for t in range(xt.shape[0]):
        z = xt[t] @ kernel + hs[-1] @ recurrent_kernel
        if bias is not None:
            z = z + bias
        h, c, state = lstm_cell_forward(z, c, activation, recurrent_activation)
        hs.append(h)
        states.append(state)
    cache = (xt, hs, states, bias, activation, recurrent_activation, go_backwards, return_sequences)
    return _output(hs[1:], return_sequences), cache


def lstm_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`lstm_forward`."""
    xt, hs, states, bias, activation, recurrent_activation, go_backwards, return_sequences = cache
    douts = _output_grads(dy, len(states), return_sequences)
    dh = np.zeros_like(hs[0])
    dc = np.zeros_like(hs[0])
    drec = np.zeros_like(recurrent_kernel)
    dz_all = [None] * len(states)
    for t in reversed(range(len(states))):
        dz, dc = lstm_cell_backward(dh + douts[t], dc, states[t], activation, recurrent_activation)
        drec += hs[t].T @ dz
        dh = dz @ recurrent_kernel.T
        dz_all[t] = dz
    dx, dkernel, dbias = _finish(xt, dz_all, kernel, bias, go_backwards, need_dx)
    return dx, dkernel, drec, dbias


# -- GRU ----------------------------------------------------------------------------------------------------------
def _gru_step(xz, h_prev, recurrent_kernel, bias, activation, recurrent_activation, reset_after):
    """One GRU step (gates z, r, h) from the input projection ``xz = x_t @ kernel``."""
    u = h_prev.shape[-1]
    rk = recurrent_kernel
    if bias is not None:
        xz = xz + (bias[0] if reset_after else bias)
    if reset_after:
        m = h_prev @ rk + (bias[1] if bias is not None else 0)
        az, ar = xz[:, :u] + m[:, :u], xz[:, u:2 * u] + m[:, u:2 * u]
        zg, rg = _act(az, recurrent_activation), _act(ar, recurrent_activation)
        ah = xz[:, 2 * u:] + rg * m[:, 2 * u:]
    else:
        m = h_prev @ rk[:, :2 * u]
        az, ar = xz[:, :u] + m[:, :u], xz[:, u:2 * u] + m[:, u:]
        zg, rg = _act(az, recurrent_activation), _act(ar, recurrent_activation)
        ah = xz[:, 2 * u:] + (rg * h_prev) @ rk[:, 2 * u:]
    hh = _act(ah, activation)
    h = zg * h_prev + (1 - zg) * hh
    return h, (h_prev, m, az, ar, ah, zg, rg, hh)


def gru_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, reset_after, go_backwards,
                return_sequences):
    """Keras's GRU over a whole sequence; ``h = z * h_prev + (1 - z) * hh``. ``bias`` is ``(2, 3u)`` (input and
    recurrent bias) with ``reset_after``, else ``(3u,)``."""
    xt = _time_major(x, go_backwards)
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]), x.dtype)
    hs, states = [h], []
    for t in range(xt.shape[0]):
        h, state = _gru_step(xt[t] @ kernel, h, recurrent_kernel, bias, activation, recurrent_activation,
                             reset_after)
        hs.append(h)
        states.append(state)
    cache = (xt, states, bias, activation, recurrent_activation, reset_after, go_backwards, return_sequences)
    return _output(hs[1:], return_sequences), cache


def _gru_step_back(dh, state, recurrent_kernel, activation, recurrent_activation, reset_after):
    """``(dxz, dm, dh_prev, drec)`` of one GRU step: gradients of the input projection (with the input bias),
    of the recurrent term (with the recurrent bias; reset_after only), of ``h_prev`` and of the recurrent kernel."""
    h_prev, m, az, ar, ah, zg, rg, hh = state
    u = h_prev.shape[-1]
    rk = recurrent_kernel
    dah = _act_back(ah, hh, dh * (1 - zg), activation)
    daz = _act_back(az, zg, dh * (h_prev - hh), recurrent_activation)
    dh_prev = dh * zg
    if reset_after:
        dar = _act_back(ar, rg, dah * m[:, 2 * u:], recurrent_activation)
        dm = np.concatenate([daz, dar, dah * rg], axis=1)
        dh_prev = dh_prev + dm @ rk.T
        drec = h_prev.T @ dm
    else:
        drh = dah @ rk[:, 2 * u:].T
        dar = _act_back(ar, rg, drh * h_prev, recurrent_activation)
        dm = np.concatenate([daz, dar], axis=1)
        dh_prev = dh_prev + drh * rg + dm @ rk[:, :2 * u].T
        drec = np.concatenate([h_prev.T @ dm, (rg * h_prev).T @ dah], axis=1)
    return np.concatenate([daz, dar, dah], axis=1), dm, dh_prev, drec


def gru_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`gru_forward`."""
    xt, states, bias, activation, recurrent_activation, reset_after, go_backwards, return_sequences = cache
    douts = _output_grads(dy, len(states), return_sequences)
    dh = np.zeros_like(states[0][0])
    drec = np.zeros_like(recurrent_kernel)
    dxz_all = [None] * len(states)
    dbias_rec = 0
    for t in reversed(range(len(states))):
        dxz, dm, dh, drec_t = _gru_step_back(dh + douts[t], states[t], recurrent_kernel, activation,
                                             recurrent_activation, reset_after)
        drec += drec_t
        dbias_rec = dbias_rec + dm.sum(axis=0)
        dxz_all[t] = dxz
    dx, dkernel, dbias = _finish(xt, dxz_all, kernel, bias, go_backwards, need_dx)
    if bias is not None and reset_after:
        dbias = np.stack([dbias, dbias_rec])
    return dx, dkernel, drec, dbias


# -- ConvLSTM2D ---------------------------------------------------------------------------------------------------
def conv_lstm2d_forward(x, kernel, recurrent_kernel, bias, strides, padding, dilation, activation,
                        recurrent_activation, go_backwards, return_sequences):
    """Keras's ConvLSTM2D over images ``(N, T, H, W, C)``: ``z = conv(x_t, kernel) + bias + conv(h,
    recurrent_kernel)``, the input convolution with the given strides, padding and dilation, the recurrent one
    with stride 1 and ``same``; then the LSTM cell."""
    xt = _time_major(x, go_backwards)
    xz = [conv2d_forward(np.ascontiguousarray(xt[t]), kernel, bias, strides, padding, dilation)
          for t in range(len(xt))]
    h = np.zeros(xz[0].shape[:-1] + (recurrent_kernel.shape[2],), x.dtype)
    c = np.zeros_like(h)
    hs, states = [h], []
    for t in range(len(xt)):
        z = xz[t] + conv2d_forward(h, recurrent_kernel, None, (1, 1), "same", (1, 1))
        h, c, state = lstm_cell_forward(z, c, activation, recurrent_activation)
        hs.append(h)
        states.append(state)
    cache = (xt, hs, states, bias is not None, strides, padding, dilation, activation, recurrent_activation,
             go_backwards, return_sequences)
    return _output(hs[1:], return_sequences), cache


def conv_lstm2d_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`conv_lstm2d_forward`."""
    xt, hs, states, has_bias, strides, padding, dilation, activation, recurrent_activation, go_backwards, \
        return_sequences = cache
    douts = _output_grads(dy, len(states), return_sequences)
    dh = np.zeros_like(hs[0])
    dc = np.zeros_like(hs[0])
    drec = np.zeros_like(recurrent_kernel)
    dkernel = np.zeros_like(kernel)
    dbias = 0
    dxs = [None] * len(states)
    for t in reversed(range(len(states))):
        dz, dc = lstm_cell_backward(dh + douts[t], dc, states[t], activation, recurrent_activation)
        dh, drec_t, _ = conv2d_backward(hs[t], recurrent_kernel, dz, (1, 1), "same", (1, 1), True)
        dxs[t], dkernel_t, dbias_t = conv2d_backward(np.ascontiguousarray(xt[t]), kernel, dz, strides, padding,
                                                     dilation, need_dx)
        drec += drec_t
        dkernel += dkernel_t
        dbias = dbias + dbias_t
    dx = _batch_major(np.stack(dxs), go_backwards) if need_dx else None
    return dx, dkernel, drec, dbias if has_bias else None
