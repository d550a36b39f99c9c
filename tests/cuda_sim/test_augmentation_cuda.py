"""The affine resampler on the cuda backend against the cpu backend for every interpolation and fill mode, in
float32 and float64, with matrices that land taps outside the image and on half-integers (where a nearest tap
would flip if the two backends computed coordinates differently)."""

import itertools

import numpy as np
import pytest

from core.kernels import get_backend


def _matrices():
    m = np.zeros((2, 2, 3))
    m[0] = [[1.3, 0.4, -1.5], [-0.4, 1.3, 0.5]]    # zoomed rotation reaching past every edge
    m[1] = [[1.0, 0.0, 0.5], [0.0, 1.0, -2.5]]     # shifts by half-integers
    return m


@pytest.mark.parametrize("interpolation,fill_mode",
                         list(itertools.product(("bilinear", "nearest"), ("reflect", "wrap", "constant", "nearest"))))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_resample_matches_cpu(interpolation, fill_mode, dtype):
    k, cpu = get_backend("cuda"), get_backend("cpu")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 6, 3)).astype(dtype)
    m = _matrices()
    got = k.affine_resample(k.to_device(x), m, 4, 7, interpolation, fill_mode, 0.7)
    assert hasattr(got, "copy_to_host")
    want = cpu.affine_resample(x, m, 4, 7, interpolation, fill_mode, 0.7)
    np.testing.assert_allclose(k.to_host(got), want, rtol=1e-5, atol=1e-6)
    assert k.to_host(got).dtype == dtype
    dout = rng.standard_normal(want.shape).astype(dtype)
    got_dx = k.affine_resample_backward(k.to_device(dout), m, 5, 6, interpolation, fill_mode)
    want_dx = cpu.affine_resample_backward(dout, m, 5, 6, interpolation, fill_mode)
    np.testing.assert_allclose(k.to_host(got_dx), want_dx, rtol=1e-5, atol=1e-6)


def test_affine_resampler_is_not_a_host_fallback():
    assert not {"affine_resample", "affine_resample_backward"} & set(get_backend("cuda").fallbacks)
