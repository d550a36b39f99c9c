"""A small ResNet drawn as a Graph: two residual blocks (an identity shortcut, then a strided block whose
shortcut is a 1×1 Conv2D projection), BatchNormalization throughout. It builds, trains on 8×8 images of
horizontal or vertical bars, and its loss falls (also at inference, which uses the moving statistics)."""

import numpy as np

from core.api import Model
from core.graph import Graph
from core.optimizers import Adam
from core.shapes import infer_shapes


def _chain(g: Graph, source: str, *layers: tuple[str, dict]) -> str:
    for type_name, config in layers:
        new = g.add_layer(type_name, config)
        g.connect(source, new)
        source = new
    return source


# momentum 0.9 instead of Keras's 0.99: the moving statistics must settle within the 15 batches trained here
BN = ("BatchNormalization", {"momentum": 0.9})


def _residual_block(g: Graph, x: str, filters: int, stride: int, project: bool) -> str:
    """conv-BN-relu-conv-BN on the main path, Add with the shortcut, relu."""
    main = _chain(g, x,
                  ("Conv2D", {"filters": filters, "kernel_size": 3, "strides": stride, "padding": "same"}),
                  BN, ("Activation", {"activation": "relu"}),
                  ("Conv2D", {"filters": filters, "kernel_size": 3, "padding": "same"}), BN)
    shortcut = x
    if project:
        shortcut = _chain(g, x, ("Conv2D", {"filters": filters, "kernel_size": 1, "strides": stride}), BN)
    add = g.add_layer("Add")
    g.connect(main, add)
    g.connect(shortcut, add)
    return _chain(g, add, ("Activation", {"activation": "relu"}))


def resnet_graph(project: bool = True) -> Graph:
    g = Graph()
    x = g.add_layer("InputLayer", {"shape": (8, 8, 1)})
    x = _chain(g, x, ("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "same"}),
               BN, ("Activation", {"activation": "relu"}))
    x = _residual_block(g, x, 4, 1, project=False)
    x = _residual_block(g, x, 8, 2, project=project)
    _chain(g, x, ("Flatten", {}), ("Dense", {"units": 2, "activation": "softmax"}))
    return g


def bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """8×8 noisy images of one horizontal (class 0) or vertical (class 1) bar at a random place."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.3, (n, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 2, n)
    pos = rng.integers(0, 8, n)
    for i in range(n):
        if y[i] == 0:
            x[i, pos[i], :, 0] += 1.0
        else:
            x[i, :, pos[i], 0] += 1.0
    return x, y


def test_resnet_builds_with_projection_shortcut():
    g = resnet_graph()
    status = infer_shapes(g)
    assert all(s.ok for s in status.values()), [s.error for s in status.values() if not s.ok]
    adds = [i for i in g.layer_ids if g.layer(i).type_name == "Add"]
    assert [status[i].output_shape for i in adds] == [(8, 8, 4), (4, 4, 8)]
    assert [status[i].input_shapes for i in adds][1] == [(4, 4, 8), (4, 4, 8)]
    convs = [g.layer(i) for i in g.layer_ids if g.layer(i).type_name == "Conv2D"]
    assert [c.config["kernel_size"] for c in convs].count((1, 1)) == 1  # the projection shortcut


def test_resnet_without_projection_explains_the_fix():
    status = infer_shapes(resnet_graph(project=False))
    errors = [s.error for s in status.values() if s.error and not s.error.startswith("waiting")]
    assert len(errors) == 1
    assert errors[0].startswith("Add 'add_1'") and "(None, 4, 4, 8) and (None, 8, 8, 4)" in errors[0]
    assert "1×1 Conv2D with 8 filters and strides (2, 2)" in errors[0]


def test_resnet_trains_and_its_loss_falls():
    x, y = bars(160, seed=0)
    x_test, y_test = bars(128, seed=1)
    model = Model.from_graph(resnet_graph())
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], seed=3)
    bn_id = model.graph.id_of("batch_normalization")
    moving_mean = model.network.weights[bn_id][2].copy()
    before = model.evaluate(x_test, y_test, verbose=0)[0]
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert not np.allclose(model.network.weights[bn_id][2], moving_mean)  # training moved the moving mean
    after, accuracy = model.evaluate(x_test, y_test, verbose=0)  # inference: the moving statistics
    assert after < 0.7 * before and accuracy > 0.8, (before, after, accuracy)
    probs = model.predict(x_test[:5])
    assert probs.shape == (5, 2) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_resnet_predictions_do_not_depend_on_the_batch():
    model = Model.from_graph(resnet_graph())
    x, _ = bars(6, seed=0)
    np.testing.assert_allclose(model.predict(x)[:2], model.predict(x[:2]), rtol=1e-5, atol=1e-6)
