"""NaN and infinity: an overflowing update leaves finite weights and a loadable file; kernels let NaN through
instead of turning it into plausible numbers; bad batch sizes and epoch counts are refused, not rounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import core
from core.activations import CODES
from core.api import load_model, save_model
from core.errors import ConfigError, ShapeError, TrainingError
from core.kernels import get_backend

ROOT = Path(__file__).resolve().parents[2]


def _overflowing(n: int = 256) -> tuple[core.Sequential, np.ndarray, np.ndarray]:
    """A classifier whose first update, with a learning rate of 1e38 on inputs of size 100, overflows its
    weights to infinity while the loss of that batch is still finite."""
    rng = np.random.default_rng(0)
    x = (100 * rng.standard_normal((n, 4))).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = core.Sequential([core.Dense(16, activation="relu", input_dim=4), core.Dense(2, activation="softmax")])
    model.compile(optimizer=core.SGD(1e38), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def _finite(model) -> bool:
    return all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_an_update_that_overflows_the_weights_puts_back_the_last_finite_ones(tmp_path):
    model, x, y = _overflowing()
    before = model.get_weights()
    with pytest.raises(TrainingError, match="NaN or infinite.*put back.*start of epoch 1"):
        model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert _finite(model)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # the epoch's start
    optimizer_state = model.optimizer.get_state()
    assert all(np.all(np.isfinite(s)) for group in optimizer_state["slots"] for s in group)
    save_model(model, tmp_path / "after_nan.h5")
    loaded = load_model(tmp_path / "after_nan.h5")  # was refused: "holds NaN or infinite values"
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights()))


def test_the_last_update_overflowing_is_caught_though_no_later_loss_shows_it():
    model, x, y = _overflowing()
    with pytest.raises(TrainingError, match="last update of epoch 1"):
        model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)  # one batch: one update, no batch after it
    assert _finite(model)


def test_finite_training_is_left_alone():
    model, x, y = _overflowing()
    model.compile(optimizer=core.SGD(0.001), loss="sparse_categorical_crossentropy")
    history = model.fit(x / 100, y, epochs=2, batch_size=32, verbose=0)
    assert history.stop_reason is None and len(history.epoch) == 2 and _finite(model)


# -- kernels -----------------------------------------------------------------------------------------------------------
ACTIVATIONS = [name for name in CODES if name != "softmax"]


@pytest.mark.parametrize("backend", ["reference", "cpu"])
@pytest.mark.parametrize("name", ACTIVATIONS + ["softmax"])
def test_every_activation_keeps_nan(backend, name):
    k = get_backend(backend)
    z = np.array([[np.nan, -1.0, 0.5, 2.0]], np.float32)
    with np.errstate(invalid="ignore"):
        y = k.activation_forward(z, CODES[name])
    assert np.isnan(y[0, 0])
    if name != "softmax":
        assert np.all(np.isfinite(y[0, 1:]))


@pytest.mark.parametrize("backend", ["reference", "cpu"])
@pytest.mark.parametrize("pool,strides", [((2, 2), (2, 2)), ((3, 3), (1, 1)), ((2, 2), (1, 1))],
                         ids=["2x2", "3x3", "overlapping"])
def test_max_pooling_keeps_nan(backend, pool, strides):
    k = get_backend(backend)
    x = np.ones((2, 4, 4, 3), np.float32)
    x[0, 0, 1, 0] = np.nan  # in the first window of sample 0, channel 0 only
    x[1, 3, 3, 2] = np.nan  # the last cell of sample 1, channel 2
    y, index = k.max_pool2d_forward(x, pool, strides, "valid")
    assert np.isnan(y[0, 0, 0, 0]) and np.isnan(y[1, -1, -1, 2])
    assert np.count_nonzero(np.isnan(y[:, :, :, 1])) == 0 and np.count_nonzero(np.isnan(y[1, :, :, :2])) == 0
    if backend == "reference":  # the spec: the first NaN wins (elsewhere the index of a NaN window is any cell)
        assert index[0, 0, 0, 0] == 1 and index[1, -1, -1, 2] == 15


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_global_max_pooling_keeps_nan(backend):
    k = get_backend(backend)
    x = np.ones((2, 5, 3), np.float32)
    x[0, 2, 1] = np.nan
    y, index = k.global_max_pool_forward(x)
    assert np.isnan(y[0, 1]) and index[0, 1] == 2
    assert np.count_nonzero(np.isnan(y)) == 1


def test_the_cpu_kernels_agree_with_the_reference_on_nan():
    ref, cpu = get_backend("reference"), get_backend("cpu")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 6, 4)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    for pool, strides in (((2, 2), (2, 2)), ((3, 3), (2, 2))):
        (y_ref, i_ref), (y_cpu, i_cpu) = (b.max_pool2d_forward(x, pool, strides, "same") for b in (ref, cpu))
        np.testing.assert_array_equal(y_ref, y_cpu)  # NaN in the same places
        assert np.isnan(y_cpu).any() and not np.isnan(y_cpu).all()
        finite = np.isfinite(y_ref)
        np.testing.assert_array_equal(i_ref[finite], i_cpu[finite])


def test_a_relu_classifier_gives_nan_not_a_plausible_answer_for_nan_inputs():
    model = core.Sequential([core.Dense(8, activation="relu", input_dim=3), core.Dense(3, activation="softmax")])
    out = model.predict(np.full((2, 3), np.nan, np.float32))
    assert np.all(np.isnan(out))  # was [1/3, 1/3, 1/3]: ReLU turned NaN into 0


CUDA_SCRIPT = """
import numpy as np
from core.activations import CODES
from core.kernels import get_backend
k = get_backend("cuda")
y = k.to_host(k.activation_forward(k.to_device(np.array([np.nan, -1.0, 2.0], np.float32)), CODES["relu"]))
assert np.isnan(y[0]) and y[1] == 0 and y[2] == 2, y
x = np.ones((1, 4, 4, 1), np.float32); x[0, 0, 1, 0] = np.nan
y, index = k.max_pool2d_forward(k.to_device(x), (2, 2), (2, 2), "valid")
y, index = k.to_host(y), k.to_host(index)
assert np.isnan(y[0, 0, 0, 0]) and index[0, 0, 0, 0] == 1 and np.count_nonzero(np.isnan(y)) == 1, y
y, index = k.global_max_pool_forward(k.to_device(x.reshape(1, 16, 1)))
assert np.isnan(k.to_host(y)[0, 0]) and k.to_host(index)[0, 0] == 1
print("cuda keeps NaN")
"""


@pytest.mark.timeout(300)
def test_the_cuda_kernels_keep_nan_under_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CUDA_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=280)
    assert done.returncode == 0 and "cuda keeps NaN" in done.stdout, done.stderr[-3000:]


# -- batch sizes and epochs -------------------------------------------------------------------------------------------
def _small_model():
    model = core.Sequential([core.Dense(2, activation="softmax", input_dim=3)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model, np.zeros((8, 3), np.float32), np.zeros(8, np.int64)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, 4.0, "8", True])
def test_a_bad_batch_size_is_refused_everywhere(batch_size):
    model, x, y = _small_model()
    for call in (lambda: model.fit(x, y, batch_size=batch_size, verbose=0),
                 lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0),
                 lambda: model.predict(x, batch_size=batch_size)):
        with pytest.raises(ConfigError, match="batch_size"):
            call()


@pytest.mark.parametrize("epochs", [-1, 1.5])
def test_a_bad_epoch_count_is_refused(epochs):
    model, x, y = _small_model()
    with pytest.raises(ConfigError, match="epochs"):
        model.fit(x, y, epochs=epochs, verbose=0)
    with pytest.raises(ConfigError, match="epochs"):
        model.trainer.fit(x, y, epochs=epochs)


def test_epochs_below_initial_epoch_is_refused_and_zero_epochs_train_nothing():
    model, x, y = _small_model()
    with pytest.raises(ConfigError, match="initial_epoch"):
        model.fit(x, y, epochs=2, initial_epoch=3, verbose=0)
    assert model.fit(x, y, epochs=0, verbose=0).epoch == []
    assert model.fit(x, y, epochs=1, batch_size=np.int64(4), verbose=0).epoch == [0]  # NumPy integers are fine


def test_a_nan_input_to_fit_names_the_first_bad_row():
    model, x, y = _small_model()
    x[5, 1] = np.nan
    with pytest.raises(ShapeError, match="first in row 5"):
        model.fit(x, y, verbose=0)
