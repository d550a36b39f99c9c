"""Training on the cuda backend end to end: a small model learns, saves to .h5, loads on the cpu backend and
predicts the same; compiling for another backend keeps the weights and the optimiser state."""

import numpy as np

from core import Adam, Dense, Dropout, Sequential
from core.api import load_model


def _problem(n=32, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (3, 6))
    labels = rng.integers(0, 3, n)
    return (centres[labels] + rng.normal(0, 0.5, (n, 6))).astype(np.float32), labels


def _model(backend="cuda"):
    model = Sequential([Dense(8, activation="relu", input_dim=6), Dropout(0.2), Dense(3, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  backend=backend, seed=1)
    return model


def test_model_trains_on_cuda_saves_and_loads_on_cpu(tmp_path):
    x, y = _problem()
    model = _model()
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0], losses
    on_cpu = _model("cpu").fit(x, y, epochs=2, batch_size=16, verbose=0).history
    for key in ("loss", "accuracy"):  # same data order, same dropout masks: the same run as on the cpu
        np.testing.assert_allclose(history.history[key], on_cpu[key], rtol=1e-4)
    assert all(hasattr(w, "copy_to_host") for ws in model.network.weights.values() for w in ws), \
        "weights stay on the device during training"
    on_cuda = model.predict(x[:10])
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = load_model(path)
    assert loaded.backend == "cpu"
    np.testing.assert_allclose(loaded.predict(x[:10]), on_cuda, rtol=1e-4, atol=1e-6)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        assert isinstance(b, np.ndarray)
        np.testing.assert_array_equal(a, b)


def test_switching_backend_between_runs_keeps_weights_and_optimiser_state():
    x, y = _problem()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = model.get_weights()
    model.compile(optimizer=model.optimizer, loss="sparse_categorical_crossentropy", backend="cpu")
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # slots made on the device continue on the host
    assert all(isinstance(s, np.ndarray) for group in model.optimizer.slots for s in group)
    model.compile(optimizer=model.optimizer, loss="sparse_categorical_crossentropy", backend="cuda")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert all(hasattr(s, "copy_to_host") for group in model.optimizer.slots for s in group)
    assert np.isfinite(model.evaluate(x, y, verbose=0))
