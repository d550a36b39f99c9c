"""The shared scalar formulas (core/kernels/formulas.py): compiled for the cpu they compute exactly what the plain
Python functions compute, and both agree with the reference backend's NumPy kernels."""

import numpy as np
import pytest
from numba import njit

from core.activations import CODES
from core.kernels import formulas
from core.kernels import get_backend
from core.kernels.cpu import _formulas as cpu

ref = get_backend("reference")
POINTWISE = [name for name in CODES if name != "softmax"]


@njit
def _act(z, code, out):
    for i in range(z.size):
        out[i] = cpu.act(z[i], code)


@njit
def _grad(d, z, y, code, out):
    for i in range(z.size):
        out[i] = cpu.grad(d[i], z[i], y[i], code)


def _values():
    z = np.concatenate([np.linspace(-8.0, 8.0, 161), [0.0, -0.0, 2.5, -2.5, 3.0, -3.0, 40.0, -40.0]])
    return z, np.random.default_rng(0).standard_normal(z.size)


@pytest.mark.parametrize("name", POINTWISE)
def test_activations_compiled_equal_the_python_formula_and_match_the_reference(name):
    code = CODES[name]
    z, d = _values()
    y = np.empty_like(z)
    _act(z, code, y)
    assert np.array_equal(y, [formulas.act(v, code) for v in z])
    np.testing.assert_allclose(y, ref.activation_forward(z, code), rtol=1e-12, atol=1e-300)
    dz = np.empty_like(z)
    _grad(d, z, y, code, dz)
    assert np.array_equal(dz, [formulas.grad(a, b, c, code) for a, b, c in zip(d, z, y)])
    np.testing.assert_allclose(dz, ref.activation_backward(z, y, d, code), rtol=1e-12, atol=1e-300)
    assert formulas.dact(0.7, formulas.act(0.7, code), code) == formulas.grad(1.0, 0.7, formulas.act(0.7, code), code)


@njit
def _taps_all(m, h, w, oh, ow, bilinear, mode, out):
    for b in range(m.shape[0]):
        for oy in range(oh):
            for ox in range(ow):
                r0, r1, c0, c1, w00, w01, w10, w11, fill_w = cpu.taps(m, b, ox, oy, h, w, bilinear, mode)
                o = out[b, oy, ox]
                o[0], o[1], o[2], o[3] = r0, r1, c0, c1
                o[4], o[5], o[6], o[7], o[8] = w00, w01, w10, w11, fill_w


@pytest.mark.parametrize("interpolation", formulas.INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", formulas.FILL_MODES)
def test_affine_taps_compiled_equal_the_python_formula_and_resample_like_the_reference(interpolation, fill_mode):
    bilinear, mode = formulas.resample_codes(interpolation, fill_mode)
    m = np.array([[[1.3, 0.4, -1.5], [-0.4, 1.3, 0.5]], [[1.0, 0.0, 0.5], [0.0, 1.0, -2.5]]])
    h, w, oh, ow = 5, 6, 4, 7
    got = np.empty((2, oh, ow, 9))
    _taps_all(m, h, w, oh, ow, bilinear, mode, got)
    want = [[[formulas.taps(m, b, ox, oy, h, w, bilinear, mode) for ox in range(ow)] for oy in range(oh)]
            for b in range(2)]
    assert np.array_equal(got, np.array(want, float))
    x = np.random.default_rng(1).standard_normal((2, h, w, 3))
    np.testing.assert_allclose(get_backend("cpu").affine_resample(x, m, oh, ow, interpolation, fill_mode, 0.5),
                               ref.affine_resample(x, m, oh, ow, interpolation, fill_mode, 0.5), rtol=1e-12)


def test_an_unknown_fill_mode_is_refused_by_name():
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        formulas.resample_codes("bilinear", "mirror")


@njit
def _layernorm(x, gamma, beta, eps, y, xhat, inv, dy, dx):
    for i in range(x.shape[0]):
        inv[i] = cpu.layernorm_row(x, i, gamma, beta, eps, y, xhat)
        cpu.layernorm_row_dx(dy, xhat, i, inv[i], gamma, dx)


def test_layernorm_rows_compiled_equal_the_python_formula_and_match_the_reference():
    rng = np.random.default_rng(2)
    x, dy = rng.standard_normal((4, 9)), rng.standard_normal((4, 9))
    gamma, beta = rng.standard_normal(9), rng.standard_normal(9)
    got = [np.empty_like(x), np.empty_like(x), np.empty(4), np.empty_like(x)]
    _layernorm(x, gamma, beta, 1e-3, got[0], got[1], got[2], dy, got[3])
    want = [np.empty_like(x), np.empty_like(x), np.empty(4), np.empty_like(x)]
    for i in range(4):
        want[2][i] = formulas.layernorm_row(x, i, gamma, beta, 1e-3, want[0], want[1])
        formulas.layernorm_row_dx(dy, want[1], i, want[2][i], gamma, want[3])
    for a, b in zip(got, want):
        assert np.array_equal(a, b)
    y, xhat, inv = ref.layernorm_forward(x, gamma, beta, 1e-3)
    np.testing.assert_allclose(got[0], y, rtol=1e-10)
    np.testing.assert_allclose(got[3], ref.layernorm_backward(dy, xhat, inv, gamma, True)[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("beta", [0.5, 0.75, 0.6])
def test_inv_pow_is_the_power(beta):
    for s in (0.3, 1.0, 7.5):
        assert formulas.inv_pow(s, beta) == pytest.approx(s ** -beta, rel=1e-14)
