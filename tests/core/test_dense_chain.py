"""The Dense-chain executor equals the layer-by-layer one, covers what it says, and leaves the rest alone."""

import numpy as np
import pytest

import core
from core.engine import build
from core.executors.dense_chain import HONOURED_DENSE_PARAMS, DenseChain
from core.executors.layer_by_layer import LayerByLayer
from core.training import Trainer

CASES = [  # hidden activations, output activation, output units, loss
    (("relu", "tanh"), "softmax", 4, "sparse_categorical_crossentropy"),
    (("sigmoid",), "softmax", 3, "categorical_crossentropy"),
    (("linear", "relu"), "sigmoid", 1, "binary_crossentropy"),
    (("tanh",), None, 2, "mse"),
    (("relu",), "relu", 2, "mae"),
    (("relu",), "softmax", 3, "mse"),  # a loss on the softmax output, taken back through the softmax
    (("sigmoid", "tanh", "relu"), "tanh", 2, "hinge"),
]


def targets(loss, units, n, rng):
    if loss == "sparse_categorical_crossentropy":
        return rng.integers(0, units, n)
    if loss == "categorical_crossentropy":
        return np.eye(units)[rng.integers(0, units, n)]
    if loss in ("binary_crossentropy", "hinge"):
        return rng.integers(0, 2, (n, units)).astype(float)
    return rng.standard_normal((n, units))


def trainer(hidden, out, units, loss, dtype, fused, optimizer=None, **dense):
    layers = [core.Dense(5 + i, activation=a, input_dim=6 if i == 0 else None, **dense) for i, a in enumerate(hidden)]
    graph = core.Sequential(layers + [core.Dense(units, activation=out)]).graph
    executor = DenseChain.name if fused else LayerByLayer.name
    return Trainer(build(graph, seed=3, dtype=dtype, executor=executor), loss, optimizer or core.Adam(0.01), seed=0)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("batch", [1, 3, 9])
@pytest.mark.parametrize("case", CASES, ids=[c[3] + "-" + str(c[1]) for c in CASES])
def test_fused_steps_match_the_general_engine(case, batch, dtype, rtol):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 6))
    y = targets(case[3], case[2], 20, rng)
    fused, general = trainer(*case, dtype, True), trainer(*case, dtype, False)
    assert isinstance(fused.network.executor, DenseChain)
    assert isinstance(general.network.executor, LayerByLayer)
    h_fused = fused.fit(x, y, epochs=2, batch_size=batch)
    h_general = general.fit(x, y, epochs=2, batch_size=batch)
    np.testing.assert_allclose(h_fused.history["loss"], h_general.history["loss"], rtol=rtol)
    for a, b in zip(fused.network.get_weights(), general.network.get_weights()):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)


def test_fused_step_with_regularisers_no_bias_and_momentum_matches():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((16, 6)), rng.integers(0, 3, 16)
    kw = dict(kernel_regularizer={"l1": 0.01, "l2": 0.02}, use_bias=False)
    args = (("relu",), "softmax", 3, "sparse_categorical_crossentropy", np.float64)
    runs = [trainer(*args, fused, core.SGD(0.1, momentum=0.9, nesterov=True), **kw) for fused in (True, False)]
    losses = [t.fit(x, y, epochs=3, batch_size=4).history["loss"] for t in runs]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-10)
    for a, b in zip(*(t.network.get_weights() for t in runs)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_fused_outputs_are_the_network_outputs_and_are_copies():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((5, 6)), rng.integers(0, 4, 5)
    t = trainer(("relu",), "softmax", 4, "sparse_categorical_crossentropy", np.float64, True)
    expected = t.network.forward([x])[0]
    assert isinstance(t.network.executor, DenseChain)  # one per network: training, evaluation and predictions
    _, (out,) = t.train_batch([x], [y])
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    t.train_batch([x], [y])
    np.testing.assert_allclose(out, expected, rtol=1e-12)  # not overwritten by the next batch


def test_nan_loss_in_a_fused_step_applies_no_update():
    t = trainer(("tanh",), "softmax", 2, "sparse_categorical_crossentropy", np.float32, True)
    before = t.network.get_weights()
    x = np.full((4, 6), np.nan, np.float32)
    loss, _ = t.train_batch([x], [np.array([0, 1, 0, 1])])
    assert not np.isfinite(loss)
    for a, b in zip(before, t.network.get_weights()):
        np.testing.assert_array_equal(a, b)


def other_networks():
    dense = lambda **kw: core.Dense(3, input_dim=4, **kw)  # noqa: E731
    yield "elu hidden activation", core.Sequential([dense(activation="elu"), core.Dense(2)]).graph, "cpu"
    yield "softmax hidden", core.Sequential([dense(activation="softmax"), core.Dense(2)]).graph, "cpu"
    yield "dropout", core.Sequential([dense(), core.Dropout(0.5), core.Dense(2)]).graph, "cpu"
    yield "2-D input", core.Sequential([core.Dense(3, input_shape=(5, 4)), core.Dense(2)]).graph, "cpu"
    yield "reference backend", core.Sequential([dense(), core.Dense(2)]).graph, "reference"
    inp = core.Input(shape=(4,))
    a, b = core.Dense(3)(inp), core.Dense(3)(inp)
    yield "branches", core.Model(inp, core.Add()([a, b])).graph, "cpu"


@pytest.mark.parametrize("name,graph,backend", list(other_networks()), ids=lambda v: v if isinstance(v, str) else "")
def test_networks_outside_the_chain_train_through_the_general_engine(name, graph, backend):
    net = build(graph, backend=backend)
    assert DenseChain.of(net) is None
    assert isinstance(net.executor, LayerByLayer)


def test_the_chain_honours_every_parameter_of_dense():
    """A parameter added to Dense must be honoured by the chain (and listed) or make the chain refuse the layer."""
    assert {p.name for p in core.Dense.params} == HONOURED_DENSE_PARAMS


def test_a_dense_layer_with_a_parameter_the_chain_does_not_know_is_no_chain_link():
    model = core.Sequential([core.Dense(3, input_dim=4), core.Dense(2)])
    layer = model.graph.layer(model.graph.topological_order()[-1])
    layer.config["kernel_constraint"] = "non_neg"  # as if Dense had gained a parameter
    assert DenseChain.of(build(model.graph)) is None


def test_forcing_the_chain_on_a_network_it_does_not_cover_is_refused():
    graph = core.Sequential([core.Dense(3, input_dim=4), core.Dropout(0.5), core.Dense(2)]).graph
    with pytest.raises(core.ConfigError, match="dense chain"):
        build(graph, executor=DenseChain.name)


@pytest.mark.parametrize("case", CASES[:3], ids=[c[3] for c in CASES[:3]])
def test_predict_through_the_chain_equals_the_general_forward(case):
    net = trainer(*case, np.float64, True).network
    x = np.random.default_rng(5).standard_normal((23, 6))
    assert isinstance(net.executor, DenseChain)
    np.testing.assert_allclose(net.predict([x], batch_size=5)[0], net.forward([x])[0], rtol=1e-12)
