"""The cpu backend's fast convolution and pooling paths against the reference backend, in float32 and float64.

Paths covered: the direct stride-1 convolution for few input channels (row blocks, dilation, padding, no bias,
with and without the input gradient, batches smaller or larger than the thread count), the contiguous-run
im2col / col2im of the matrix-product convolution, and the unrolled 2×2 max pooling (odd sizes, ties).
"""

import numpy as np
import pytest

from core.kernels import get_backend
from core.kernels.cpu import _conv_direct, pooling

REF, CPU = get_backend("reference"), get_backend("cpu")
DTYPES = [np.float32, np.float64]


@pytest.fixture(params=["one thread", "threads"])
def threads(request, monkeypatch):
    """Run a test with the per-sample kernels on one thread and split over the threads (size limits at 0)."""
    if request.param == "threads":
        monkeypatch.setattr(_conv_direct, "PARALLEL_MIN", 0)
        monkeypatch.setattr(pooling, "PARALLEL_MIN", 0)
    else:
        monkeypatch.setattr(_conv_direct, "PARALLEL_MIN", 2**62)
        monkeypatch.setattr(pooling, "PARALLEL_MIN", 2**62)
    return request.param


def _tol(dtype):
    return {"rtol": 2e-4, "atol": 2e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}


def _data(rng, dtype, *shapes):
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _check_conv2d(x_shape, k_hw, filters, strides, padding, dilation, dtype, bias=True, need_dx=True):
    rng = np.random.default_rng(sum(x_shape) + filters)
    x, w, b = _data(rng, dtype, x_shape, tuple(k_hw) + (x_shape[3], filters), (filters,))
    b = b if bias else None
    want = REF.conv2d_forward(x, w, b, strides, padding, dilation)
    got, kept = CPU.conv2d_forward_keep(x, w, b, strides, padding, dilation)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, **_tol(dtype))
    dy = rng.standard_normal(want.shape).astype(dtype)
    grads = CPU.conv2d_backward_kept(kept, w, dy, strides, padding, dilation, need_dx)
    for g, r, name in zip(grads, REF.conv2d_backward(x, w, dy, strides, padding, dilation, need_dx),
                          ("dx", "dw", "db")):
        if r is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, r, err_msg=name, **_tol(dtype))
    plain = CPU.conv2d_backward(x, w, dy, strides, padding, dilation, need_dx)
    for g, r in zip(plain, grads):
        assert (g is None) == (r is None)
        if g is not None:
            np.testing.assert_allclose(g, r, **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape,k_hw,filters,padding,dilation", [
    ((5, 12, 11, 1), (5, 5), 6, "same", (1, 1)),      # a LeNet first layer, odd batch over the threads
    ((1, 9, 7, 3), (3, 2), 4, "valid", (2, 1)),       # RGB, dilated rows, rectangular kernel, one sample
    ((3, 6, 8, 2), (3, 3), 5, "same", (1, 2)),        # asymmetric 'same' padding with dilated columns
    ((2, 4, 4, 1), (1, 1), 3, "valid", (1, 1)),       # a 1×1 kernel
    ((2, 3, 5, 1), (4, 4), 2, "same", (1, 1)),        # kernel larger than the image (padding only)
])
def test_direct_small_channel_convolution_matches_reference(x_shape, k_hw, filters, padding, dilation, dtype,
                                                            threads):
    assert _conv_direct.usable(x_shape[3], (1, 1))
    _check_conv2d(x_shape, k_hw, filters, (1, 1), padding, dilation, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_direct_convolution_in_row_blocks(dtype, threads):
    """Wide rows and many filters: the accumulator holds two output rows at a time (blocks of 2, 2, 1)."""
    wide = 396
    for shape, k_hw, padding in (((1, 5, wide, 1), (5, 5), "same"), ((2, 7, wide, 2), (3, 5), "valid")):
        out_hw = (shape[1] - (k_hw[0] - 1) * (padding == "valid"), wide - (k_hw[1] - 1) * (padding == "valid"))
        assert _conv_direct._frame(k_hw + (shape[3], 8), out_hw, (1, 1))[3] == 2
    _check_conv2d((1, 5, wide, 1), (5, 5), 8, (1, 1), "same", (1, 1), dtype)
    _check_conv2d((2, 7, wide, 2), (3, 5), 8, (1, 1), "valid", (1, 1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_dx", [True, False])
def test_direct_convolution_without_bias_or_input_gradient(need_dx, dtype, threads):
    _check_conv2d((3, 7, 6, 2), (3, 3), 3, (1, 1), "same", (1, 1), dtype, bias=False, need_dx=need_dx)


@pytest.mark.parametrize("dtype", DTYPES)
def test_direct_conv1d_causal_matches_reference(dtype):
    rng = np.random.default_rng(3)
    x, w, b = _data(rng, dtype, (3, 11, 2), (3, 2, 4), (4,))
    want = REF.conv1d_forward(x, w, b, 1, "causal", 2)
    got, kept = CPU.conv1d_forward_keep(x, w, b, 1, "causal", 2)
    np.testing.assert_allclose(got, want, **_tol(dtype))
    dy = rng.standard_normal(want.shape).astype(dtype)
    for g, r in zip(CPU.conv1d_backward_kept(kept, w, dy, 1, "causal", 2, True),
                    REF.conv1d_backward(x, w, dy, 1, "causal", 2, True)):
        np.testing.assert_allclose(g, r, **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape,k_hw,filters,strides,padding,dilation", [
    ((4, 14, 14, 6), (5, 5), 16, (1, 1), "valid", (1, 1)),   # a LeNet second layer: contiguous runs only
    ((3, 9, 8, 5), (3, 3), 4, (2, 2), "same", (1, 1)),       # runs cut by padding at the borders
    ((2, 9, 9, 4), (3, 2), 3, (1, 1), "same", (2, 2)),       # dilated: per-tap copies
    ((2, 8, 7, 2), (3, 3), 3, (2, 1), "same", (1, 1)),       # few channels with a stride: transposed im2col
])
def test_matrix_product_convolution_matches_reference(x_shape, k_hw, filters, strides, padding, dilation, dtype):
    _check_conv2d(x_shape, k_hw, filters, strides, padding, dilation, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape,pool,strides,padding", [
    ((3, 8, 6, 6), (2, 2), (2, 2), "valid"),    # the unrolled 2×2 path
    ((2, 5, 7, 3), (2, 2), (2, 2), "valid"),    # odd sizes: the last row and column belong to no window
    ((2, 6, 4, 16), (2, 2), (2, 2), "same"),    # 'same' on even sizes needs no padding: unrolled too
    ((2, 7, 7, 2), (3, 3), (2, 2), "same"),     # overlapping windows with padding: the generic path
    ((2, 5, 5, 3), (2, 2), (2, 2), "same"),     # padded 2×2 windows: the generic path
])
def test_max_pooling_matches_reference(x_shape, pool, strides, padding, dtype, threads):
    rng = np.random.default_rng(sum(x_shape))
    x = np.maximum(rng.standard_normal(x_shape), 0.0).astype(dtype)  # ReLU-like: many tied zeros
    y, index = CPU.max_pool2d_forward(x, pool, strides, padding)
    y_ref, index_ref = REF.max_pool2d_forward(x, pool, strides, padding)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(index, index_ref)  # ties go to the first cell in row-major order
    dy = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(CPU.max_pool2d_backward(dy, index, x.shape),
                               REF.max_pool2d_backward(dy, index_ref, x.shape), **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_slices_of_a_large_batch_shared_out_to_threads_match_reference(monkeypatch, dtype):
    """Im2col matrices over the size limit are done in slices, several at once: forward and both gradients."""
    from core.kernels.cpu import conv as cpu_conv
    monkeypatch.setattr(cpu_conv, "CHUNK_BYTES", 20_000)
    monkeypatch.setattr(cpu_conv, "SLICE_BYTES", 8_000)   # several slices per thread
    x_shape = (13, 8, 7, 6)
    assert len(cpu_conv._chunks(x_shape[0], (6, 5), (3, 3, 6, 4), 6, np.float64)) > 2
    _check_conv2d(x_shape, (3, 3), 4, (1, 1), "valid", (1, 1), dtype)


def test_slices_shared_out_to_threads_give_ordered_results_errors_and_nested_calls():
    from core.kernels.cpu import _conv_threads
    assert _conv_threads.each(lambda i: i * i, range(50)) == [i * i for i in range(50)]
    assert _conv_threads.spans(7, 3) == [(0, 2), (2, 4), (4, 7)]
    nested = _conv_threads.each(lambda i: sum(_conv_threads.each(lambda j: i * j, range(4))), range(6))
    assert nested == [6 * i for i in range(6)]

    def fail(i):
        if i == 3:
            raise ValueError("slice 3")
        return i
    with pytest.raises(ValueError, match="slice 3"):
        _conv_threads.each(fail, range(8))
