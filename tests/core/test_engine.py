"""The whole-network engine: gradients through a graph with fan-out, backends agree, seeded initialisation."""

import numpy as np
import pytest

import core
from core.engine import build
from core.graph import Graph
from core.initializers import initialize


def fan_out_graph():
    """input → dense → (dense_a → out 1, dense_b → out 2): the hidden tensor feeds two layers."""
    g = Graph()
    i = g.add_layer(core.InputLayer(shape=(4,)))
    h = g.add_layer(core.Dense(5, activation="tanh"))
    a = g.add_layer(core.Dense(3, activation="softmax"))
    b = g.add_layer(core.Dense(2, activation="sigmoid"))
    g.connect(i, h)
    g.connect(h, a)
    g.connect(h, b)
    return g


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_network_gradients_with_fan_out_match_finite_differences(backend):
    net = build(fan_out_graph(), backend=backend, dtype=np.float64, seed=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    r = [rng.standard_normal((3, 3)), rng.standard_normal((3, 2))]

    def objective():
        outs = net.forward([x], training=True)
        return sum(float(np.sum(o * w)) for o, w in zip(outs, r))

    objective()
    net.backward(r)
    for layer_id in net.order:
        for w, g in zip(net.weights[layer_id], net.grads[layer_id]):
            analytic = g.copy()
            flat = w.reshape(-1)
            for j in range(flat.size):
                keep = flat[j]
                flat[j] = keep + 1e-6
                up = objective()
                flat[j] = keep - 1e-6
                down = objective()
                flat[j] = keep
                assert analytic.reshape(-1)[j] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-7)


def test_cpu_and_reference_networks_agree_float32():
    g = fan_out_graph()
    a, b = build(g, backend="cpu", seed=5), build(g, backend="reference", seed=5)
    x = np.random.default_rng(1).standard_normal((8, 4)).astype(np.float32)
    for oa, ob in zip(a.forward([x]), b.forward([x])):
        np.testing.assert_allclose(oa, ob, rtol=1e-5, atol=1e-6)


def test_initialisation_is_seeded_and_keras_scaled():
    g = fan_out_graph()
    w1, w2 = build(g, seed=7).get_weights(), build(g, seed=7).get_weights()
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(build(g, seed=8).get_weights()[0], w1[0])
    rng = np.random.default_rng(0)
    glorot = initialize("glorot_uniform", (200, 300), rng)
    assert np.abs(glorot).max() <= np.sqrt(6 / 500) and glorot.dtype == np.float32
    he = initialize("he_normal", (400, 400), rng)
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    assert np.abs(he).max() <= 2 * np.sqrt(2 / 400) / 0.87962566 + 1e-6  # truncated normal, as in Keras
    assert np.all(build(g, seed=7).get_weights()[1] == 0)  # biases start at zero


def test_selectable_initializers():
    g = Graph.chain([core.InputLayer(shape=(3,)), core.Dense(2, kernel_initializer="ones", bias_initializer="ones")])
    w = build(g).get_weights()
    assert np.all(w[0] == 1) and np.all(w[1] == 1)
