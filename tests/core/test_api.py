"""The Keras-like API: the course snippet verbatim, the functional style, weights, summary, fit options."""

import io

import h5py
import numpy as np
import pytest

import core
from core.errors import ConfigError, ShapeError
from core.graph import Graph

FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures"


def separable_problem(n=2000, seed=0):
    """20 features, 10 classes around well-separated centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (10, 20)) * 2
    labels = rng.integers(0, 10, n)
    x = (centres[labels] + rng.normal(0, 1, (n, 20))).astype(np.float32)
    return x, np.eye(10, dtype=np.float32)[labels]


def test_course_snippet_runs_verbatim_and_learns():
    x, y = separable_problem()
    x_train, y_train, x_test, y_test = x[:1500], y[:1500], x[1500:], y[1500:]
    from core import Sequential, Dense, Dropout, SGD

    model = Sequential()
    model.add(Dense(64, activation='relu', input_dim=20))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation='softmax'))
    sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])
    model.fit(x_train, y_train, epochs=20, batch_size=128)
    score = model.evaluate(x_test, y_test, batch_size=128)

    loss, accuracy = score
    assert accuracy > 0.8, score  # chance is 0.1
    assert loss < 1.0


def test_functional_model_equals_sequential_with_same_weights():
    x, y = separable_problem(200)
    inp = core.Input(shape=(20,))
    h = core.Dense(16, activation="tanh")(inp)
    out = core.Dense(10, activation="softmax")(h)
    functional = core.Model(inputs=inp, outputs=out)
    seq = core.Sequential([core.Dense(16, activation="tanh", input_shape=(20,)), core.Dense(10, activation="softmax")])
    seq.set_weights(functional.get_weights())
    np.testing.assert_array_equal(functional.predict(x), seq.predict(x))
    assert functional.graph.is_chain()


def test_model_from_graph_shares_the_graph():
    g = Graph.chain([core.InputLayer(shape=(3,)), core.Dense(2)])
    model = core.Model.from_graph(g)
    assert model.graph is g
    assert model.predict(np.ones((4, 3))).shape == (4, 2)
    g.set_config(g.layer_ids[1], {"units": 5})  # an edit on the canvas rebuilds the network
    assert model.predict(np.ones((4, 3))).shape == (4, 5)


def test_weights_in_keras_order_and_layouts():
    model = core.Sequential([core.Dense(4, input_dim=3), core.Dropout(0.1), core.Dense(2)])
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 4), (4,), (4, 2), (2,)]
    assert model.network.weight_names() == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
    with pytest.raises(ShapeError, match="dense/kernel"):
        model.set_weights([np.zeros((4, 3)), np.zeros(4), np.zeros((4, 2)), np.zeros(2)])


def test_keras_mlp_fixture_forward_matches_keras():
    """Weights read with h5py from a file written by Keras 3; the forward pass reproduces Keras's predict."""
    io_ = np.load(FIXTURES / "keras3_mlp_io.npz")
    with h5py.File(FIXTURES / "keras3_mlp.h5", "r") as f:
        group = f["model_weights"]
        weights = []
        for layer in group.attrs["layer_names"]:
            names = group[layer].attrs["weight_names"]
            weights += [group[layer][n][()] for n in names]
    model = core.Sequential([core.Dense(64, activation="relu", input_dim=20), core.Dropout(0.5),
                             core.Dense(10, activation="softmax")])
    model.set_weights(weights)
    np.testing.assert_allclose(model.predict(io_["x"]), io_["y"], atol=1e-5, rtol=0)


def test_summary_table():
    model = core.Sequential([core.Dense(64, activation="relu", input_dim=20), core.Dense(10)])
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text and "(None, 64)" in text and "1,344" in text
    assert "Total params: 1,994" in text and "Trainable params: 1,994" in text


def test_fit_validation_split_history_and_callbacks():
    x, y = separable_problem(400)
    seen = []

    class Recorder(core.Callback):
        def on_epoch_end(self, record):
            seen.append(record)

    model = core.Sequential([core.Dense(16, activation="relu", input_dim=20), core.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, callbacks=[Recorder()], verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    assert len(history.history["loss"]) == 3 and history.epoch == [0, 1, 2]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [r.epoch for r in seen] == [0, 1, 2] and all(r.samples_per_second > 0 for r in seen)
    logs = model.evaluate(x[300:], y[300:], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(history.history["val_loss"][-1], rel=1e-5)


def test_fit_with_validation_data_sparse_labels_and_string_names():
    x, y = separable_problem(300)
    labels = y.argmax(1)
    model = core.Sequential([core.Dense(10, activation="softmax", input_dim=20)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, labels, epochs=2, validation_data=(x[:50], labels[:50]), shuffle=False, verbose=0)
    assert "val_accuracy" in h.history


def test_verbose_1_shows_a_progress_bar_with_loss_and_eta(capsys):
    x, y = separable_problem(256)
    model = core.Sequential([core.Dense(10, activation="softmax", input_dim=20)])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    buf = io.StringIO()
    from core.progress import ProgressBar
    model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[ProgressBar(1, file=buf)])
    text = buf.getvalue()
    assert "Epoch 1" in text and "4/4" in text and "loss" in text and "accuracy" in text


def test_every_registered_type_is_importable_from_core():
    from core.layers import registry
    for name in registry.all_types():
        assert getattr(core, name) is registry.get(name)
    assert core.SGD and core.Adam and core.CategoricalCrossentropy


def test_clear_errors_for_common_mistakes():
    model = core.Sequential([core.Dense(10, input_dim=20)])
    with pytest.raises(ConfigError, match="compile"):
        model.fit(np.zeros((4, 20)), np.zeros((4, 10)), verbose=0)
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ShapeError, match=r"expects data of shape \(None, 20\) but got \(None, 21\)"):
        model.fit(np.zeros((4, 21)), np.zeros((4, 10)), verbose=0)
    with pytest.raises(ShapeError, match="different numbers of samples"):
        model.fit(np.zeros((4, 20)), np.zeros((5, 10)), verbose=0)
    bad = np.zeros((4, 20))
    bad[1, 2] = np.nan
    with pytest.raises(ShapeError, match="1 NaN"):
        model.fit(bad, np.zeros((4, 10)), verbose=0)
    with pytest.raises(ConfigError, match="unknown optimizer"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ConfigError, match="learning_rate"):
        core.SGD(learning_rate=-1)


def test_sequential_without_input_shape_builds_on_first_data():
    model = core.Sequential([core.Dense(3), core.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 5)), np.ones((8, 1)), epochs=1, verbose=0)
    assert model.get_weights()[0].shape == (5, 3)
