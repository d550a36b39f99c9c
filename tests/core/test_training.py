"""The Trainer: control from another thread, NaN guard, reproducibility, regularisers."""

import threading

import numpy as np
import pytest

import core
from core.engine import build
from core.errors import TrainingError
from core.training import Callback, Trainer


def problem(n=512, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype(np.float32)
    y = (x[:, :4].sum(1) > 0).astype(np.int64)
    return x, y


def make_trainer(seed=0, lr=0.05):
    g = core.Sequential([core.Dense(16, activation="relu", input_dim=8), core.Dense(2, activation="softmax")]).graph
    return Trainer(build(g, seed=seed), "sparse_categorical_crossentropy", core.SGD(lr, momentum=0.9),
                   ["accuracy"], seed=seed)


class Gate(Callback):
    """Lets the test thread see batch ends as they happen."""

    def __init__(self):
        self.batches = []
        self.event = threading.Event()

    def on_batch_end(self, record):
        self.batches.append((record.epoch, record.batch))
        self.event.set()


def test_pause_step_resume_stop_from_another_thread():
    x, y = problem()
    trainer = make_trainer()
    gate = Gate()
    trainer.pause()
    result = {}
    worker = threading.Thread(target=lambda: result.update(h=trainer.fit(x, y, epochs=50, batch_size=32,
                                                                          callbacks=[gate])))
    worker.start()
    assert not gate.event.wait(0.3) and gate.batches == []  # paused before the first batch
    trainer.step()
    assert gate.event.wait(5)
    gate.event.clear()
    assert not gate.event.wait(0.3) and gate.batches == [(0, 0)]  # exactly one batch, then paused again
    trainer.step()
    assert gate.event.wait(5) and gate.batches == [(0, 0), (0, 1)]
    gate.event.clear()
    trainer.resume()
    assert gate.event.wait(5)
    trainer.stop()
    worker.join(10)
    assert not worker.is_alive()
    assert result["h"].stop_reason == "stopped by the user"
    assert len(gate.batches) < 50 * 16
    weights = trainer.network.get_weights()
    assert all(np.all(np.isfinite(w)) for w in weights)
    logs = trainer.evaluate(x, y)  # the weights stay usable after a stop
    assert np.isfinite(logs["loss"])


def test_stop_while_paused_ends_cleanly():
    x, y = problem()
    trainer = make_trainer()
    trainer.pause()
    worker = threading.Thread(target=lambda: trainer.fit(x, y, epochs=3))
    worker.start()
    trainer.stop()
    worker.join(5)
    assert not worker.is_alive()


def test_nan_loss_stops_with_epoch_and_batch_and_keeps_weights_finite():
    x, y = problem()
    x[300] = 1e30  # overflows float32 activations
    trainer = make_trainer()
    with pytest.raises(TrainingError, match=r"at epoch 1, batch \d+: training stopped before applying"):
        trainer.fit(x, y, epochs=1, batch_size=32, shuffle=False)
    assert all(np.all(np.isfinite(w)) for w in trainer.network.get_weights())


def test_same_seed_same_numbers():
    x, y = problem()
    runs = []
    for _ in range(2):
        trainer = make_trainer(seed=3)
        trainer.network.layers[trainer.network.order[1]]  # noqa: B018
        h = trainer.fit(x, y, epochs=2, batch_size=32)
        runs.append((h.history["loss"], trainer.network.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_records_carry_learning_rate_and_throughput():
    x, y = problem(128)
    records = []

    class Keep(Callback):
        def on_batch_end(self, r):
            records.append(r)

        def on_epoch_end(self, r):
            records.append(r)

    trainer = Trainer(make_trainer().network, "sparse_categorical_crossentropy", core.SGD(0.1, decay=0.5),
                      ["accuracy"])
    trainer.fit(x, y, epochs=1, batch_size=64, callbacks=[Keep()])
    assert [round(r.learning_rate, 6) for r in records[:2]] == [0.1, round(0.1 / 1.5, 6)]
    assert records[-1].samples_per_second > 0 and "accuracy" in records[-1].logs


def test_l2_regulariser_adds_penalty_and_gradient():
    g = core.Sequential([core.Dense(3, input_dim=4, kernel_regularizer={"l2": 0.5}, use_bias=False)]).graph
    net = build(g, dtype=np.float64)
    trainer = Trainer(net, "mse", core.SGD(0.1))
    x, y = np.ones((2, 4)), np.zeros((2, 3))
    w = net.weights[net.order[1]][0]
    plain, _ = Trainer(build(core.Sequential([core.Dense(3, input_dim=4, use_bias=False)]).graph,
                             dtype=np.float64), "mse", core.SGD(0.1)).compute_loss([x], [y], False)
    loss, _ = trainer.compute_loss([x], [y], training=True)
    assert loss == pytest.approx(np.mean((x @ w) ** 2) + 0.5 * np.sum(w * w))
    expected = 2 * x.T @ (x @ w) / (x @ w).size + 2 * 0.5 * w
    np.testing.assert_allclose(net.grads[net.order[1]][0], expected, rtol=1e-10)
    assert plain != loss


def test_blas_runs_on_one_thread_while_training_and_is_restored_after():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    before = blas_threads()
    seen = []

    class Probe(Callback):
        def on_batch_end(self, record):
            seen.append(blas_threads())

    x, y = problem(64)
    make_trainer().fit(x, y, epochs=1, batch_size=32, callbacks=[Probe()])
    assert seen and all(s == {1} for s in seen)
    assert blas_threads() == before


class CountingSource:
    """An array-like read from 'disk' on demand that records how many rows each read asks for."""

    def __init__(self, array):
        self.array, self.reads = array, []
        self.shape, self.dtype = array.shape, array.dtype

    def __len__(self):
        return len(self.array)

    def __getitem__(self, key):
        rows = self.array[key]
        self.reads.append(len(rows))
        return rows.copy()


def test_data_read_on_demand_is_read_a_batch_at_a_time(tmp_path):
    x, y = problem(256)
    source = CountingSource(x)
    model = core.Sequential([core.Dense(8, activation="relu", input_dim=8), core.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(source, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    assert source.reads and max(source.reads) <= 32  # never the whole set
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "x.npy"
    np.save(path, x)
    mapped = np.load(path, mmap_mode="r")
    model.fit(mapped, y, epochs=1, batch_size=32, verbose=0)
    assert model.predict(mapped).shape == (256, 2)


def test_nan_in_data_read_on_demand_is_reported_with_its_rows():
    x, y = problem(128)
    x[70, 3] = np.nan
    trainer = make_trainer()
    with pytest.raises(core.ShapeError, match=r"1 NaN or infinite values in rows 64\.\.95"):
        trainer.fit(CountingSource(x), y, epochs=1, batch_size=32, shuffle=False)
