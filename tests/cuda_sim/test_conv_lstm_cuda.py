"""ConvLSTM2D and the single LSTM cell step on the cuda backend against the cpu backend, with activations other
than the layer examples' defaults, and the check that no kernel family is left running on host copies."""

import numpy as np
import pytest

from core.activations import CODES
from core.kernels import get_backend

TOL = dict(rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act,rec", [("tanh", "sigmoid"), ("relu", "hard_sigmoid")])
def test_lstm_cell_matches_cpu(act, rec):
    k, cpu = get_backend("cuda"), get_backend("cpu")
    rng = np.random.default_rng(1)
    z = rng.standard_normal((2, 3, 8)).astype(np.float32)
    c_prev, dh, dc = (rng.standard_normal((2, 3, 2)).astype(np.float32) for _ in range(3))
    h, c, state = k.lstm_cell_forward(k.to_device(z), k.to_device(c_prev), CODES[act], CODES[rec])
    want_h, want_c, want_state = cpu.lstm_cell_forward(z, c_prev, CODES[act], CODES[rec])
    np.testing.assert_allclose(k.to_host(h), want_h, **TOL)
    np.testing.assert_allclose(k.to_host(c), want_c, **TOL)
    dz, dc_prev = k.lstm_cell_backward(k.to_device(dh), k.to_device(dc), state, CODES[act], CODES[rec])
    want_dz, want_dc = cpu.lstm_cell_backward(dh, dc, want_state, CODES[act], CODES[rec])
    assert tuple(dz.shape) == want_dz.shape and tuple(dc_prev.shape) == want_dc.shape
    np.testing.assert_allclose(k.to_host(dz), want_dz, **TOL)
    np.testing.assert_allclose(k.to_host(dc_prev), want_dc, **TOL)


def test_conv_lstm2d_matches_cpu():
    """Sequences returned, forward in time (the layer examples cover the other combinations)."""
    k, cpu = get_backend("cuda"), get_backend("cpu")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 4, 3, 2)).astype(np.float32)
    kernel = (0.3 * rng.standard_normal((2, 2, 2, 8))).astype(np.float32)
    rec = (0.3 * rng.standard_normal((3, 2, 2, 8))).astype(np.float32)
    bias = rng.standard_normal(8).astype(np.float32)
    args = ((1, 1), "same", (1, 1), CODES["relu"], CODES["hard_sigmoid"], False, True)
    out, cache = k.conv_lstm2d_forward(k.to_device(x), k.to_device(kernel), k.to_device(rec), k.to_device(bias),
                                       *args)
    want, want_cache = cpu.conv_lstm2d_forward(x, kernel, rec, bias, *args)
    np.testing.assert_allclose(k.to_host(out), want, **TOL)
    dy = rng.standard_normal(want.shape).astype(np.float32)
    got = k.conv_lstm2d_backward(k.to_device(dy), cache, k.to_device(kernel), k.to_device(rec), True)
    for a, b in zip(got, cpu.conv_lstm2d_backward(dy, want_cache, kernel, rec, True)):
        np.testing.assert_allclose(k.to_host(a), b, **TOL)


def test_no_kernel_runs_on_host_copies():
    assert get_backend("cuda").fallbacks == ()
