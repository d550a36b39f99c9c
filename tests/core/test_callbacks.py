"""Callbacks: Keras's rules on scripted epoch logs, and each one inside a real fit."""

import csv
import types

import h5py
import numpy as np
import pytest

from core import callbacks, load_model, optimizers
from core.engine import build
from core.errors import ConfigError, ModelFileError
from core.metrics import Metric
from core.training import EpochEnd, History, Trainer


class _Net:
    def __init__(self):
        self.w = [np.zeros(2)]

    def get_weights(self):
        return [a.copy() for a in self.w]

    def set_weights(self, values):
        self.w = [np.array(a) for a in values]


class _Trainer:
    """What callbacks use of a Trainer: network, optimizer, model, stop()."""

    def __init__(self, learning_rate=0.1):
        self.network, self.optimizer, self.model, self.stopped = _Net(), optimizers.SGD(learning_rate), None, False

    def stop(self):
        self.stopped = True


def _drive(callback, values, key="val_loss", trainer=None):
    """Feed one epoch record per value (the weights are set to the epoch number); returns the epochs run."""
    trainer = trainer or _Trainer()
    callback.on_train_begin(trainer)
    history = History()
    ran = 0
    for epoch, value in enumerate(values):
        trainer.network.w = [np.full(2, float(epoch))]
        callback.on_epoch_end(EpochEnd(epoch, len(values), {key: value}, trainer.optimizer.learning_rate, 1.0, 1.0))
        ran += 1
        if trainer.stopped:
            break
    callback.on_train_end(history)
    return ran, trainer, history


def test_early_stopping_patience_min_delta_and_restore():
    stop = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    ran, trainer, history = _drive(stop, [1.0, 0.8, 0.9, 0.85, 0.7])
    assert ran == 4 and stop.stopped_epoch == 3 and stop.best == 0.8 and stop.best_epoch == 1
    assert trainer.network.w[0][0] == 1.0 and "early stopping: val_loss" in history.stop_reason
    ran, _, _ = _drive(callbacks.EarlyStopping(patience=1, min_delta=0.15), [1.0, 0.9, 0.5])
    assert ran == 2  # 0.9 is not better than 1.0 by 0.15
    ran, trainer, _ = _drive(callbacks.EarlyStopping(monitor="val_accuracy", patience=1), [0.5, 0.6, 0.55, 0.7],
                             key="val_accuracy")
    assert ran == 3 and trainer.network.w[0][0] == 2.0  # auto mode maximises accuracy; weights left as they are
    assert _drive(callbacks.EarlyStopping(patience=2), [0.9, 0.95, 0.96, 0.97])[0] == 3
    assert _drive(callbacks.EarlyStopping(patience=2, baseline=0.5), [0.9, 0.95, 0.96, 0.97])[0] == 2


def test_early_stopping_names_a_missing_monitor():
    with pytest.raises(ConfigError, match="validation_data"):
        _drive(callbacks.EarlyStopping(), [1.0], key="loss")
    with pytest.raises(ConfigError, match="mode"):
        callbacks.EarlyStopping(mode="up")


def test_reduce_lr_on_plateau_patience_cooldown_min_lr():
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    trainer = _Trainer(0.1)
    reduce.on_train_begin(trainer)
    rates = []
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]):
        reduce.on_epoch_end(EpochEnd(epoch, 12, {"val_loss": value}, 0.0, 1.0, 1.0))
        rates.append(trainer.optimizer.learning_rate)
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02])
    with pytest.raises(ConfigError, match="schedule"):
        callbacks.ReduceLROnPlateau().on_train_begin(types.SimpleNamespace(optimizer=optimizers.SGD(lambda t: 0.1)))
    with pytest.raises(ConfigError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_terminate_on_nan_watches_validation_logs():
    guard = callbacks.TerminateOnNaN()
    ran, trainer, history = _drive(guard, [0.5, float("nan"), 0.4])
    assert ran == 2 and history.stop_reason == "terminated: val_loss became NaN or infinite at the end of epoch 2"


# -- inside fit ---------------------------------------------------------------------------------------------

def _data(n=64):
    x = np.random.default_rng(0).normal(size=(n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)) + 0.3


def _model(lr=0.05):
    from core import Dense, Sequential
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(lr), loss="mse")
    return model


def test_early_stopping_in_fit_restores_the_best_epoch():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=10, batch_size=16, shuffle=False, verbose=0, callbacks=[
        callbacks.EarlyStopping(monitor="loss", min_delta=100.0, patience=2, restore_best_weights=True)])
    assert len(history.history["loss"]) == 3 and history.stop_reason.startswith("early stopping")
    once = _model()
    once.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), once.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_best_and_last(tmp_path):
    x, y = _data()
    saved = []

    def save(model, path):
        saved.append((path, model.get_weights()[1].copy()))

    model = _model()
    last = callbacks.ModelCheckpoint(str(tmp_path / "last.h5"), save_function=save)
    best = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{loss:.3f}.h5"), monitor="loss", mode="max",
                                     save_best_only=True, save_function=save)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[last, best])
    assert last.saved == [str(tmp_path / "last.h5")] * 3
    assert best.saved == [str(tmp_path / f"m-01-{history.history['loss'][0]:.3f}.h5")]  # loss only falls
    assert saved[-1][0] == str(tmp_path / "last.h5")
    np.testing.assert_array_equal(saved[-1][1], model.get_weights()[1])
    with pytest.raises(ConfigError, match="val_los"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint("x-{val_los}.h5", save_function=save)])


def test_model_checkpoint_writes_model_files_that_load_back(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}.h5"))])
    reopened = load_model(tmp_path / "m-2.h5")
    for a, b in zip(reopened.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert reopened.optimizer.iterations == model.optimizer.iterations


def test_model_checkpoint_with_save_weights_only_writes_weights_that_load_back(tmp_path):
    x, y = _data()
    model = _model()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "w.h5"), save_weights_only=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert checkpoint.saved == [str(tmp_path / "w.h5")] * 2
    with h5py.File(tmp_path / "w.h5", "r") as f:  # Keras's weights-only layout: layer groups at the root
        assert "model_config" not in f.attrs and "layer_names" in f.attrs
    fresh = _model()
    fresh.load_weights(tmp_path / "w.h5")
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ModelFileError, match="weights-only"):
        load_model(tmp_path / "w.h5")


def test_model_checkpoint_without_a_model_needs_a_save_function(tmp_path):
    x, y = _data()
    trainer = Trainer(build(_model().graph), "mse", optimizers.get("sgd"))
    with pytest.raises(ConfigError, match="save_function"):
        trainer.fit(x, y, callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))])


def test_csv_logger(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(x, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[callbacks.CSVLogger(path)])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, append=True)])
    with path.open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss", "learning_rate"]
    assert len(rows) == 6 and [r[0] for r in rows[1:]] == ["0", "1", "2", "0", "1"]
    assert float(rows[4][1]) == pytest.approx(model.history.history["loss"][0]) and rows[4][2] == "NA"
    assert float(rows[1][3]) == 0.05


class _NaNAfter(Metric):
    """A metric that becomes NaN from the third batch on."""

    name = "fragile"

    def __init__(self):
        super().__init__()
        self.calls = 0

    def per_sample(self, y_pred, y_true):
        self.calls += 1
        return np.full(len(y_pred), np.nan if self.calls >= 3 else 1.0)


def test_terminate_on_nan_in_fit_stops_on_a_nan_metric():
    x, y = _data()
    model = _model()
    model.compile(optimizer=optimizers.SGD(0.05), loss="mse", metrics=[_NaNAfter()])
    history = model.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert model.optimizer.iterations == 3 and len(history.history["loss"]) == 1
    assert history.stop_reason == "terminated: fragile became NaN or infinite at epoch 1, batch 3"


@pytest.mark.parametrize("two_args", [False, True])
def test_learning_rate_scheduler(two_args):
    x, y = _data()
    model = _model()
    rates = []

    class Rates(callbacks.Callback):
        def on_batch_end(self, record):
            rates.append((record.epoch, record.learning_rate))

    schedule = (lambda epoch, lr: lr * 0.5 if epoch else 0.1) if two_args else (lambda epoch: 0.1 * 0.5**epoch)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(schedule), Rates()])
    assert rates == [(0, 0.1), (0, 0.1), (1, 0.05), (1, 0.05), (2, 0.025), (2, 0.025)]
    with pytest.raises(ConfigError, match="positive"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e: -1.0)])
