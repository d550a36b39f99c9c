"""The registry-wide layer check: every registered layer is tested by being registered.

For each ``(config, input shapes)`` of a layer's ``examples()``:
- its backward matches central finite differences in float64, for the inputs and every trainable weight, in
  training mode (the random generator is reset before each forward, so dropout masks and noise stay fixed);
- the fast backend's forward and backward match the NumPy reference in float32.
"""

from __future__ import annotations

import numpy as np

from core.initializers import initialize
from core.kernels import get_backend
from core.layers.base import Context, Layer

SAMPLES_PER_TENSOR = 24
BATCH = 3


def make_case(cls: type[Layer], config: dict, input_shapes: list, dtype, seed: int = 0):
    """A named layer, random inputs and weights (biases and statistics non-zero), and an output weighting."""
    layer = cls.from_config(config, name="under_test")
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((BATCH,) + tuple(s)).astype(dtype) for s in input_shapes]
    weights = []
    for spec in layer.weight_specs([tuple(s) for s in input_shapes]):
        w = initialize("glorot_uniform" if len(spec.shape) > 1 else "zeros", tuple(spec.shape), rng, dtype)
        if spec.trainable:
            w += rng.normal(0, 0.3, spec.shape).astype(dtype)
        else:
            w[...] = rng.uniform(0.5, 1.5, spec.shape)
        weights.append(w)
    return layer, inputs, weights


def run(layer, backend, inputs, weights, training=True, dout=None, seed=7):
    """Forward (and backward when ``dout`` is given) with a fresh generator, on copies of the weights."""
    ctx = Context(k=get_backend(backend), rng=np.random.default_rng(seed), training=training)
    ws = [w.copy() for w in weights]
    out, cache = layer.forward(ctx, [x.copy() for x in inputs], ws)
    if dout is None:
        return out, None, None
    dxs, dws = layer.backward(ctx, dout, cache, ws, True)
    return out, dxs, dws


def _objective(layer, backend, inputs, weights, r, training):
    out, _, _ = run(layer, backend, inputs, weights, training)
    return float(np.sum(out * r))


def _sample_indices(size: int, rng) -> np.ndarray:
    return np.arange(size) if size <= SAMPLES_PER_TENSOR else rng.choice(size, SAMPLES_PER_TENSOR, replace=False)


def gradient_check(cls, config, input_shapes, backend="reference", training=True, eps=1e-6, rtol=1e-5,
                   atol=1e-6) -> None:
    """Backward against central differences in float64; raises AssertionError naming the tensor."""
    layer, inputs, weights = make_case(cls, config, input_shapes, np.float64)
    out, _, _ = run(layer, backend, inputs, weights, training)
    rng = np.random.default_rng(1)
    r = rng.standard_normal(out.shape)
    _, dxs, dws = run(layer, backend, inputs, weights, training, dout=r)
    trainable = [s.trainable for s in layer.weight_specs([tuple(s) for s in input_shapes])]
    tensors = [(f"input {i}", inputs, i, dxs[i]) for i in range(len(inputs))]
    tensors += [(f"weight {i}", weights, i, dws[i]) for i in range(len(weights)) if trainable[i]]
    for label, group, index, analytic in tensors:
        assert analytic is not None, f"{cls.type_name} {config}: no gradient for {label}"
        assert analytic.shape == group[index].shape, f"{cls.type_name}: gradient shape of {label}"
        flat = group[index].reshape(-1)
        for j in _sample_indices(flat.size, rng):
            keep = flat[j]
            flat[j] = keep + eps
            up = _objective(layer, backend, inputs, weights, r, training)
            flat[j] = keep - eps
            down = _objective(layer, backend, inputs, weights, r, training)
            flat[j] = keep
            numeric = (up - down) / (2 * eps)
            got = analytic.reshape(-1)[j]
            assert abs(got - numeric) <= atol + rtol * max(abs(numeric), abs(got)), (
                f"{cls.type_name} {config} on {backend}: d/d({label})[{j}] analytic {got!r} vs numeric {numeric!r}")


def backend_match(cls, config, input_shapes, backend="cpu", training=True, rtol=1e-4, atol=1e-5) -> None:
    """The fast backend against the NumPy reference in float32, forward and backward."""
    layer, inputs, weights = make_case(cls, config, input_shapes, np.float32)
    ref_out, _, _ = run(layer, "reference", inputs, weights, training)
    dout = np.random.default_rng(2).standard_normal(ref_out.shape).astype(np.float32)
    ref = run(layer, "reference", inputs, weights, training, dout)
    got = run(layer, backend, inputs, weights, training, dout)
    np.testing.assert_allclose(got[0], ref[0], rtol=rtol, atol=atol, err_msg=f"{cls.type_name} forward")
    assert got[0].dtype == np.float32, f"{cls.type_name} forward on {backend} returned {got[0].dtype}"
    for a, b, what in [(x, y, "input grad") for x, y in zip(got[1], ref[1])] + \
                      [(x, y, "weight grad") for x, y in zip(got[2], ref[2])]:
        if b is None:
            assert a is None
            continue
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{cls.type_name} {config} {what}")
