"""Recurrent cells (SimpleRNN, GRU, LSTM, ConvLSTM2D) with back-propagation through time: BLAS products, fused
numba steps.

Layout: the sequence is made time-major ``(T, N, F)`` once, so that every step's slice is contiguous. The input
projection of all steps is ONE matrix product ``(T·N, F) @ kernel`` (bias added there); each step then makes one
BLAS product with the recurrent kernel and one numba pass that applies the gate nonlinearities and updates the
state (see :mod:`core.kernels.cpu._rnn_cells`). Backward mirrors it: one numba pass and one product per step,
then the kernel, recurrent-kernel and input gradients as single products over all steps. LSTM goes one step
further (one product per step on ``[x_t, h_{t-1}]``, pooled work arrays): see :mod:`core.kernels.cpu._lstm`.
Signatures follow :mod:`core.kernels.reference.recurrent`; the caches are this backend's own.
"""

import numpy as np

from core.kernels.cpu import _gru_cells as gc
from core.kernels.cpu import _lstm
from core.kernels.cpu import _rnn_cells as rc
from core.kernels.cpu.conv import conv2d_backward, conv2d_forward
from core.kernels.formulas import SIGMOID, TANH


def _standard(activation, recurrent_activation=SIGMOID):
    return activation == TANH and recurrent_activation == SIGMOID


def _fast(dtype, activation, recurrent_activation=SIGMOID):
    """Whether the vectorised float32 tanh / sigmoid forward applies."""
    return dtype == np.float32 and _standard(activation, recurrent_activation)


def _time_major(x, go_backwards):
    xt = np.swapaxes(x, 0, 1)
    return np.ascontiguousarray(xt[::-1] if go_backwards else xt)


def _batch_major(at, go_backwards):
    return np.ascontiguousarray(np.swapaxes(at[::-1] if go_backwards else at, 0, 1))


def _project(xt, kernel, bias):
    """The input projection of every step at once: ``(T, N, F) @ kernel + bias`` → ``(T, N, k)``."""
    steps, n, f = xt.shape
    z = xt.reshape(steps * n, f) @ kernel
    if bias is not None:
        z += bias
    return z.reshape(steps, n, kernel.shape[1])


def _output(hs, return_sequences):
    """``hs`` is ``(T + 1, N, u)`` with the zero initial state first."""
    return _batch_major(hs[1:], False) if return_sequences else hs[-1].copy()


class _StepGrads:
    """The gradient reaching each step's ``h`` from the layer output (zeros for steps that are not returned)."""

    def __init__(self, dy, steps, return_sequences):
        self.seq = np.ascontiguousarray(np.swapaxes(dy, 0, 1)) if return_sequences else None
        self.dy, self.last = dy, steps - 1
        self.zero = None if return_sequences else np.zeros_like(dy)

    def __getitem__(self, t):
        if self.seq is not None:
            return self.seq[t]
        return np.ascontiguousarray(self.dy) if t == self.last else self.zero


def _input_grads(xt, dz, kernel, go_backwards, need_dx):
    """``(dx or None, dkernel, dbias)`` from the pre-activation gradients ``dz`` ``(T, N, k)`` of all steps."""
    steps, n, f = xt.shape
    dz2 = dz.reshape(steps * n, dz.shape[2])
    dx = _batch_major((dz2 @ kernel.T).reshape(steps, n, f), go_backwards) if need_dx else None
    return dx, xt.reshape(steps * n, f).T @ dz2, rc.col_sum(dz2)


def _recurrent_grad(hs, dz):
    """``Σ_t h_{t-1}ᵀ @ dz_t`` as one product."""
    steps, n, k = dz.shape
    return hs[:steps].reshape(steps * n, -1).T @ dz.reshape(steps * n, k)


# -- SimpleRNN ----------------------------------------------------------------------------------------------------
def simple_rnn_forward(x, kernel, recurrent_kernel, bias, activation, go_backwards, return_sequences):
    """``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``, ``h_0 = 0``."""
    xt = _time_major(x, go_backwards)
    z = _project(xt, kernel, bias)
    steps, n, u = z.shape
    hs = np.zeros((steps + 1, n, u), x.dtype)
    rz = np.empty((n, u), x.dtype)
    fast = _fast(x.dtype, activation)
    for t in range(steps):
        np.matmul(hs[t], recurrent_kernel, out=rz)
        if fast:
            rc.rnn_step_tanh32(z[t], rz, hs[t + 1])
        else:
            rc.rnn_step(z[t], rz, hs[t + 1], activation)
    cache = (xt, z, hs, bias is not None, activation, go_backwards, return_sequences)
    return _output(hs, return_sequences), cache


def simple_rnn_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`simple_rnn_forward`."""
    xt, z, hs, has_bias, activation, go_backwards, return_sequences = cache
    steps, n, u = z.shape
    douts = _StepGrads(dy, steps, return_sequences)
    dz = np.empty_like(z)
    dh = np.zeros((n, u), z.dtype)
    rt = np.ascontiguousarray(recurrent_kernel.T)  # BLAS runs faster on a copy than on the transposed view
    for t in range(steps - 1, -1, -1):
        if activation == TANH:
            rc.rnn_back_tanh(dh, douts[t], hs[t + 1], dz[t])
        else:
            rc.rnn_back(dh, douts[t], z[t], hs[t + 1], dz[t], activation)
        np.matmul(dz[t], rt, out=dh)
    dx, dkernel, dbias = _input_grads(xt, dz, kernel, go_backwards, need_dx)
    return dx, dkernel, _recurrent_grad(hs, dz), dbias if has_bias else None


# -- LSTM ---------------------------------------------------------------------------------------------------------
def _rows(a):
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def lstm_cell_forward(z, c_prev, activation, recurrent_activation):
    """One LSTM update from the gate pre-activations ``z`` (``(..., 4u)``, gates i, f, c, o) and the previous cell
    state: returns ``(h, c, state)``; ``state`` is what :func:`lstm_cell_backward` needs."""
    z2, c_prev2 = _rows(z).copy(), _rows(c_prev)
    c, h, a = (np.empty_like(c_prev2) for _ in range(3))
    g = np.empty_like(z2)
    zero = np.zeros_like(z2)
    if _fast(z2.dtype, activation, recurrent_activation):
        rc.lstm_step32(z2, zero, c_prev2, c, h, g, a)
    else:
        rc.lstm_step(z2, zero, c_prev2, c, h, g, a, activation, recurrent_activation)
    return h.reshape(c_prev.shape), c.reshape(c_prev.shape), (z2, c_prev2, g, c, a)


def lstm_cell_backward(dh, dc, state, activation, recurrent_activation):
    """Gradients of one LSTM update: ``(dz, dc_prev)`` from the gradients of its ``h`` and ``c`` outputs."""
    z2, c_prev2, g, c, a = state
    dc_prev = _rows(dc).copy()
    dz = np.empty_like(z2)
    dh2 = _rows(dh)
    zero = np.zeros_like(dh2)
    if _standard(activation, recurrent_activation):
        rc.lstm_back_std(zero, dh2, g, c_prev2, a, dc_prev, dz)
    else:
        rc.lstm_back(zero, dh2, z2, g, c_prev2, c, a, dc_prev, dz, activation, recurrent_activation)
    return dz.reshape(dh.shape[:-1] + (z2.shape[1],)), dc_prev.reshape(dc.shape)


def lstm_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, go_backwards,
                 return_sequences):
    """Keras's LSTM over a whole sequence: ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` (one product
    per step on ``[x_t, h_{t-1}]``, see :mod:`core.kernels.cpu._lstm`)."""
    return _lstm.forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, go_backwards,
                         return_sequences)


def lstm_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`lstm_forward`."""
    return _lstm.backward(dy, cache, kernel, recurrent_kernel, need_dx)


# -- GRU ----------------------------------------------------------------------------------------------------------
def gru_forward(x, kernel, recurrent_kernel, bias, activation, recurrent_activation, reset_after, go_backwards,
                return_sequences):
    """Keras's GRU over a whole sequence; ``h = z * h_prev + (1 - z) * hh``. ``bias`` is ``(2, 3u)`` (input and
    recurrent bias) with ``reset_after``, else ``(3u,)``."""
    xt = _time_major(x, go_backwards)
    xz = _project(xt, kernel, None if bias is None else (bias[0] if reset_after else bias))
    steps, n, u3 = xz.shape
    u = u3 // 3
    brec = bias[1] if bias is not None and reset_after else np.zeros(u3, x.dtype)
    rk = recurrent_kernel if reset_after else np.ascontiguousarray(recurrent_kernel[:, :2 * u])
    rk_h = np.ascontiguousarray(recurrent_kernel[:, 2 * u:])
    hs = np.zeros((steps + 1, n, u), x.dtype)
    pre, g = np.empty_like(xz), np.empty_like(xz)
    rh = np.empty((steps, n, u), x.dtype)
    m = np.empty((n, rk.shape[1]), x.dtype)
    mh = np.empty((n, u), x.dtype)
    fast = reset_after and _fast(x.dtype, activation, recurrent_activation)
    for t in range(steps):
        np.matmul(hs[t], rk, out=m)
        if fast:
            gc.gru_step32(xz[t], m, brec, hs[t], pre[t], g[t], rh[t], hs[t + 1])
            continue
        gc.gru_gates(xz[t], m, brec, hs[t], pre[t], g[t], rh[t], activation, recurrent_activation, reset_after)
        if not reset_after:
            np.matmul(rh[t], rk_h, out=mh)
        gc.gru_update(xz[t], mh, hs[t], pre[t], g[t], hs[t + 1], activation, reset_after)
    cache = (xt, pre, g, hs, rh, bias is not None, activation, recurrent_activation, reset_after, go_backwards,
             return_sequences)
    return _output(hs, return_sequences), cache


def gru_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`gru_forward`."""
    xt, pre, g, hs, rh, has_bias, activation, recurrent_activation, reset_after, go_backwards, rs = cache
    steps, n, u3 = pre.shape
    u = u3 // 3
    douts = _StepGrads(dy, steps, rs)
    dxz = np.empty_like(pre)
    dm = np.empty_like(pre) if reset_after else dxz
    carry, dh, drh = (np.zeros((n, u), pre.dtype) for _ in range(3))
    rt = np.ascontiguousarray((recurrent_kernel if reset_after else recurrent_kernel[:, :2 * u]).T)
    rt_h = np.ascontiguousarray(recurrent_kernel[:, 2 * u:].T)
    standard = reset_after and _standard(activation, recurrent_activation)
    for t in range(steps - 1, -1, -1):
        if standard:
            gc.gru_back_std(carry, dh, douts[t], g[t], hs[t], rh[t], dxz[t], dm[t])
        else:
            gc.gru_back(carry, dh, douts[t], pre[t], g[t], hs[t], rh[t], dxz[t], dm[t], activation,
                        recurrent_activation, reset_after)
        if not reset_after:
            np.matmul(dxz[t][:, 2 * u:], rt_h, out=drh)
            gc.gru_back_reset(drh, pre[t], g[t], hs[t], carry, dxz[t], recurrent_activation)
        np.matmul(dm[t][:, :rt.shape[0]], rt, out=dh)
    if reset_after:
        drec = _recurrent_grad(hs, dm)
    else:
        drec = np.concatenate([_recurrent_grad(hs, dm[:, :, :2 * u]),
                               _recurrent_grad(rh, dxz[:, :, 2 * u:])], axis=1)
    dx, dkernel, dbias = _input_grads(xt, dxz, kernel, go_backwards, need_dx)
    if reset_after:
        dbias = np.stack([dbias, rc.col_sum(dm.reshape(steps * n, u3))])
    return dx, dkernel, drec, dbias if has_bias else None


# -- ConvLSTM2D ---------------------------------------------------------------------------------------------------
def conv_lstm2d_forward(x, kernel, recurrent_kernel, bias, strides, padding, dilation, activation,
                        recurrent_activation, go_backwards, return_sequences):
    """Keras's ConvLSTM2D over images ``(N, T, H, W, C)``: one input convolution for all steps, then per step the
    recurrent convolution (stride 1, ``same``) and the fused LSTM cell."""
    n, steps = x.shape[:2]
    xt = _time_major(x, go_backwards)
    xz = conv2d_forward(xt.reshape((steps * n,) + x.shape[2:]), kernel, bias, strides, padding, dilation)
    xz = xz.reshape((steps, n) + xz.shape[1:])
    hs = np.zeros((steps + 1,) + xz.shape[1:-1] + (recurrent_kernel.shape[2],), x.dtype)
    c = np.zeros_like(hs[0])
    states = []
    for t in range(steps):
        z = xz[t] + conv2d_forward(hs[t], recurrent_kernel, None, (1, 1), "same", (1, 1))
        h, c, state = lstm_cell_forward(z, c, activation, recurrent_activation)
        hs[t + 1] = h
        states.append(state)
    cache = (xt, hs, states, bias is not None, strides, padding, dilation, activation, recurrent_activation,
             go_backwards, return_sequences)
    return _output(hs, return_sequences), cache


def conv_lstm2d_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`conv_lstm2d_forward`; the input convolution's gradients are one
    call over all steps."""
    xt, hs, states, has_bias, strides, padding, dilation, activation, recurrent_activation, go_backwards, \
        return_sequences = cache
    steps, n = xt.shape[:2]
    douts = _StepGrads(dy, steps, return_sequences)
    dh = np.zeros_like(hs[0])
    dc = np.zeros_like(hs[0])
    drec = np.zeros_like(recurrent_kernel)
    dz = None
    for t in range(steps - 1, -1, -1):
        dz_t, dc = lstm_cell_backward(dh + douts[t], dc, states[t], activation, recurrent_activation)
        if dz is None:
            dz = np.empty((steps,) + dz_t.shape, dz_t.dtype)
        dz[t] = dz_t
        dh, drec_t, _ = conv2d_backward(hs[t], recurrent_kernel, dz_t, (1, 1), "same", (1, 1), t > 0)
        drec += drec_t
    dx, dkernel, dbias = conv2d_backward(xt.reshape((steps * n,) + xt.shape[2:]), kernel,
                                         dz.reshape((steps * n,) + dz.shape[2:]), strides, padding, dilation,
                                         need_dx)
    if dx is not None:
        dx = _batch_major(dx.reshape(xt.shape), go_backwards)
    return dx, dkernel, drec, dbias if has_bias else None
