"""Device kernels shared by the recurrent layers (:mod:`core.kernels.cuda.recurrent`) and ConvLSTM2D
(:mod:`core.kernels.cuda._conv_lstm`): time-major layout, output selection and the fused LSTM cell.

Formulas and gate order (i, f, c, o): Keras's, as in the reference backend.
"""

from numba import cuda

from core.kernels.cuda._device import THREADS, blocks, dev, empty, zeros
from core.kernels.cuda._formulas import act, dact


@cuda.jit
def _transpose01(src, dst):
    """``dst[a, b] = src[b, a]`` (batch-major ↔ time-major)."""
    b_all, f = dst.shape[1], dst.shape[2]
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        a, b, k = i // (b_all * f), (i // f) % b_all, i % f
        dst[a, b, k] = src[b, a, k]


def _swap01(src):
    """``(A, B, F)`` → ``(B, A, F)``."""
    dst = empty((src.shape[1], src.shape[0], src.shape[2]), src.dtype)
    if dst.size:
        _transpose01[blocks(dst.size), THREADS](src, dst)
    return dst


@cuda.jit
def _flip0(src, dst):
    t_all, n, f = src.shape
    for i in range(cuda.grid(1), src.size, cuda.gridsize(1)):
        t, r, k = i // (n * f), (i // f) % n, i % f
        dst[t_all - 1 - t, r, k] = src[t, r, k]


def _reverse_time(xt, reverse):
    if not reverse or not xt.size:
        return xt
    out = empty(xt.shape, xt.dtype)
    _flip0[blocks(xt.size), THREADS](xt, out)
    return out


def _output(hs, return_sequences):
    """Batch-major output from the time-major states ``hs`` (T+1, N, U) (processing order kept)."""
    return _swap01(hs[1:]) if return_sequences else _copy(hs[hs.shape[0] - 1])


@cuda.jit
def _copy_kernel(src, dst):
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        dst[i] = src[i]


def _copy(a):
    out = empty(a.shape, a.dtype)
    if a.size:
        _copy_kernel[blocks(a.size), THREADS](a.reshape(a.size), out.reshape(out.size))
    return out


def _output_grads(dy, steps, return_sequences):
    """The gradient reaching each step's ``h`` from the output, time-major ``(T, N, U)`` (zeros but the last
    step without ``return_sequences``)."""
    dy = dev(dy)
    if return_sequences:
        return _swap01(dy)
    grads = zeros((steps,) + tuple(dy.shape), dy.dtype)
    if dy.size:
        _copy_kernel[blocks(dy.size), THREADS](dy.reshape(dy.size), grads[steps - 1].reshape(dy.size))
    return grads


@cuda.jit
def _lstm_cell(z, c_prev, c, h, g, a, code, rec):
    """Gates i, f, c, o from ``z`` (N, 4U): ``c = f·c_prev + i·g``, ``h = o·act(c)``; ``g`` keeps the gates."""
    n, units = c.shape
    for k in range(cuda.grid(1), n * units, cuda.gridsize(1)):
        r, j = k // units, k % units
        gi = act(z[r, j], rec)
        gf = act(z[r, units + j], rec)
        gc = act(z[r, 2 * units + j], code)
        go = act(z[r, 3 * units + j], rec)
        cv = gf * c_prev[r, j] + gi * gc
        av = act(cv, code)
        g[r, j], g[r, units + j], g[r, 2 * units + j], g[r, 3 * units + j] = gi, gf, gc, go
        c[r, j] = cv
        a[r, j] = av
        h[r, j] = go * av


@cuda.jit
def _lstm_cell_back(dh, dout, dc, z, g, c_prev, c, a, dz, code, rec):
    """Gate gradients into ``dz`` (N, 4U); ``dc`` becomes the gradient of ``c_prev``."""
    n, units = dc.shape
    for k in range(cuda.grid(1), n * units, cuda.gridsize(1)):
        r, j = k // units, k % units
        gi, gf, gc, go = g[r, j], g[r, units + j], g[r, 2 * units + j], g[r, 3 * units + j]
        dht = dh[r, j] + dout[r, j]
        dct = dc[r, j] + dht * go * dact(c[r, j], a[r, j], code)
        dz[r, j] = dct * gc * dact(z[r, j], gi, rec)
        dz[r, units + j] = dct * c_prev[r, j] * dact(z[r, units + j], gf, rec)
        dz[r, 2 * units + j] = dct * gi * dact(z[r, 2 * units + j], gc, code)
        dz[r, 3 * units + j] = dht * a[r, j] * dact(z[r, 3 * units + j], go, rec)
        dc[r, j] = dct * gf
