"""ConvLSTM2D and the single LSTM cell step on the device (exported by :mod:`core.kernels.cuda.recurrent`).

ConvLSTM2D is an LSTM whose products are convolutions: the gate pre-activations of every pixel form rows of a
``(N·H'·W', 4·filters)`` matrix, the same layout as the dense LSTM's ``(N, 4·units)``, so the dense cell kernels
run on them unchanged. The input convolution of all steps is one im2col product (bias fused; its columns are kept for
the backward, as the device Conv2D does); each step then
gathers the columns of ``h_{t-1}`` (stride 1, ``same``) and accumulates their product with the recurrent kernel
into its slice before the cell kernel. The backward mirrors it: per step the cell-gradient kernel and the state
gradient (a product and a col2im gather); then one product over all steps for the recurrent kernel's gradient
(from the states' columns, gathered again rather than kept through the forward) and one convolution backward
for the input. Formulas: :mod:`core.kernels.reference.recurrent`.
"""

from core.kernels.cuda._cells import (_copy_kernel, _lstm_cell, _lstm_cell_back, _output, _output_grads,
                                     _reverse_time, _swap01)
from core.kernels.cuda._device import THREADS, blocks, dev, empty, zeros
from core.kernels.cuda._matmul import matmul
from core.kernels.cuda.conv import _columns, _gather, _geo, conv2d_backward_kept, conv2d_forward_keep
from core.kernels.geometry import geometry


def _rows(a):
    """A contiguous device array as ``(rows, last axis)``."""
    return a.reshape((a.size // a.shape[-1], a.shape[-1]))


def lstm_cell_forward(z, c_prev, activation, recurrent_activation):
    """One LSTM update from the gate pre-activations ``z`` (``(..., 4u)``, gates i, f, c, o) and the previous cell
    state: returns ``(h, c, state)``; ``state`` is what :func:`lstm_cell_backward` needs."""
    z, c_prev = dev(z), dev(c_prev)
    z2, c_prev2 = _rows(z), _rows(c_prev)
    c, h, a = (empty(c_prev2.shape, z.dtype) for _ in range(3))
    g = empty(z2.shape, z.dtype)
    if c.size:
        _lstm_cell[blocks(c.size), THREADS](z2, c_prev2, c, h, g, a, activation, recurrent_activation)
    shape = tuple(c_prev.shape)
    return h.reshape(shape), c.reshape(shape), (z2, c_prev2, g, c, a)


def lstm_cell_backward(dh, dc, state, activation, recurrent_activation):
    """Gradients of one LSTM update: ``(dz, dc_prev)`` from the gradients of its ``h`` and ``c`` outputs."""
    z2, c_prev2, g, c, a = state
    dh, dc = dev(dh), dev(dc)
    dh2 = _rows(dh)
    dc_prev = empty(c.shape, c.dtype)
    dz = empty(z2.shape, z2.dtype)
    if c.size:
        _copy_kernel[blocks(c.size), THREADS](dc.reshape(dc.size), dc_prev.reshape(dc_prev.size))
        _lstm_cell_back[blocks(c.size), THREADS](dh2, zeros(c.shape, c.dtype), dc_prev, z2, g, c_prev2, c, a, dz,
                                                 activation, recurrent_activation)
    return dz.reshape(tuple(dh.shape[:-1]) + (z2.shape[1],)), dc_prev.reshape(tuple(dc.shape))


def _recurrent_geo(hw, recurrent_kernel):
    """im2col geometry of the recurrent convolution (stride 1, ``same``) over states of spatial size ``hw``."""
    kh, kw = recurrent_kernel.shape[:2]
    pads, out_hw = geometry(hw, (kh, kw), (1, 1), "same", (1, 1))
    return _geo(out_hw, (1, 1), (1, 1), pads)


def conv_lstm2d_forward(x, kernel, recurrent_kernel, bias, strides, padding, dilation, activation,
                        recurrent_activation, go_backwards, return_sequences):
    """Keras's ConvLSTM2D over images ``(N, T, H, W, C)``: one input convolution for all steps, then per step the
    recurrent convolution (stride 1, ``same``) and the fused LSTM cell."""
    x, rk = dev(x), dev(recurrent_kernel)
    n, steps = x.shape[:2]
    frame = tuple(x.shape[2:])
    xt = _reverse_time(_swap01(x.reshape((n, steps, x.size // max(n * steps, 1)))), go_backwards)
    xt = xt.reshape((steps * n,) + frame)
    z, kept = conv2d_forward_keep(xt, kernel, bias, strides, padding, dilation)
    oh, ow, four = z.shape[1:]
    filters, pixels = four // 4, n * oh * ow
    z = z.reshape((steps, pixels, four))
    hs, cs = zeros((steps + 1, n, oh, ow, filters), z.dtype), zeros((steps + 1, pixels, filters), z.dtype)
    g, a = empty(z.shape, z.dtype), empty((steps, pixels, filters), z.dtype)
    geo = _recurrent_geo((oh, ow), rk)
    rk2 = rk.reshape((rk.size // four, four))
    for t in range(steps):
        matmul(_columns(hs[t], rk.shape[0], rk.shape[1], geo), rk2, out=z[t], accumulate=True)
        _lstm_cell[blocks(pixels * filters), THREADS](z[t], cs[t], cs[t + 1], _rows(hs[t + 1]), g[t], a[t],
                                                      activation, recurrent_activation)
    cache = (kept, z, g, hs, cs, a, bias is not None, strides, padding, dilation, activation, recurrent_activation,
             go_backwards, return_sequences)
    out = _output(hs.reshape((steps + 1, n, oh * ow * filters)), return_sequences)
    return out.reshape((n,) + ((steps,) if return_sequences else ()) + (oh, ow, filters)), cache


def conv_lstm2d_backward(dy, cache, kernel, recurrent_kernel, need_dx):
    """Back-propagation through time for :func:`conv_lstm2d_forward`; the input convolution's gradients are one
    call over all steps."""
    kept, z, g, hs, cs, a, has_bias, strides, padding, dilation, activation, recurrent_activation, go_backwards, \
        return_sequences = cache
    dy, rk = dev(dy), dev(recurrent_kernel)
    steps, pixels, four = z.shape
    n, oh, ow, filters = hs.shape[1:]
    flat_dy = dy.reshape((n, steps, oh * ow * filters) if return_sequences else (n, oh * ow * filters))
    douts = _output_grads(flat_dy, steps, return_sequences).reshape((steps, pixels, filters))
    dh, dc = zeros((pixels, filters), z.dtype), zeros((pixels, filters), z.dtype)
    kh, kw = rk.shape[:2]
    rk2 = rk.reshape((rk.size // four, four))
    dz = empty(z.shape, z.dtype)
    geo = _recurrent_geo((oh, ow), rk)
    for t in reversed(range(steps)):
        _lstm_cell_back[blocks(pixels * filters), THREADS](dh, douts[t], dc, z[t], g[t], cs[t], cs[t + 1], a[t],
                                                           dz[t], activation, recurrent_activation)
        if t > 0:
            dh = _rows(_gather(matmul(dz[t], rk2, tb=True), (n, oh, ow, filters), kh, kw, geo))
    # the recurrent kernel's gradient Σ_t cols(h_{t-1})ᵀ dz_t as one product over all steps
    cols = _columns(hs[:steps].reshape((steps * n, oh, ow, filters)), kh, kw, geo)
    drec = matmul(cols, dz.reshape((steps * pixels, four)), ta=True)
    dx, dkernel, dbias = conv2d_backward_kept(kept, kernel, dz.reshape((steps * n, oh, ow, four)), strides,
                                              padding, dilation, need_dx)
    if dx is not None:
        frame = tuple(dx.shape[1:])
        dxt = _reverse_time(dx.reshape((steps, n, dx.size // max(steps * n, 1))), go_backwards)
        dx = _swap01(dxt).reshape((n, steps) + frame)
    return dx, dkernel, drec.reshape(tuple(rk.shape)), dbias if has_bias else None
