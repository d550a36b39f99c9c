"""Direct stride-1 convolution for inputs with few channels (a first layer on grayscale or RGB images).

With one to three input channels, im2col + a matrix product is badly shaped: the product's inner size is only
``kh·kw·C`` and the im2col matrix is ``kh·kw`` times the input. Here each sample is copied once into a zero-padded
planar frame ``(C, Hp·Wp)``; in that frame the output pixel ``(i, j)`` sits at flat index ``m = i·Wp + j`` and
kernel tap ``(p, q)`` reads index ``m + p·dh·Wp + q·dw``. So every (tap, in, out) triple is one long contiguous
multiply-add over ``m`` (which vectorises), at the price of computing ``(kw-1)·dw`` discarded columns per row.
Rows are processed in blocks whose accumulators stay in the L1 cache. Each thread takes a contiguous slice of
the batch and keeps its own weight-gradient partial sums, added up at the end.
"""

import numba
import numpy as np
from numba import njit, prange

from core.kernels.cpu._jit import jit

# reassoc lets the weight-gradient dot products vectorise; contract allows fused multiply-adds. No assumption
# about NaN or infinities is made, so a diverging network still shows NaN.
_FAST = {"reassoc", "contract"}
_pjit = njit(parallel=True, nogil=True, cache=True, error_model="numpy", fastmath=_FAST)
_fjit = njit(nogil=True, cache=True, error_model="numpy", fastmath=_FAST)
BLOCK = 8192  # values in a row block's accumulator (32 KiB in float32): it stays in the L1 cache
MAX_CHANNELS = 3  # the direct kernels are used up to this many input channels
# Waking the second thread costs ~70 µs here: smaller convolutions (in multiply-adds) run on one thread. A LeNet
# first layer at batch 64 (7.5 M) ran 1.4 times faster on two.
PARALLEL_MIN = 2**22


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


@jit
def _rows(oh, o_n, wp):
    """Output rows per block: as many as keep ``o_n`` accumulators of ``rows·Wp`` values under BLOCK."""
    return max(1, min(oh, BLOCK // max(o_n * wp, 1)))


@jit
def _offsets(kh, kw, c, dh, dw, plane, wp):
    """Flat offset of every tap ``k = (p·kw + q)·C + ch`` (HWIO order) in the planar frame."""
    off = np.empty(kh * kw * c, np.int64)
    for p in range(kh):
        for q in range(kw):
            for ch in range(c):
                off[(p * kw + q) * c + ch] = ch * plane + p * dh * wp + q * dw
    return off


@_fjit
def _taps_into(xs, wk, o, off, base, span, a):
    """``a[m] += Σ_k wk[k, o] · xs[base + off[k] + m]``, four taps per pass over ``a`` (fewer loads)."""
    k, taps = 0, off.shape[0]
    while k + 4 <= taps:
        w0, w1, w2, w3 = wk[k, o], wk[k + 1, o], wk[k + 2, o], wk[k + 3, o]
        s0, s1 = xs[base + off[k]:base + off[k] + span], xs[base + off[k + 1]:base + off[k + 1] + span]
        s2, s3 = xs[base + off[k + 2]:base + off[k + 2] + span], xs[base + off[k + 3]:base + off[k + 3] + span]
        for m in range(span):
            a[m] += w0 * s0[m] + w1 * s1[m] + w2 * s2[m] + w3 * s3[m]
        k += 4
    for k in range(k, taps):
        wv, src = wk[k, o], xs[base + off[k]:base + off[k] + span]
        for m in range(span):
            a[m] += wv * src[m]


@_fjit
def _taps_into_pair(xs, wk, o, off, base, span, a, b):
    """:func:`_taps_into` for outputs ``o`` (into ``a``) and ``o + 1`` (into ``b``) at once: each input value
    loaded serves both (the pass took 4.4 µs instead of 5.2 µs per LeNet sample)."""
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
def _forward_sample(xs, wk, b, off, oh, ow, wp, acc, yb):
    o_n = wk.shape[1]
    rb = acc.shape[1] // wp
    for i0 in range(0, oh, rb):
        i1 = min(oh, i0 + rb)
        span = (i1 - i0 - 1) * wp + ow
        for o in range(o_n):
            acc[o, :span] = b[o]
        for o in range(0, o_n - 1, 2):
            _taps_into_pair(xs, wk, o, off, i0 * wp, span, acc[o, :span], acc[o + 1, :span])
        if o_n % 2:
            _taps_into(xs, wk, o_n - 1, off, i0 * wp, span, acc[o_n - 1, :span])
        for i in range(i1 - i0):
            dst = yb[i0 + i]
            for o in range(o_n):
                src = acc[o, i * wp:i * wp + ow]
                for j in range(ow):
                    dst[j, o] = src[j]


@_fjit
def _forward_span(x, w, b, dh, dw, pt, pl, oh, ow, y, s0, s1):
    """Samples ``s0..s1`` of the convolution, with this thread's own planar frame and accumulator."""
    c = x.shape[3]
    kh, kw, o_n = w.shape[0], w.shape[1], w.shape[3]
    hp, wp = oh + (kh - 1) * dh, ow + (kw - 1) * dw
    off = _offsets(kh, kw, c, dh, dw, hp * wp, wp)
    wk = w.reshape(kh * kw * c, o_n)
    xs = np.empty((c, hp * wp), x.dtype)
    acc = np.empty((o_n, _rows(oh, o_n, wp) * wp), x.dtype)
    for s in range(s0, s1):
        _planar(x[s], pt, pl, wp, xs)
        _forward_sample(xs.reshape(-1), wk, b, off, oh, ow, wp, acc, y[s])


@_pjit
def _forward_par(x, w, b, dh, dw, pt, pl, oh, ow, y, threads):
    n = x.shape[0]
    for t in prange(threads):
        _forward_span(x, w, b, dh, dw, pt, pl, oh, ow, y, (t * n) // threads, ((t + 1) * n) // threads)


@_fjit
def _gather_dy(dyb, i0, i1, wp, dys, db):
    """Row block ``[i0, i1)`` of ``dyb`` ``(OH, OW, O)`` into the planar frame ``dys`` (zeros past OW); adds
    its sums to ``db``."""
    ow, o_n = dyb.shape[1], dyb.shape[2]
    for i in range(i1 - i0):
        row = dyb[i0 + i]
        for o in range(o_n):
            dst = dys[o, i * wp:(i + 1) * wp]
            for j in range(ow):
                dst[j] = row[j, o]
            dst[ow:] = 0.0
    for o in range(o_n):
        db[o] += dys[o, :(i1 - i0) * wp].sum()


@_fjit
def _weight_dots(src, dys, span, dwk):
    """``dwk[o] += Σ_m src[m] · dys[o, m]`` for every output ``o``, four outputs per pass over ``src``."""
    o, o_n = 0, dys.shape[0]
    zero = src.dtype.type(0)
    while o + 4 <= o_n:
        g0, g1, g2, g3 = dys[o, :span], dys[o + 1, :span], dys[o + 2, :span], dys[o + 3, :span]
        t0, t1, t2, t3 = zero, zero, zero, zero
        for m in range(span):
            s = src[m]
            t0 += s * g0[m]
            t1 += s * g1[m]
            t2 += s * g2[m]
            t3 += s * g3[m]
        dwk[o] += t0
        dwk[o + 1] += t1
        dwk[o + 2] += t2
        dwk[o + 3] += t3
        o += 4
    for o in range(o, o_n):
        g0, t0 = dys[o, :span], zero
        for m in range(span):
            t0 += src[m] * g0[m]
        dwk[o] += t0


@_fjit
def _weight_dots_pair(sa, sb, dys, span, da, db):
    """:func:`_weight_dots` for two taps at once (inputs ``sa``, ``sb``; sums into ``da``, ``db``): each output
    gradient loaded serves both (4.2 µs instead of 4.9 µs per LeNet sample)."""
    o, o_n = 0, dys.shape[0]
    zero = sa.dtype.type(0)
    while o + 4 <= o_n:
        g0, g1, g2, g3 = dys[o, :span], dys[o + 1, :span], dys[o + 2, :span], dys[o + 3, :span]
        a0, a1, a2, a3 = zero, zero, zero, zero
        b0, b1, b2, b3 = zero, zero, zero, zero
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
        da[o] += a0
        da[o + 1] += a1
        da[o + 2] += a2
        da[o + 3] += a3
        db[o] += b0
        db[o + 1] += b1
        db[o + 2] += b2
        db[o + 3] += b3
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
def _backward_sample(xs, wk, dyb, off, wp, need_dx, dys, dxs, dwk, dbt):
    oh, ow = dyb.shape[0], dyb.shape[1]
    rb = dys.shape[1] // wp
    for i0 in range(0, oh, rb):
        i1 = min(oh, i0 + rb)
        span = (i1 - i0 - 1) * wp + ow
        _gather_dy(dyb, i0, i1, wp, dys, dbt)
        base, taps = i0 * wp, off.shape[0]
        for k in range(0, taps - 1, 2):
            at, bt = base + off[k], base + off[k + 1]
            _weight_dots_pair(xs[at:at + span], xs[bt:bt + span], dys, span, dwk[k], dwk[k + 1])
        if taps % 2:
            at = base + off[taps - 1]
            _weight_dots(xs[at:at + span], dys, span, dwk[taps - 1])
        if need_dx:
            for k in range(taps):
                at = base + off[k]
                _input_taps(wk, dys, span, k, dxs[at:at + span])


@jit
def _crop(dxs, pt, pl, wp, dxb):
    h, w, c = dxb.shape
    for r in range(h):
        base = (r + pt) * wp + pl
        for col in range(w):
            for ch in range(c):
                dxb[r, col, ch] = dxs[ch, base + col]


@_fjit
def _backward_span(x, w, dy, dh, dw, pt, pl, need_dx, dx, dwt, dbt, s0, s1):
    """Samples ``s0..s1`` of the gradients: ``dx`` written, ``dwt`` ``(kh·kw·C, out)`` and ``dbt`` set to their
    weight and bias gradient sums."""
    c = x.shape[3]
    kh, kw, o_n = w.shape[0], w.shape[1], w.shape[3]
    oh, ow = dy.shape[1], dy.shape[2]
    hp, wp = oh + (kh - 1) * dh, ow + (kw - 1) * dw
    off = _offsets(kh, kw, c, dh, dw, hp * wp, wp)
    wk = w.reshape(kh * kw * c, o_n)
    xs = np.empty((c, hp * wp), x.dtype)
    dxs = np.empty((c, hp * wp), x.dtype)
    dys = np.empty((o_n, _rows(oh, o_n, wp) * wp), x.dtype)
    dwt[:] = 0.0
    dbt[:] = 0.0
    for s in range(s0, s1):
        _planar(x[s], pt, pl, wp, xs)
        if need_dx:
            dxs[:] = 0.0
        _backward_sample(xs.reshape(-1), wk, dy[s], off, wp, need_dx, dys, dxs.reshape(-1), dwt, dbt)
        if need_dx:
            _crop(dxs, pt, pl, wp, dx[s])


@_pjit
def _backward_par(x, w, dy, dh, dw, pt, pl, need_dx, dx, dwp, dbp):
    n, threads = x.shape[0], dwp.shape[0]
    for t in prange(threads):
        _backward_span(x, w, dy, dh, dw, pt, pl, need_dx, dx, dwp[t], dbp[t], (t * n) // threads,
                       ((t + 1) * n) // threads)


def _threads(x, w, out_hw):
    """Threads worth waking for a convolution: one below ``PARALLEL_MIN`` multiply-adds."""
    work = x.shape[0] * out_hw[0] * out_hw[1] * w.size
    return 1 if work < PARALLEL_MIN else max(1, min(x.shape[0], numba.get_num_threads()))


def forward(x, w, b, pads, out_hw, dilation, y):
    """Write the convolution of ``x`` (N, H, W, C) with the HWIO kernel ``w`` (plus ``b`` or nothing) into
    ``y`` (N, OH, OW, out); stride 1, ``pads`` and ``out_hw`` from :func:`core.kernels.reference.conv._geometry`."""
    bias = np.zeros(w.shape[3], x.dtype) if b is None else np.ascontiguousarray(b, x.dtype)
    args = (np.ascontiguousarray(x), np.ascontiguousarray(w), bias, dilation[0], dilation[1], pads[0][0],
            pads[1][0], out_hw[0], out_hw[1], y)
    threads = _threads(x, w, out_hw)
    if threads == 1:
        _forward_span(*args, 0, x.shape[0])
    else:
        _forward_par(*args, threads)
    return y


def backward(x, w, dy, pads, dilation, dx):
    """``(dw, db)`` of :func:`forward`, and its input gradient written into ``dx`` unless ``dx`` is None."""
    threads = _threads(x, w, dy.shape[1:3])
    dwp = np.empty((threads, w.shape[0] * w.shape[1] * w.shape[2], w.shape[3]), x.dtype)
    dbp = np.empty((threads, w.shape[3]), x.dtype)
    need_dx = dx is not None
    args = (np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(dy), dilation[0], dilation[1],
            pads[0][0], pads[1][0], need_dx, dx if need_dx else np.empty((0, 1, 1, 1), x.dtype))
    if threads == 1:
        _backward_span(*args, dwp[0], dbp[0], 0, x.shape[0])
    else:
        _backward_par(*args, dwp, dbp)
    return dwp.sum(axis=0).reshape(w.shape), dbp.sum(axis=0)
