"""Convolution kernels: im2col / col2im in numba, one BLAS product each from Python.

``im2col`` lays every receptive field out as one row of ``(kh·kw·C)`` values in HWIO order, so that the HWIO
kernel reshaped to ``(kh·kw·C, out)`` turns the convolution into one matrix product whose result is already
channels-last. The input gradient is that product transposed, scattered back by ``col2im``; both copy whole
``kw·C`` runs where a window row lies inside the image. Inputs with few channels (a first layer on grayscale or
RGB images) are convolved directly at stride 1 (:mod:`core.kernels.cpu._conv_direct`: the product would have an
inner size of ``kh·kw·C`` only); with a stride they use the im2col matrix stored transposed, so that the copies
run along image rows instead of over 1–3 channel values. Padding and output sizes follow Keras, computed once
in :mod:`core.kernels.geometry`. Training keeps each layer's im2col matrix from forward to backward
(``*_keep`` / ``*_kept``), and large temporaries come from a small pool of reusable buffers (``_empty``).

``_im2col`` runs on one thread: split over two, half of its matrix landed in the other core's cache and the
product that reads it next took far longer, while the copy itself was no faster; ``col2im`` on one thread made a
LeNet training step faster too (figures: tests/benchmarks/NOTES.md). Batches
whose im2col matrix would pass ``CHUNK_BYTES`` are done in slices of ``SLICE_BYTES``, shared out to threads
(``_each_slice``): that is where two threads pay, each slice staying in its own core's cache.
"""

import math
import sys
import threading

import numpy as np
from numba import njit, prange

from core.kernels.cpu import _conv_direct as _direct
from core.kernels.cpu import _conv_threads as _threads
from core.kernels.geometry import geometry, out_length, pad_amounts, transpose_pads

_pjit = njit(parallel=True, nogil=True, cache=True, error_model="numpy")
CHUNK_BYTES = 16 * 2**20  # larger im2col matrices are built a slice of the batch at a time (and not kept)
SLICE_BYTES = 4 * 2**20  # ... in slices this large: built and multiplied while still in the cache
POOL_BYTES = 160 * 2**20  # at most this much memory is held for reuse by _empty


def _free_refcount() -> int:
    """``sys.getrefcount`` of a pooled buffer that nothing outside the pool refers to (measured, not assumed)."""
    probe = [np.empty(1)]
    for buf in probe:
        return sys.getrefcount(buf)


_FREE = _free_refcount()
_pool: dict = {}
_pool_lock = threading.Lock()
_pool_held = [0]


def _empty(shape, dtype):
    """``np.empty`` that hands back a large buffer of the same shape once nothing refers to it any more.

    Fresh large arrays are mapped from the OS page by page on first touch; in a training step that costs as
    much as a third of the work. A buffer is reused only when its reference count shows that the pool alone
    holds it, so no caller can ever see it change.
    """
    dtype = np.dtype(dtype)
    if math.prod(shape) * dtype.itemsize < 65536:
        return np.empty(shape, dtype)
    with _pool_lock:
        bufs = _pool.setdefault((tuple(shape), dtype.str), [])
        for buf in bufs:
            if sys.getrefcount(buf) == _FREE:
                return buf
        buf = np.empty(shape, dtype)
        if len(bufs) < 4 and _pool_held[0] + buf.nbytes <= POOL_BYTES:
            bufs.append(buf)
            _pool_held[0] += buf.nbytes
        return buf


@njit(nogil=True, cache=True, error_model="numpy")  # one thread: see the module docstring
def _im2col(x, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cols):
    n, h, w, c = x.shape
    run = kw * c
    for b in range(n):
        xb = x[b].reshape(h * w * c)
        for i in range(oh):
            for j in range(ow):
                dst = cols[(b * oh + i) * ow + j]
                c0 = j * sw - pl
                inside = dw == 1 and c0 >= 0 and c0 + kw - 1 < w
                for p in range(kh):
                    r = i * sh - pt + p * dh
                    seg = dst[p * run:(p + 1) * run]
                    if r < 0 or r >= h:
                        seg[:] = 0.0
                    elif inside:  # one contiguous run of kw·C values: a vectorised copy
                        src = xb[(r * w + c0) * c:(r * w + c0) * c + run]
                        for t in range(run):
                            seg[t] = src[t]
                    else:
                        for q in range(kw):
                            col = c0 + q * dw
                            for ch in range(c):
                                seg[q * c + ch] = xb[(r * w + col) * c + ch] if 0 <= col < w else 0.0


@njit(nogil=True, cache=True, error_model="numpy")  # one thread: see the module docstring
def _col2im(cols, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, dx):
    n, h, w, c = dx.shape
    run = kw * c
    for b in range(n):
        dx[b] = 0.0
        db = dx[b].reshape(h * w * c)
        for i in range(oh):
            for j in range(ow):
                src = cols[(b * oh + i) * ow + j]
                c0 = j * sw - pl
                inside = dw == 1 and c0 >= 0 and c0 + kw - 1 < w
                for p in range(kh):
                    r = i * sh - pt + p * dh
                    if r < 0 or r >= h:
                        continue
                    seg = src[p * run:(p + 1) * run]
                    if inside:
                        dst = db[(r * w + c0) * c:(r * w + c0) * c + run]
                        for t in range(run):
                            dst[t] += seg[t]
                        continue
                    for q in range(kw):
                        col = c0 + q * dw
                        if 0 <= col < w:
                            for ch in range(c):
                                db[(r * w + col) * c + ch] += seg[q * c + ch]


@njit(nogil=True, cache=True, error_model="numpy")
def _inside(ow, sw, off, w):
    """``(lo, hi)``: the output columns j whose input column ``j*sw + off`` lies in ``[0, w)``."""
    lo = 0 if off >= 0 else (-off + sw - 1) // sw
    hi = 0 if w - 1 - off < 0 else min(ow, (w - 1 - off) // sw + 1)
    return lo, max(hi, lo)


@_pjit
def _im2col_t(x, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cols):
    """im2col into a ``(kh·kw·C, N·OH·OW)`` matrix: long contiguous runs when the input has few channels."""
    n, h, w, c = x.shape
    for b in prange(n):
        for p in range(kh):
            for q in range(kw):
                off = q * dw - pl
                lo, hi = _inside(ow, sw, off, w)
                for ch in range(c):
                    k = (p * kw + q) * c + ch
                    for i in range(oh):
                        r = i * sh - pt + p * dh
                        m0 = (b * oh + i) * ow
                        if r < 0 or r >= h:
                            for j in range(ow):
                                cols[k, m0 + j] = 0.0
                            continue
                        for j in range(lo):
                            cols[k, m0 + j] = 0.0
                        for j in range(lo, hi):
                            cols[k, m0 + j] = x[b, r, j * sw + off, ch]
                        for j in range(hi, ow):
                            cols[k, m0 + j] = 0.0


@_pjit
def _col2im_t(cols, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, dx):
    n, h, w, c = dx.shape
    for b in prange(n):
        dx[b] = 0.0
        for p in range(kh):
            for q in range(kw):
                off = q * dw - pl
                lo, hi = _inside(ow, sw, off, w)
                for ch in range(c):
                    k = (p * kw + q) * c + ch
                    for i in range(oh):
                        r = i * sh - pt + p * dh
                        if 0 <= r < h:
                            m0 = (b * oh + i) * ow
                            for j in range(lo, hi):
                                dx[b, r, j * sw + off, ch] += cols[k, m0 + j]


def _few_channels(c):
    """Whether the channel-major column layout (``_im2col_t``) pays: runs along a row beat runs of C values."""
    return c < 4


def _columns(x, w_hw, strides, pads, out_hw, dilation):
    """The im2col matrix ``(N·OH·OW, kh·kw·C)`` of ``x`` (possibly a transposed view); a plain reshape for an
    unpadded 1×1 kernel."""
    if tuple(w_hw) == (1, 1) and tuple(strides) == (1, 1) and pads[0] == (0, 0) and pads[1] == (0, 0):
        return x.reshape(-1, x.shape[3])
    x = np.ascontiguousarray(x)
    rows, size = x.shape[0] * out_hw[0] * out_hw[1], w_hw[0] * w_hw[1] * x.shape[3]
    args = (w_hw[0], w_hw[1], strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0],
            out_hw[0], out_hw[1])
    if _few_channels(x.shape[3]):
        cols = _empty((size, rows), x.dtype)
        _im2col_t(x, *args, cols)
        return cols.T  # an (N·OH·OW, kh·kw·C) view: BLAS reads it transposed at no cost
    cols = _empty((rows, size), x.dtype)
    _im2col(x, *args, cols)
    return cols


def _chunks(n, out_hw, w_shape, channels, dtype):
    """One slice when the batch's im2col matrix fits in ``CHUNK_BYTES``, else slices of ``SLICE_BYTES`` (one large
    matrix made large-batch inference slower than small slices: memory traffic and page faults)."""
    per_sample = out_hw[0] * out_hw[1] * w_shape[0] * w_shape[1] * channels * np.dtype(dtype).itemsize
    if n * per_sample <= CHUNK_BYTES:
        return [slice(0, n)]
    size = max(1, min(CHUNK_BYTES, SLICE_BYTES) // max(per_sample, 1))
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]


def _each_slice(fn, parts, channels):
    """``[fn(part) for part in parts]``, the slices shared out to threads (:mod:`core.kernels.cpu._conv_threads`).
    Large inference batches run much faster that way (tests/benchmarks/NOTES.md). Inputs with few channels stay
    on this thread: their transposed im2col is a numba parallel loop, which not every numba threading layer may
    enter from two threads."""
    if _few_channels(channels):
        return [fn(part) for part in parts]
    return _threads.each(fn, parts)


def _forward(x, w, b, strides, pads, out_hw, dilation):
    """``(y, columns)``: the convolution and the im2col matrix it multiplied (None when built in slices or
    computed directly)."""
    if _direct.usable(x.shape[3], strides):
        y = _empty((x.shape[0],) + tuple(out_hw) + (w.shape[3],), x.dtype)
        return _direct.forward(x, w, b, pads, out_hw, dilation, y), None
    parts = _chunks(x.shape[0], out_hw, w.shape, x.shape[3], x.dtype)
    if len(parts) > 1:
        y = _empty((x.shape[0],) + tuple(out_hw) + (w.shape[3],), x.dtype)

        def one(part):
            y[part] = _forward(x[part], w, b, strides, pads, out_hw, dilation)[0]
        _each_slice(one, parts, x.shape[3])
        return y, None
    cols = _columns(x, w.shape[:2], strides, pads, out_hw, dilation)
    y = np.matmul(cols, w.reshape(-1, w.shape[3]), out=_empty((cols.shape[0], w.shape[3]), x.dtype))
    if b is not None:
        y += b
    return y.reshape((x.shape[0],) + tuple(out_hw) + (w.shape[3],)), cols


def _input_grad(dy, w, x_shape, strides, pads, dilation):
    parts = _chunks(x_shape[0], dy.shape[1:3], w.shape, x_shape[3], dy.dtype)
    if len(parts) > 1:
        dx = _empty(x_shape, dy.dtype)

        def one(part):
            dx[part] = _input_grad(dy[part], w, dx[part].shape, strides, pads, dilation)
        _each_slice(one, parts, x_shape[3])
        return dx
    dy2, w2 = np.ascontiguousarray(dy).reshape(-1, w.shape[3]), w.reshape(-1, w.shape[3])
    few = _few_channels(x_shape[3])
    if few:
        dcols = np.matmul(w2, dy2.T, out=_empty((w2.shape[0], dy2.shape[0]), dy.dtype))
    else:
        dcols = np.matmul(dy2, w2.T, out=_empty((dy2.shape[0], w2.shape[0]), dy.dtype))
    if w.shape[:2] == (1, 1) and tuple(strides) == (1, 1) and pads[0] == (0, 0) and pads[1] == (0, 0):
        return np.ascontiguousarray(dcols.T if few else dcols).reshape(x_shape)
    dx = _empty(x_shape, dy.dtype)
    args = (w.shape[0], w.shape[1], strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0],
            dy.shape[1], dy.shape[2], dx)
    (_col2im_t if few else _col2im)(dcols, *args)
    return dx


def _weight_grad(x, dy, w_shape, strides, pads, dilation, cols=None):
    parts = _chunks(x.shape[0], dy.shape[1:3], w_shape, x.shape[3], x.dtype)
    if cols is None and len(parts) > 1:
        return sum(_each_slice(lambda part: _weight_grad(x[part], dy[part], w_shape, strides, pads, dilation),
                               parts, x.shape[3]))
    if cols is None:
        cols = _columns(x, w_shape[:2], strides, pads, dy.shape[1:3], dilation)
    return (cols.T @ np.ascontiguousarray(dy).reshape(-1, w_shape[3])).reshape(w_shape)


def _bias_grad(dy):
    dy2 = np.ascontiguousarray(dy).reshape(-1, dy.shape[-1])
    return np.ones(dy2.shape[0], dy.dtype) @ dy2


def _backward(kept, w, dy, strides, pads, dilation, need_dx):
    x, cols = kept
    if _direct.usable(x.shape[3], strides):
        dx = _empty(x.shape, dy.dtype) if need_dx else None
        return (dx,) + _direct.backward(x, w, dy, pads, dilation, dx)
    dx = _input_grad(dy, w, x.shape, strides, pads, dilation) if need_dx else None
    return dx, _weight_grad(x, dy, w.shape, strides, pads, dilation, cols), _bias_grad(dy)


def conv2d_forward(x, w, b, strides, padding, dilation):
    """2-D convolution of ``x`` (N, H, W, C) with an HWIO kernel; ``b`` (out,) or None."""
    pads, out_hw = geometry(x.shape[1:3], w.shape[:2], strides, padding, dilation)
    return _forward(x, w, b, strides, pads, out_hw, dilation)[0]


def conv2d_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_forward`: ``(dx or None, dw, db)``."""
    pads, _ = geometry(x.shape[1:3], w.shape[:2], strides, padding, dilation)
    return _backward((x, None), w, dy, strides, pads, dilation, need_dx)


def conv2d_forward_keep(x, w, b, strides, padding, dilation):
    """:func:`conv2d_forward` that also returns what :func:`conv2d_backward_kept` needs (the im2col matrix, so
    that backward does not rebuild it): ``(y, kept)``."""
    pads, out_hw = geometry(x.shape[1:3], w.shape[:2], strides, padding, dilation)
    y, cols = _forward(x, w, b, strides, pads, out_hw, dilation)
    return y, (x, cols)


def conv2d_backward_kept(kept, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_forward_keep` from its ``kept``: ``(dx or None, dw, db)``."""
    pads, _ = geometry(kept[0].shape[1:3], w.shape[:2], strides, padding, dilation)
    return _backward(kept, w, dy, strides, pads, dilation, need_dx)


def _pads_1d(x, w, stride, padding, dilation):
    pads = ((0, 0), pad_amounts(x.shape[1], w.shape[0], stride, dilation, padding))
    return pads, (1, out_length(x.shape[1], w.shape[0], stride, dilation, *pads[1]))


def conv1d_forward(x, w, b, stride, padding, dilation):
    """1-D convolution of ``x`` (N, L, C) with a ``(k, in, out)`` kernel; padding valid, same or causal."""
    return conv1d_forward_keep(x, w, b, stride, padding, dilation)[0]


def conv1d_backward(x, w, dy, stride, padding, dilation, need_dx):
    """Gradients of :func:`conv1d_forward`: ``(dx or None, dw, db)``."""
    return conv1d_backward_kept((x, None), w, dy, stride, padding, dilation, need_dx)


def conv1d_forward_keep(x, w, b, stride, padding, dilation):
    """:func:`conv1d_forward` that also returns what :func:`conv1d_backward_kept` needs: ``(y, kept)``."""
    pads, out_hw = _pads_1d(x, w, stride, padding, dilation)
    y, cols = _forward(x[:, None], w[None], b, (1, stride), pads, out_hw, (1, dilation))
    return y[:, 0], (x, cols)


def conv1d_backward_kept(kept, w, dy, stride, padding, dilation, need_dx):
    """Gradients of :func:`conv1d_forward_keep` from its ``kept``: ``(dx or None, dw, db)``."""
    x, cols = kept
    pads, _ = _pads_1d(x, w, stride, padding, dilation)
    dx, dw, db = _backward((x[:, None], cols), w[None], dy[:, None], (1, stride), pads, (1, dilation), need_dx)
    return (None if dx is None else dx[:, 0]), dw[0], db


def conv2d_transpose_forward(x, w, b, strides, padding, dilation, out_hw):
    """Transposed 2-D convolution of ``x`` (N, H, W, in) with a Keras ``(kh, kw, out, in)`` kernel to an
    output of spatial size ``out_hw``; ``b`` (out,) or None."""
    pads = transpose_pads(out_hw, w, strides, padding, dilation)
    y = _input_grad(x, w, (x.shape[0],) + tuple(out_hw) + (w.shape[2],), strides, pads, dilation)
    if b is not None:
        y += b
    return y


def conv2d_transpose_backward(x, w, dy, strides, padding, dilation, need_dx):
    """Gradients of :func:`conv2d_transpose_forward`: ``(dx or None, dw, db)``."""
    pads = transpose_pads(dy.shape[1:3], w, strides, padding, dilation)
    dx = _forward(dy, w, None, strides, pads, x.shape[1:3], dilation)[0] if need_dx else None
    return dx, _weight_grad(dy, x, w.shape, strides, pads, dilation), _bias_grad(dy)
