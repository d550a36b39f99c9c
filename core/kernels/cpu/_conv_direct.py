"""Direct stride-1 convolution for inputs with few channels (a first layer on grayscale or RGB images).

With one to three input channels, im2col + a matrix product is badly shaped: the product's inner size is only
``kh·kw·C`` and the im2col matrix is ``kh·kw`` times the input. Here each sample is copied once into a zero-padded
planar frame ``(C, Hp·Wp)``; in that frame the output pixel ``(i, j)`` sits at flat index ``m = i·Wp + j`` and
kernel tap ``(p, q)`` reads index ``m + p·dh·Wp + q·dw``. So every (tap, in, out) triple is one long contiguous
multiply-add over ``m`` (which vectorises), at the price of computing ``(kw-1)·dw`` discarded columns per row.
Rows are processed in blocks whose accumulators stay in the L1 cache. Large batches are cut into slices shared
out to threads (:mod:`core.kernels.cpu._conv_threads`); each slice keeps its own weight-gradient partial sums,
added up at the end.
"""

import functools

import numpy as np
from numba import njit

from core.kernels.cpu import _conv_threads as _threads
from core.kernels.cpu._jit import jit

# reassoc lets the weight-gradient dot products vectorise; contract allows fused multiply-adds. No assumption
# about NaN or infinities is made, so a diverging network still shows NaN.
_FAST = {"reassoc", "contract"}
_fjit = njit(nogil=True, cache=True, error_model="numpy", fastmath=_FAST)
BLOCK = 8192  # values in a row block's accumulator (32 KiB in float32): it stays in the L1 cache
MAX_CHANNELS = 3  # the direct kernels are used up to this many input channels
# Smaller convolutions (in multiply-adds) run on the calling thread. A LeNet first layer at batch 64 was faster on
# two threads while the other core was free, but slower in a whole training step while other programs kept that
# core busy; from 16.7 M (batch 143 there) slices are shared out (figures: tests/benchmarks/NOTES.md).
PARALLEL_MIN = 2**24


def usable(channels, strides):
    """Whether the direct kernels handle a convolution: stride 1 and at most :data:`MAX_CHANNELS` inputs."""
    return channels <= MAX_CHANNELS and tuple(strides) == (1, 1)


@jit
def _planar(xb, pt, pl, wp, xs):
    """Copy one sample ``(H, W, C)`` into the zero-padded planar frame ``xs`` ``(C, Hp·Wp)``."""
    h, w, c = xb.shape
    xs[:] = 0.0
    for ch in range(c):
        for r in range(h):
            base = (r + pt) * wp + pl
            for col in range(w):
                xs[ch, base + col] = xb[r, col, ch]


@_fjit
def _taps(xs, wk, o, off, base, span, a, b):
    """``a[m] += Σ_k wk[k, o] · xs[base + off[k] + m]`` and the same for output ``o + 1`` into ``b``: four taps
    and two outputs per pass, so that each value loaded serves several multiply-adds (faster than one output per
    pass on a LeNet sample)."""
    k, taps = 0, off.shape[0]
    while k + 4 <= taps:
        s0, s1 = xs[base + off[k]:base + off[k] + span], xs[base + off[k + 1]:base + off[k + 1] + span]
        s2, s3 = xs[base + off[k + 2]:base + off[k + 2] + span], xs[base + off[k + 3]:base + off[k + 3] + span]
        u0, u1, u2, u3 = wk[k, o], wk[k + 1, o], wk[k + 2, o], wk[k + 3, o]
        v0, v1, v2, v3 = wk[k, o + 1], wk[k + 1, o + 1], wk[k + 2, o + 1], wk[k + 3, o + 1]
        for m in range(span):
            x0, x1, x2, x3 = s0[m], s1[m], s2[m], s3[m]
            a[m] += u0 * x0 + u1 * x1 + u2 * x2 + u3 * x3
            b[m] += v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
        k += 4
    for k in range(k, taps):
        src, u0, v0 = xs[base + off[k]:base + off[k] + span], wk[k, o], wk[k, o + 1]
        for m in range(span):
            a[m] += u0 * src[m]
            b[m] += v0 * src[m]


@_fjit
def _forward_span(x, wk, b, off, pt, pl, hp, wp, rb, y, s0, s1):
    """Samples ``s0..s1`` of the convolution into ``y``; ``wk`` has an even number of output columns (a zero one
    added when needed), each pair accumulated together."""
    oh, ow, o_n = y.shape[1], y.shape[2], y.shape[3]
    xs = np.empty((x.shape[3], hp * wp), x.dtype)
    acc = np.zeros((wk.shape[1], rb * wp), x.dtype)
    flat = xs.reshape(-1)
    for s in range(s0, s1):
        _planar(x[s], pt, pl, wp, xs)
        for i0 in range(0, oh, rb):
            rows = min(oh - i0, rb)
            span = (rows - 1) * wp + ow
            for o in range(o_n):
                acc[o, :span] = b[o]
            for o in range(0, wk.shape[1], 2):
                _taps(flat, wk, o, off, i0 * wp, span, acc[o, :span], acc[o + 1, :span])
            for i in range(rows):
                dst = y[s, i0 + i]
                for o in range(o_n):
                    src = acc[o, i * wp:i * wp + ow]
                    for j in range(ow):
                        dst[j, o] = src[j]


@_fjit
def _gather_dy(dyb, i0, rows, wp, dys, db):
    """Rows ``i0..i0+rows`` of ``dyb`` ``(OH, OW, O)`` into the planar frame ``dys`` (zeros past OW); adds their
    sums to ``db``."""
    ow, o_n = dyb.shape[1], dyb.shape[2]
    for i in range(rows):
        row = dyb[i0 + i]
        for o in range(o_n):
            dst = dys[o, i * wp:(i + 1) * wp]
            for j in range(ow):
                dst[j] = row[j, o]
            dst[ow:] = 0.0
    for o in range(o_n):
        db[o] += dys[o, :rows * wp].sum()


@_fjit
def _weight_dots(sa, sb, dys, span, da, db):
    """``da[o] += Σ_m sa[m] · dys[o, m]`` and the same for ``sb`` into ``db``, for every output ``o``: two taps
    and four outputs per pass (faster than one tap at a time on a LeNet sample's weight gradient)."""
    o, o_n = 0, dys.shape[0]
    zero = sa.dtype.type(0)
    while o + 4 <= o_n:
        g0, g1, g2, g3 = dys[o, :span], dys[o + 1, :span], dys[o + 2, :span], dys[o + 3, :span]
        a0, a1, a2, a3, b0, b1, b2, b3 = zero, zero, zero, zero, zero, zero, zero, zero
        for m in range(span):
            u, v = sa[m], sb[m]
            h0, h1, h2, h3 = g0[m], g1[m], g2[m], g3[m]
            a0 += u * h0
            a1 += u * h1
            a2 += u * h2
            a3 += u * h3
            b0 += v * h0
            b1 += v * h1
            b2 += v * h2
            b3 += v * h3
        da[o], da[o + 1], da[o + 2], da[o + 3] = da[o] + a0, da[o + 1] + a1, da[o + 2] + a2, da[o + 3] + a3
        db[o], db[o + 1], db[o + 2], db[o + 3] = db[o] + b0, db[o + 1] + b1, db[o + 2] + b2, db[o + 3] + b3
        o += 4
    for o in range(o, o_n):
        g0, a0, b0 = dys[o, :span], zero, zero
        for m in range(span):
            a0 += sa[m] * g0[m]
            b0 += sb[m] * g0[m]
        da[o] += a0
        db[o] += b0


@_fjit
def _input_taps(wk, dys, span, k, dst):
    """``dst[m] += Σ_o wk[k, o] · dys[o, m]``: tap ``k``'s share of the input gradient, four outputs a pass."""
    o, o_n = 0, dys.shape[0]
    while o + 4 <= o_n:
        w0, w1, w2, w3 = wk[k, o], wk[k, o + 1], wk[k, o + 2], wk[k, o + 3]
        g0, g1, g2, g3 = dys[o, :span], dys[o + 1, :span], dys[o + 2, :span], dys[o + 3, :span]
        for m in range(span):
            dst[m] += w0 * g0[m] + w1 * g1[m] + w2 * g2[m] + w3 * g3[m]
        o += 4
    for o in range(o, o_n):
        w0, g0 = wk[k, o], dys[o, :span]
        for m in range(span):
            dst[m] += w0 * g0[m]


@_fjit
def _backward_span(x, wk, dy, off, pt, pl, hp, wp, rb, dx, dwt, dbt, s0, s1):
    """Samples ``s0..s1`` of the gradients: ``dx`` written (unless it is empty), ``dwt`` ``(kh·kw·C + 1, out)``
    and ``dbt`` set to the sums of the weight and bias gradients (``dwt``'s last row takes an odd tap's pair)."""
    h, w, c = x.shape[1], x.shape[2], x.shape[3]
    oh, ow, o_n = dy.shape[1], dy.shape[2], dy.shape[3]
    taps, need_dx = off.shape[0], dx.shape[0] > 0
    xs, dxs = np.empty((c, hp * wp), x.dtype), np.empty((c, hp * wp), x.dtype)
    dys = np.empty((o_n, rb * wp), x.dtype)
    flat, dflat = xs.reshape(-1), dxs.reshape(-1)
    dwt[:] = 0.0
    dbt[:] = 0.0
    for s in range(s0, s1):
        _planar(x[s], pt, pl, wp, xs)
        dxs[:] = 0.0
        for i0 in range(0, oh, rb):
            rows = min(oh - i0, rb)
            span, base = (rows - 1) * wp + ow, i0 * wp
            _gather_dy(dy[s], i0, rows, wp, dys, dbt)
            for k in range(0, taps, 2):
                at, bt = base + off[k], base + off[min(k + 1, taps - 1)]
                _weight_dots(flat[at:at + span], flat[bt:bt + span], dys, span, dwt[k], dwt[k + 1])
            for k in range(taps if need_dx else 0):
                _input_taps(wk, dys, span, k, dflat[base + off[k]:base + off[k] + span])
        for r in range(h if need_dx else 0):
            for col in range(w):
                for ch in range(c):
                    dx[s, r, col, ch] = dxs[ch, (r + pt) * wp + pl + col]


def _pieces(x, w, out_hw):
    """Slices of the batch to share out to threads: one (this thread) below ``PARALLEL_MIN`` multiply-adds."""
    work = x.shape[0] * out_hw[0] * out_hw[1] * w.size
    return 1 if work < PARALLEL_MIN else _threads.pieces(x.shape[0])


@functools.lru_cache(maxsize=64)
def _frame(w_shape, out_hw, dilation):
    """``(offsets, Hp, Wp, rows per block)``: the tap offsets ``(p·dh·Wp + q·dw + ch·Hp·Wp)`` in HWIO order, the
    padded frame, and how many output rows keep the accumulators under BLOCK values (cached: building it costs
    more than a small convolution)."""
    kh, kw, c, o_n = w_shape
    hp, wp = out_hw[0] + (kh - 1) * dilation[0], out_hw[1] + (kw - 1) * dilation[1]
    p, q, ch = np.meshgrid(np.arange(kh), np.arange(kw), np.arange(c), indexing="ij")
    off = (p * dilation[0] * wp + q * dilation[1] + ch * hp * wp).reshape(-1).astype(np.int64)
    off.flags.writeable = False
    return off, hp, wp, max(1, min(out_hw[0], BLOCK // max((o_n + 1) * wp, 1)))


def forward(x, w, b, pads, out_hw, dilation, y):
    """Write the convolution of ``x`` (N, H, W, C) with the HWIO kernel ``w`` (plus ``b`` or nothing) into
    ``y`` (N, OH, OW, out); stride 1, ``pads`` and ``out_hw`` from :func:`core.kernels.geometry.geometry`."""
    o_n = w.shape[3]
    wk = np.zeros((w.shape[0] * w.shape[1] * w.shape[2], o_n + o_n % 2), x.dtype)
    wk[:, :o_n] = w.reshape(-1, o_n)
    bias = np.zeros(o_n, x.dtype) if b is None else np.ascontiguousarray(b, x.dtype)
    off, hp, wp, rb = _frame(w.shape, tuple(out_hw), tuple(dilation))
    args = (np.ascontiguousarray(x), wk, bias, off, pads[0][0], pads[1][0], hp, wp, rb, y)
    _threads.each(lambda span: _forward_span(*args, *span), _threads.spans(x.shape[0], _pieces(x, w, out_hw)))
    return y


def backward(x, w, dy, pads, dilation, dx):
    """``(dw, db)`` of :func:`forward`, and its input gradient written into ``dx`` unless ``dx`` is None."""
    spans = _threads.spans(x.shape[0], _pieces(x, w, dy.shape[1:3]))
    taps = w.shape[0] * w.shape[1] * w.shape[2]
    dwp = np.empty((len(spans), taps + 1, w.shape[3]), x.dtype)
    dbp = np.empty((len(spans), w.shape[3]), x.dtype)
    off, hp, wp, rb = _frame(w.shape, dy.shape[1:3], tuple(dilation))
    args = (np.ascontiguousarray(x), np.ascontiguousarray(w.reshape(taps, w.shape[3]), x.dtype),
            np.ascontiguousarray(dy), off, pads[0][0], pads[1][0], hp, wp, rb,
            np.empty((0, 1, 1, 1), x.dtype) if dx is None else dx)
    _threads.each(lambda i: _backward_span(*args, dwp[i], dbp[i], *spans[i]), range(len(spans)))
    return dwp[:, :taps].sum(axis=0).reshape(w.shape), dbp.sum(axis=0)
