"""Looking inside a network: layer outputs equal the network's own prediction, input gradients equal finite
differences, and Grad-CAM lights the part of the image the class depends on."""

import numpy as np
import pytest

import core
from core.engine import build
from core.graph import Graph
from core.inspect import conv_layers, grad_cam, gradient_times_input, input_gradient, layer_outputs, look


def chain_graph(*layers):
    g = Graph()
    ids = [g.add_layer(layer) for layer in layers]
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    return g


def dense_graph():
    return chain_graph(core.InputLayer(shape=(5,)), core.Dense(7, activation="relu"), core.Dense(4, activation="tanh"),
                       core.Dense(3, activation="softmax"))


def cnn_graph(side=6, classes=3):
    return chain_graph(core.InputLayer(shape=(side, side, 1)), core.Conv2D(4, 3, padding="same", activation="tanh"),
                       core.MaxPooling2D(pool_size=2), core.Flatten(), core.Dense(classes, activation="softmax"))


@pytest.mark.parametrize("graph", [dense_graph, cnn_graph])
def test_the_output_layer_equals_predict(graph):
    net = build(graph(), backend="cpu", seed=3)
    shape = net.output_shapes[net.input_ids[0]]
    x = np.random.default_rng(0).standard_normal((9, *shape)).astype(np.float32)
    outs = layer_outputs(net, x)
    assert set(outs) == set(net.order)
    np.testing.assert_allclose(outs[net.output_ids[0]], net.predict([x])[0], rtol=1e-5, atol=1e-6)
    for layer_id in net.order:
        assert outs[layer_id].shape == (9, *net.output_shapes[layer_id])


def test_the_dense_chain_trains_and_the_layers_still_answer():
    net = build(dense_graph(), backend="cpu", seed=1)
    assert net.executor.name != "layer by layer"  # the fast path runs the network; the layers answer alike
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    hidden = net.order[1]
    chosen = layer_outputs(net, x, [hidden])
    assert list(chosen) == [hidden]
    w, b = (net.ctx.k.to_host(a) for a in net.weights[hidden])
    np.testing.assert_allclose(chosen[hidden], np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    with pytest.raises(KeyError):
        layer_outputs(net, x, ["nope"])


def finite_difference(net, x, class_index, eps=1e-6):
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        keep = flat[j]
        flat[j] = keep + eps
        up = net.predict([x])[0][:, class_index].sum()
        flat[j] = keep - eps
        down = net.predict([x])[0][:, class_index].sum()
        flat[j] = keep
        out[j] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("graph", [dense_graph, lambda: cnn_graph(side=4)])
def test_the_input_gradient_matches_finite_differences(graph):
    net = build(graph(), backend="reference", dtype=np.float64, seed=4)
    shape = net.output_shapes[net.input_ids[0]]
    x = np.random.default_rng(5).standard_normal((2, *shape))
    for class_index in (0, 2):
        analytic = input_gradient(net, x, class_index)
        assert analytic.dtype == np.float64
        np.testing.assert_allclose(analytic, finite_difference(net, x, class_index), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(gradient_times_input(net, x, 1), input_gradient(net, x, 1) * x)
    with pytest.raises(ValueError):
        input_gradient(net, x, 3)


def test_the_gradients_leave_the_training_slots_alone():
    net = build(cnn_graph(), backend="cpu", seed=0)
    before = [net.ctx.k.to_host(g).copy() for i in net.order for g in net.grads[i] if g is not None]
    x = np.ones((2, 6, 6, 1), np.float32)
    input_gradient(net, x, 0)
    grad_cam(net, x, 0, conv_layers(net)[0])
    after = [net.ctx.k.to_host(g) for i in net.order for g in net.grads[i] if g is not None]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert net.ctx.training is False


def quadrant_data(n=240, side=8, seed=0):
    """Noise images; class 1 when the top-left quadrant holds a bright square, else 0 (the rest is noise alike)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.3, (n, side, side, 1)).astype(np.float32)
    y = np.arange(n) % 2
    half = side // 2
    for i in np.flatnonzero(y):
        r, c = rng.integers(0, half - 1, 2)
        x[i, r:r + 2, c:c + 2, 0] = 1.0
    for i in np.flatnonzero(y == 0):  # a bright square elsewhere, so brightness alone does not tell the class
        r, c = rng.integers(half, side - 1, 2)
        x[i, r:r + 2, c:c + 2, 0] = 1.0
    return x, y


def test_grad_cam_lights_the_quadrant_the_class_depends_on():
    x, y = quadrant_data()
    model = core.Sequential([core.InputLayer(shape=(8, 8, 1)), core.Conv2D(8, 3, padding="same", activation="relu"),
                             core.Flatten(), core.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], seed=0)
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    net = model.network
    ones = x[y == 1][:20]
    cam = grad_cam(net, ones, 1, conv_layers(net)[-1])
    assert cam.shape == (20, 8, 8)
    quadrants = np.stack([cam[:, :4, :4], cam[:, :4, 4:], cam[:, 4:, :4], cam[:, 4:, 4:]], 1).mean(axis=(2, 3))
    assert (quadrants.argmax(axis=1) == 0).mean() >= 0.8
    with pytest.raises(ValueError):
        grad_cam(net, ones, 1, net.order[-1])


def test_look_gives_the_layer_the_prediction_and_where_an_image_net_looked():
    net = build(cnn_graph(), backend="cpu", seed=2)
    sample = np.random.default_rng(1).standard_normal((6, 6, 1)).astype(np.float32)
    seen = look(net, sample, net.order[1])
    assert seen.output.shape == (6, 6, 4)
    assert seen.probabilities.shape == (3,) and seen.predicted == int(seen.probabilities.argmax())
    assert seen.saliency.shape == (6, 6) and seen.cam.shape == (6, 6)
    assert look(net, sample).layer_id == net.output_ids[0]
    flat = look(build(dense_graph(), backend="cpu"), np.zeros(5, np.float32))
    assert flat.saliency is None and flat.cam is None
