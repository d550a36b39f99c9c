"""The shared scalar formulas compiled as CUDA device functions compute what the plain Python formulas and the
reference backend compute; and the cuda backend borrows from the cpu exactly the kernels it lacks, listed."""

import importlib
import sys
import textwrap

import numpy as np
import pytest
from numba import cuda

from core.activations import CODES
from core.kernels import formulas, get_backend, kernels_of, load_backend
from core.kernels.cuda import _formulas as device

ref = get_backend("reference")


@cuda.jit
def _act_grad(z, d, code, y, dz):
    for i in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        y[i] = device.act(z[i], code)
        dz[i] = device.grad(d[i], z[i], y[i], code)


@pytest.mark.parametrize("name", [n for n in CODES if n != "softmax"])
def test_device_activations_match_the_formulas_and_the_reference(name):
    code = CODES[name]
    z = np.concatenate([np.linspace(-6.0, 6.0, 25), [0.0, 2.5, -3.0]])
    d = np.random.default_rng(0).standard_normal(z.size)
    y, dz = cuda.device_array_like(z), cuda.device_array_like(z)
    _act_grad[1, 32](cuda.to_device(z), cuda.to_device(d), code, y, dz)
    y, dz = y.copy_to_host(), dz.copy_to_host()
    np.testing.assert_allclose(y, [formulas.act(v, code) for v in z], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(y, ref.activation_forward(z, code), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(dz, ref.activation_backward(z, y, d, code), rtol=1e-12, atol=1e-300)


@cuda.jit
def _taps(m, h, w, bilinear, mode, out):
    for i in range(cuda.grid(1), out.shape[0] * out.shape[1], cuda.gridsize(1)):
        oy, ox = i // out.shape[1], i % out.shape[1]
        r0, r1, c0, c1, w00, w01, w10, w11, fill_w = device.taps(m, 0, ox, oy, h, w, bilinear, mode)
        o = out[oy, ox]
        o[0], o[1], o[2], o[3] = r0, r1, c0, c1
        o[4], o[5], o[6], o[7], o[8] = w00, w01, w10, w11, fill_w


@pytest.mark.parametrize("fill_mode", formulas.FILL_MODES)
def test_device_taps_equal_the_python_formula(fill_mode):
    bilinear, mode = formulas.resample_codes("bilinear", fill_mode)
    m = np.array([[[1.3, 0.4, -1.5], [-0.4, 1.3, 0.5]]])
    out = cuda.device_array((3, 4, 9))
    _taps[1, 32](cuda.to_device(m), 5, 6, bilinear, mode, out)
    want = [[formulas.taps(m, 0, ox, oy, 5, 6, bilinear, mode) for ox in range(4)] for oy in range(3)]
    assert np.array_equal(out.copy_to_host(), np.array(want, float))


def test_every_kernel_the_cuda_backend_lacks_is_a_listed_fallback():
    native = set(kernels_of(importlib.import_module("core.kernels.cuda")))
    backend = get_backend("cuda")
    assert set(backend.fallbacks) == set(kernels_of(importlib.import_module("core.kernels.reference"))) - native


def test_a_missing_device_kernel_runs_on_the_cpu_twin_and_is_listed(tmp_path, monkeypatch):
    package = tmp_path / "fake_device"
    package.mkdir()
    (package / "__init__.py").write_text("from core.kernels.cuda import HOST_TWIN, IS_HOST, host_fallback  # noqa\n")
    (package / "all.py").write_text(textwrap.dedent("""
        import core.kernels.cuda as _cuda
        from core.kernels import kernels_of as _kernels_of

        _chosen = {n: f for n, f in _kernels_of(_cuda).items() if n != "activation_forward"}
        globals().update(_chosen)
        __all__ = sorted(_chosen)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fake_device", raising=False)
    backend = load_backend("fake_device", importlib.import_module("fake_device"))
    assert backend.fallbacks == ("activation_forward",)
    z = np.linspace(-2, 2, 8).astype(np.float32)
    y = backend.activation_forward(backend.to_device(z), CODES["relu"])
    assert hasattr(y, "copy_to_host")  # the cpu kernel's result went back up to the device
    assert np.array_equal(backend.to_host(y), np.maximum(z, 0))
