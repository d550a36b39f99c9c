"""Every registered layer's forward and backward on the cuda backend against the cpu backend (float32,
rtol 1e-4), with the tensors kept on the device between the calls: forward and backward in training mode, the
forward alone in inference mode where it differs from the training forward (where nothing runs backward; this
keeps the simulator's run short)."""

import numpy as np
import pytest

from core.kernels import get_backend
from core.layers import registry
from core.layers.base import Context
from tests.core.layer_check import make_case, run

CASES = [pytest.param(name, i, config, shapes, id=f"{name}-{i}")
         for name in registry.all_types() if name != "InputLayer"
         for i, (config, shapes) in enumerate(registry.get(name).examples())]


def run_on_device(layer, inputs, weights, training, dout, seed=7):
    """Forward and backward on the cuda backend with inputs and weights uploaded once; results come back."""
    k = get_backend("cuda")
    ctx = Context(k=k, rng=np.random.default_rng(seed), training=training)
    ws = [k.to_device(w.copy()) for w in weights]
    out, cache = layer.forward(ctx, [k.to_device(x.copy()) for x in inputs], ws)
    assert hasattr(out, "copy_to_host"), f"{layer.type_name} forward returned a host array on cuda"
    if dout is None:
        return k.to_host(out), [], [], [k.to_host(w) for w in ws]
    dxs, dws = layer.backward(ctx, k.to_device(dout), cache, ws, True)
    back = [None if d is None else k.to_host(d) for d in list(dxs) + list(dws)]
    return k.to_host(out), back[:len(dxs)], back[len(dxs):], [k.to_host(w) for w in ws]


@pytest.mark.parametrize("name,index,config,shapes", CASES)
@pytest.mark.parametrize("training", [True, False], ids=["train", "infer"])
def test_cuda_matches_cpu(name, index, config, shapes, training):
    cls = registry.get(name)
    layer, inputs, weights = make_case(cls, config, shapes, np.float32)
    out, _, _ = run(layer, "cpu", inputs, weights, training)
    dout = np.random.default_rng(2).standard_normal(out.shape).astype(np.float32)
    ws_cpu = [w.copy() for w in weights]
    if not training:
        dout = None
        if np.array_equal(out, run(layer, "cpu", inputs, weights, True)[0]):
            return  # inference runs the training forward's kernels: checked by the training case
    ref = run(layer, "cpu", inputs, ws_cpu, training, dout)
    got_out, got_dx, got_dw, got_ws = run_on_device(layer, inputs, weights, training, dout)
    tol = dict(rtol=1e-4, atol=1e-5)
    assert got_out.dtype == np.float32
    np.testing.assert_allclose(got_out, ref[0], **tol, err_msg=f"{name} {config} forward")
    for what, got, want in [("input grad", got_dx, ref[1] or []), ("weight grad", got_dw, ref[2] or [])]:
        for a, b in zip(got, want):
            if b is None:
                assert a is None, f"{name} {what}"
            else:
                np.testing.assert_allclose(a, b, **tol, err_msg=f"{name} {config} {what}")
    # state updated in place during a training forward (moving averages) must match as well
    _, _, _, cpu_ws = _state_after_forward(layer, inputs, weights, training)
    for a, b in zip(got_ws, cpu_ws):
        np.testing.assert_allclose(a, b, **tol, err_msg=f"{name} {config} updated state")


def _state_after_forward(layer, inputs, weights, training):
    ctx = Context(k=get_backend("cpu"), rng=np.random.default_rng(7), training=training)
    ws = [w.copy() for w in weights]
    out, cache = layer.forward(ctx, [x.copy() for x in inputs], ws)
    return out, cache, None, ws
