"""Normalisation, noise and merge layers: Keras's formulas checked by hand in NumPy, moving averages, modes, and
the shape errors that explain a mismatch. (Gradients are checked registry-wide in test_layers_registry.)"""

import numpy as np
import pytest

from core.engine import build
from core.errors import ConfigError, GraphError, ShapeError
from core.graph import Graph
from core.kernels import get_backend
from core.layers import registry
from core.layers.base import Context
from core.shapes import infer_shapes

BACKENDS = ["reference", "cpu"]


def _layer(type_name, name=None, **config):
    return registry.get(type_name).from_config(config, name=name or type_name.lower())


def _ctx(backend, training, seed=0):
    return Context(k=get_backend(backend), rng=np.random.default_rng(seed), training=training)


def _bn_weights(channels, rng):
    gamma = rng.uniform(0.5, 2.0, channels).astype(np.float32)
    beta = rng.normal(0, 1, channels).astype(np.float32)
    return [gamma, beta, np.zeros(channels, np.float32), np.ones(channels, np.float32)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_batchnorm_training_uses_batch_statistics_and_updates_moving_averages(backend):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (16, 4, 4, 3)).astype(np.float32)
    layer = _layer("BatchNormalization", momentum=0.9, epsilon=0.01)
    weights = _bn_weights(3, rng)
    gamma, beta = weights[0].copy(), weights[1].copy()
    y, _ = layer.forward(_ctx(backend, True), [x], weights)
    mean = x.mean(axis=(0, 1, 2), dtype=np.float64)
    var = x.var(axis=(0, 1, 2), dtype=np.float64)  # biased, as Keras
    expected = gamma * (x - mean) / np.sqrt(var + 0.01) + beta
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(weights[2], 0.0 * 0.9 + mean * 0.1, rtol=1e-5)
    np.testing.assert_allclose(weights[3], 1.0 * 0.9 + var * 0.1, rtol=1e-5)
    layer.forward(_ctx(backend, True), [x], weights)  # a second batch moves them further
    np.testing.assert_allclose(weights[2], mean * 0.1 * 0.9 + mean * 0.1, rtol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batchnorm_inference_uses_moving_statistics_and_leaves_them(backend):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (5, 6)).astype(np.float32)
    layer = _layer("BatchNormalization", epsilon=0.5)
    weights = _bn_weights(6, rng)
    weights[2][:] = rng.normal(0, 1, 6)
    weights[3][:] = rng.uniform(0.5, 3.0, 6)
    before = [w.copy() for w in weights]
    y, _ = layer.forward(_ctx(backend, False), [x], weights)
    expected = before[0] * (x - before[2]) / np.sqrt(before[3] + 0.5) + before[1]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    for w, b in zip(weights, before):
        np.testing.assert_array_equal(w, b)
    # one sample's inference output does not depend on the rest of its batch
    y0, _ = layer.forward(_ctx(backend, False), [x[:1]], weights)
    np.testing.assert_allclose(y0, y[:1], rtol=1e-6)


def test_batchnorm_weights_follow_keras_order_and_center_scale_flags():
    def names(**cfg):
        return [(s.name, s.trainable) for s in _layer("BatchNormalization", **cfg).weight_specs([(8, 8, 16)])]

    assert names() == [("gamma", True), ("beta", True), ("moving_mean", False), ("moving_variance", False)]
    assert names(center=False) == [("gamma", True), ("moving_mean", False), ("moving_variance", False)]
    assert names(scale=False) == [("beta", True), ("moving_mean", False), ("moving_variance", False)]
    specs = _layer("BatchNormalization", gamma_regularizer="l2", beta_regularizer={"l1": 0.1}).weight_specs([(4,)])
    assert [s.regularizer for s in specs] == [{"l1": 0.0, "l2": 0.01}, {"l1": 0.1, "l2": 0.0}, None, None]
    assert all(s.shape == (16,) for s in _layer("BatchNormalization").weight_specs([(8, 8, 16)]))
    assert [s.shape for s in _layer("BatchNormalization", axis=1).weight_specs([(8, 4, 16)])] == [(8,)] * 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_batchnorm_without_center_and_scale_is_plain_standardisation(backend):
    x = np.random.default_rng(2).normal(5, 3, (32, 3)).astype(np.float32)
    layer = _layer("BatchNormalization", center=False, scale=False, epsilon=1e-6)
    weights = [np.zeros(3, np.float32), np.ones(3, np.float32)]
    y, _ = layer.forward(_ctx(backend, True), [x], weights)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=0), 1.0, rtol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batchnorm_on_a_middle_axis(backend):
    x = np.random.default_rng(3).normal(0, 2, (4, 3, 5)).astype(np.float32)
    layer = _layer("BatchNormalization", axis=1, center=False, scale=False)
    y, _ = layer.forward(_ctx(backend, True), [x], [np.zeros(3, np.float32), np.ones(3, np.float32)])
    mean = x.mean(axis=(0, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(x.var(axis=(0, 2), keepdims=True) + 0.001)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_batchnorm_in_a_network_updates_moving_mean_only_in_training():
    g = Graph()
    inp = g.add_layer("InputLayer", {"shape": (4,)})
    bn = g.add_layer("BatchNormalization", {"momentum": 0.5})
    g.connect(inp, bn)
    net = build(g)
    x = np.random.default_rng(4).normal(2.0, 1.0, (8, 4)).astype(np.float32)
    net.forward([x], training=False)
    np.testing.assert_array_equal(net.weights[bn][2], 0.0)
    net.forward([x], training=True)
    np.testing.assert_allclose(net.weights[bn][2], 0.5 * x.mean(axis=0), rtol=1e-5)
    assert net.grads[bn][2] is None and net.grads[bn][3] is None


def test_axis_saved_as_a_list_by_tf_keras_2_is_accepted():
    assert _layer("BatchNormalization", axis=[3]).config["axis"] == 3
    assert registry.get("LayerNormalization")(axis=(-1,)).config["axis"] == -1
    with pytest.raises(ConfigError, match="LayerNormalization: axis=\\[1, 2\\].*Reshape"):
        _layer("LayerNormalization", axis=[1, 2])


def test_batchnorm_refuses_the_batch_axis():
    with pytest.raises(ShapeError, match="BatchNormalization 'bn'.*axis=0.*batch axis"):
        _layer("BatchNormalization", name="bn", axis=0).output_shape([(4,)])
    with pytest.raises(ShapeError, match="axis=3"):
        _layer("BatchNormalization", name="bn", axis=3).output_shape([(4, 2)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_layernorm_matches_numpy(backend):
    rng = np.random.default_rng(5)
    x = rng.normal(1.0, 3.0, (3, 4, 6)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2, 6).astype(np.float32), rng.normal(0, 1, 6).astype(np.float32)
    for training in (True, False):
        y, _ = _layer("LayerNormalization").forward(_ctx(backend, training), [x], [gamma, beta])
        mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
        np.testing.assert_allclose(y, gamma * (x - mean) / np.sqrt(var + 0.001) + beta, rtol=1e-4, atol=1e-5)


def _lrn_by_definition(x, r, bias, alpha, beta):
    out = np.empty_like(x, dtype=np.float64)
    c = x.shape[-1]
    for idx in np.ndindex(x.shape[:-1]):
        for d in range(c):
            sqr_sum = sum(float(x[idx + (j,)]) ** 2 for j in range(max(0, d - r), min(c, d + r + 1)))
            out[idx + (d,)] = x[idx + (d,)] / (bias + alpha * sqr_sum) ** beta
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config", [{}, {"depth_radius": 2, "bias": 2.0, "alpha": 1e-4, "beta": 0.75},
                                    {"depth_radius": 1, "alpha": 0.3, "beta": 1.0}])
def test_local_response_normalization_matches_tensorflows_definition(backend, config):
    x = np.random.default_rng(6).normal(0, 2, (2, 3, 3, 7)).astype(np.float32)
    layer = _layer("LocalResponseNormalization", **config)
    full = layer.config
    y, _ = layer.forward(_ctx(backend, False), [x], [])
    expected = _lrn_by_definition(x, full["depth_radius"], full["bias"], full["alpha"], full["beta"])
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert layer.category == "Normalization"


@pytest.mark.parametrize("backend", BACKENDS)
def test_spatial_dropout_drops_whole_channels(backend):
    x = np.random.default_rng(7).uniform(1, 2, (20, 4, 4, 8)).astype(np.float32)
    layer = _layer("SpatialDropout2D", rate=0.5)
    y, mask = layer.forward(_ctx(backend, True), [x], [])
    ratio = y / x
    per_channel = ratio.reshape(20, 16, 8)
    assert np.all(per_channel == per_channel[:, :1, :])  # a channel is kept or dropped as a whole
    assert set(np.unique(ratio)) == {0.0, 2.0}
    assert 0.3 < (ratio == 0).mean() < 0.7
    dx = layer.backward(_ctx(backend, True), np.ones_like(x), mask, [], True)[0][0]
    np.testing.assert_array_equal(dx, ratio)
    np.testing.assert_array_equal(layer.forward(_ctx(backend, False), [x], [])[0], x)


def test_spatial_dropout_explains_wrong_rank():
    with pytest.raises(ShapeError, match="SpatialDropout2D 'sd'.*\\(None, 10\\).*Dropout"):
        _layer("SpatialDropout2D", name="sd").output_shape([(10,)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_gaussian_noise_and_dropout_are_training_only_and_have_keras_statistics(backend):
    x = np.full((200, 50), 2.0, np.float32)
    noise, gdrop = _layer("GaussianNoise", stddev=0.3), _layer("GaussianDropout", rate=0.2)
    for layer in (noise, gdrop):
        np.testing.assert_array_equal(layer.forward(_ctx(backend, False), [x], [])[0], x)
    added = noise.forward(_ctx(backend, True), [x], [])[0] - x
    assert abs(added.mean()) < 0.02 and abs(added.std() - 0.3) < 0.02
    factor = gdrop.forward(_ctx(backend, True), [x], [])[0] / x
    assert abs(factor.mean() - 1.0) < 0.02 and abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.02


# -- merges ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_elementwise_merges_compute_keras_results(backend):
    rng = np.random.default_rng(8)
    a, b, c = (rng.normal(0, 1, (4, 3, 2)).astype(np.float32) for _ in range(3))
    ctx = _ctx(backend, True)
    cases = {"Add": a + b + c, "Multiply": a * b * c, "Average": (a + b + c) / 3,
             "Maximum": np.maximum(np.maximum(a, b), c)}
    for name, expected in cases.items():
        out, _ = _layer(name).forward(ctx, [a, b, c], [])
        np.testing.assert_allclose(out, expected, rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(_layer("Subtract").forward(ctx, [a, b], [])[0], a - b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_maximum_gradient_goes_to_the_first_argmax(backend):
    a = np.array([[1.0, 5.0, 2.0]], np.float32)
    b = np.array([[3.0, 5.0, 2.0]], np.float32)
    c = np.array([[0.0, 1.0, 2.0]], np.float32)
    layer, ctx = _layer("Maximum"), _ctx(backend, True)
    _, cache = layer.forward(ctx, [a, b, c], [])
    grads, _ = layer.backward(ctx, np.array([[10.0, 20.0, 30.0]], np.float32), cache, [], True)
    np.testing.assert_array_equal(np.stack(grads)[:, 0], [[0, 20, 30], [10, 0, 0], [0, 0, 0]])


def test_add_mismatch_names_the_layer_every_shape_and_the_fix():
    add = _layer("Add", name="add")
    with pytest.raises(ShapeError) as err:
        add.output_shape([(8, 8, 16), (8, 8, 32)])
    text = str(err.value)
    assert text.startswith("Add 'add'") and "(None, 8, 8, 16) and (None, 8, 8, 32)" in text
    assert "1×1 Conv2D with 32 filters on the shortcut" in text
    with pytest.raises(ShapeError, match=r"\(None, 8, 8, 16\), \(None, 8, 8, 16\) and \(None, 4, 4, 32\).*"
                                         r"1×1 Conv2D with 32 filters and strides \(2, 2\)"):
        add.output_shape([(8, 8, 16), (8, 8, 16), (4, 4, 32)])
    with pytest.raises(ShapeError, match=r"Dense\(10\) on the input with 6 features"):
        add.output_shape([(6,), (10,)])
    assert add.output_shape([(8, 8, 16), (8, 8, 16)]) == (8, 8, 16)


def test_add_mismatch_shows_in_shape_inference_of_a_graph():
    g = Graph()
    wide = g.add_layer("InputLayer", {"shape": (8, 8, 32)})
    narrow = g.add_layer("InputLayer", {"shape": (8, 8, 16)})
    add = g.add_layer("Add", name="skip")
    g.connect(wide, add)
    g.connect(narrow, add)
    status = infer_shapes(g)[add]
    assert not status.ok
    assert "Add 'skip'" in status.error and "(None, 8, 8, 32) and (None, 8, 8, 16)" in status.error
    assert "1×1 Conv2D with 32 filters" in status.error


def test_subtract_takes_exactly_two_inputs():
    g = Graph()
    ids = [g.add_layer("InputLayer", {"shape": (3,)}) for _ in range(3)]
    sub = g.add_layer("Subtract")
    g.connect(ids[0], sub)
    g.connect(ids[1], sub)
    with pytest.raises(GraphError, match="Subtract"):
        g.connect(ids[2], sub)
    with pytest.raises(ShapeError, match="Subtract 'subtract': needs exactly 2 inputs but gets 3"):
        _layer("Subtract").output_shape([(3,), (3,), (3,)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_concatenate_joins_and_splits_along_the_axis(backend):
    rng = np.random.default_rng(9)
    a, b = rng.normal(0, 1, (2, 3, 3, 2)).astype(np.float32), rng.normal(0, 1, (2, 3, 3, 5)).astype(np.float32)
    layer, ctx = _layer("Concatenate"), _ctx(backend, True)
    assert layer.output_shape([(3, 3, 2), (3, 3, 5)]) == (3, 3, 7)
    out, cache = layer.forward(ctx, [a, b], [])
    np.testing.assert_array_equal(out, np.concatenate([a, b], axis=-1))
    grads, _ = layer.backward(ctx, out * 2, cache, [], True)
    np.testing.assert_array_equal(grads[0], 2 * a)
    np.testing.assert_array_equal(grads[1], 2 * b)
    assert _layer("Concatenate", axis=1).output_shape([(2, 4), (3, 4)]) == (5, 4)


def test_concatenate_axis_mismatch_is_explained():
    layer = _layer("Concatenate", name="cat")
    with pytest.raises(ShapeError) as err:
        layer.output_shape([(8, 8, 16), (4, 4, 16)])
    text = str(err.value)
    assert text.startswith("Concatenate 'cat'") and "(None, 8, 8, 16) and (None, 4, 4, 16)" in text
    assert "differ on axis 1, 2" in text and "pooling" in text
    with pytest.raises(ShapeError, match=r"differ on axis 1: join along axis 1 instead \(axis=1\)"):
        layer.output_shape([(2, 3), (4, 3)])
    with pytest.raises(ShapeError, match="same rank.*Flatten or Reshape"):
        layer.output_shape([(2, 3), (6,)])
    with pytest.raises(ShapeError, match="axis=0 .*batch axis"):
        _layer("Concatenate", name="cat", axis=0).output_shape([(2,), (3,)])


def test_merge_layers_are_in_the_merge_category_and_take_many_inputs():
    for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate"):
        cls = registry.get(name)
        assert cls.category == "Merge" and cls.min_inputs == 2
        assert cls.max_inputs == 2 if name == "Subtract" else cls.max_inputs > 100
    for name in ("SpatialDropout2D", "GaussianNoise", "GaussianDropout"):
        assert registry.get(name).category == "Regularization"


@pytest.mark.parametrize("name,config,shape", [("BatchNormalization", {}, (6, 6, 8)),
                                               ("LayerNormalization", {}, (5, 12)),
                                               ("LocalResponseNormalization", {"depth_radius": 2}, (6, 6, 9))])
def test_cpu_kernels_match_reference_on_larger_batches(name, config, shape):
    rng = np.random.default_rng(10)
    x = rng.normal(1, 2, (32,) + shape).astype(np.float32)
    layer = _layer(name, **config)
    weights = [np.ones(s.shape, np.float32) + rng.uniform(0, 0.5, s.shape).astype(np.float32)
               for s in layer.weight_specs([shape])]
    dout = rng.normal(0, 1, x.shape).astype(np.float32)
    results = {}
    for backend in BACKENDS:
        ws = [w.copy() for w in weights]
        ctx = _ctx(backend, True)
        out, cache = layer.forward(ctx, [x], ws)
        results[backend] = (out, *layer.backward(ctx, dout, cache, ws, True)[0], *ws)
    for got, ref in zip(results["cpu"], results["reference"]):
        np.testing.assert_allclose(got, ref, rtol=2e-4, atol=2e-4)
