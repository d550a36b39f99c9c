"""Training callbacks with Keras's names and options: early stopping, checkpoints, CSV log, NaN guard, and the
two learning-rate callbacks (reduce on plateau, per-epoch scheduler).

Each callback receives the :class:`~core.training.Trainer` in ``on_train_begin`` and acts through it:
``trainer.stop()`` ends training cleanly after the current batch, ``trainer.network.get_weights()`` /
``set_weights()`` snapshot and restore the weights, ``trainer.optimizer.learning_rate`` is the rate.
A monitored quantity is a key of the epoch logs (``loss``, ``accuracy``, ``val_loss``, ...); ``mode='auto'``
maximises accuracy, precision, recall, F1, AUC and R², and minimises everything else (losses and errors).
"""

from __future__ import annotations

import csv
import inspect
import math
import os
from typing import Any, Callable

from core.errors import ConfigError
from core.training import BatchEnd, Callback, EpochEnd, History, Trainer

_HIGHER_IS_BETTER = ("accuracy", "acc", "precision", "recall", "f1_score", "f1", "auc", "r2_score", "r2")


def _maximises(owner: str, monitor: str, mode: str) -> bool:
    if mode not in ("auto", "min", "max"):
        raise ConfigError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode == "max"
    return monitor.removeprefix("val_").endswith(_HIGHER_IS_BETTER)


def _monitored(owner: str, monitor: str, logs: dict[str, float]) -> float:
    if monitor not in logs:
        hint = " (validation metrics need validation_data or validation_split)" if monitor.startswith("val_") else ""
        raise ConfigError(f"{owner} monitors '{monitor}' but training reports only {', '.join(logs)}{hint}: "
                          "choose one of those")
    return float(logs[monitor])


class _Watch:
    """Best value so far of a monitored quantity, with Keras's ``min_delta`` rule."""

    def __init__(self, maximise: bool, min_delta: float) -> None:
        self.maximise, self.min_delta, self.best = maximise, abs(float(min_delta)), None

    def improves(self, value: float, reference: float | None = None) -> bool:
        reference = self.best if reference is None else reference
        if reference is None:
            return not math.isnan(value)
        return value - self.min_delta > reference if self.maximise else value + self.min_delta < reference


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs (Keras's rules); with
    ``restore_best_weights`` the weights of the best epoch are put back when training ends."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        self.monitor, self.min_delta, self.patience, self.verbose = monitor, min_delta, int(patience), verbose
        self.mode, self.baseline, self.restore_best_weights = mode, baseline, bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        _maximises("EarlyStopping", monitor, mode)

    def on_train_begin(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.watch = _Watch(_maximises("EarlyStopping", self.monitor, self.mode), self.min_delta)
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, 0, 0, None

    @property
    def best(self) -> float | None:
        return self.watch.best

    def on_epoch_end(self, record: EpochEnd) -> None:
        current = _monitored("EarlyStopping", self.monitor, record.logs)
        if record.epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.trainer.network.get_weights(), record.epoch
        self.wait += 1
        if self.watch.improves(current):
            self.watch.best, self.best_epoch = current, record.epoch
            if self.restore_best_weights:
                self.best_weights = self.trainer.network.get_weights()
            if self.baseline is None or self.watch.improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and record.epoch > 0:
            self.stopped_epoch = record.epoch
            self.trainer.stop()

    def on_train_end(self, history: History) -> None:
        if self.stopped_epoch:
            history.stop_reason = (f"early stopping: {self.monitor} did not improve for {self.wait} epoch(s); best "
                                   f"{self.best:.6g} at epoch {self.best_epoch + 1}")
            if self.verbose:
                print(f"Epoch {self.stopped_epoch + 1}: {history.stop_reason}")
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.network.set_weights(self.best_weights)


def _save_model(model: Any, path: str) -> None:
    model.save(path)


def _save_weights(model: Any, path: str) -> None:
    model.save_weights(path)


class ModelCheckpoint(Callback):
    """Save the model after every epoch (``filepath`` may hold ``{epoch:02d}`` and log keys, as in Keras), or
    only when ``monitor`` improves (``save_best_only``).

    ``save_function(model, path)`` writes the file; it receives the :class:`core.api.Model` when training runs
    through ``fit`` (else the trainer's Network). Without it, the model's own ``save`` (``save_weights`` with
    ``save_weights_only``) writes it, which needs training to run through ``Model.fit``.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str = "epoch", initial_value_threshold: float | None = None,
                 save_function: Callable[[Any, str], None] | None = None) -> None:
        if save_freq != "epoch":
            raise ConfigError(f"ModelCheckpoint: only save_freq='epoch' is supported, got {save_freq!r}")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only, self.mode = bool(save_best_only), bool(save_weights_only), mode
        self.initial_value_threshold, self.save_function = initial_value_threshold, save_function
        _maximises("ModelCheckpoint", monitor, mode)
        self.saved: list[str] = []

    def on_train_begin(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.watch = _Watch(_maximises("ModelCheckpoint", self.monitor, self.mode), 0.0)
        self.watch.best = self.initial_value_threshold
        self._save = self.save_function or (_save_weights if self.save_weights_only else _save_model)
        if self.save_function is None and trainer.model is None:
            raise ConfigError("ModelCheckpoint: this trainer has no model to save (train with Model.fit), or pass "
                              "save_function=lambda network, path: ...")

    def on_epoch_end(self, record: EpochEnd) -> None:
        try:
            path = self.filepath.format(epoch=record.epoch + 1, **record.logs)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"ModelCheckpoint: the file name {self.filepath!r} uses {exc}, which is not one of "
                              f"epoch, {', '.join(record.logs)}") from None
        if self.save_best_only:
            current = _monitored("ModelCheckpoint", self.monitor, record.logs)
            if not self.watch.improves(current):
                return
            self.watch.best = current
        target = self.trainer.model if self.trainer.model is not None else self.trainer.network
        self._save(target, path)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {record.epoch + 1}: saved to {path}")


class CSVLogger(Callback):
    """One row per epoch to a CSV file: ``epoch``, the logs in name order, and ``learning_rate``; with ``append``,
    rows follow the existing file's columns (``NA`` where a value is missing)."""

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        self.filename, self.separator, self.append = os.fspath(filename), separator, bool(append)
        self._file = None

    def on_train_begin(self, trainer: Trainer) -> None:
        self._keys: list[str] | None = None
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0:
            with open(self.filename, newline="", encoding="utf-8") as existing:
                header = next(csv.reader(existing, delimiter=self.separator), [])
            self._keys = [k for k in header if k not in ("epoch", "learning_rate")]  # keep the file's columns
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, record: EpochEnd) -> None:
        if self._keys is None:
            self._keys = sorted(record.logs)
            self._writer.writerow(["epoch", *self._keys, "learning_rate"])
        self._writer.writerow([record.epoch, *(record.logs.get(k, "NA") for k in self._keys),
                               record.learning_rate])
        self._file.flush()

    def on_train_end(self, history: History) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class TerminateOnNaN(Callback):
    """Stop cleanly when a reported number becomes NaN or infinite.

    The trainer itself already refuses a NaN or infinite *training* loss (it raises ``TrainingError`` before the
    update is applied); this callback also watches the batch metrics and the epoch logs (validation loss and
    metrics), which the trainer does not, and ends training with a stop reason instead of an error.
    """

    def on_train_begin(self, trainer: Trainer) -> None:
        self.trainer, self.reason = trainer, None

    def _check(self, values: dict[str, float], where: str) -> None:
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad and self.reason is None:
            self.reason = f"{', '.join(bad)} became NaN or infinite {where}"
            self.trainer.stop()

    def on_batch_end(self, record: BatchEnd) -> None:
        self._check({"loss": record.loss, **record.metrics}, f"at epoch {record.epoch + 1}, batch {record.batch + 1}")

    def on_epoch_end(self, record: EpochEnd) -> None:
        self._check(record.logs, f"at the end of epoch {record.epoch + 1}")

    def on_train_end(self, history: History) -> None:
        if self.reason:
            history.stop_reason = "terminated: " + self.reason


def _constant_rate(owner: str, trainer: Trainer) -> None:
    if callable(trainer.optimizer.learning_rate):
        raise ConfigError(f"{owner} sets the learning rate, but the optimiser follows a schedule: give the "
                          "optimiser a constant learning_rate, or drop the schedule or the callback")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience`` epochs, then
    wait ``cooldown`` epochs; never below ``min_lr`` (Keras's rules and defaults)."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> None:
        if not 0.0 <= factor < 1.0:
            raise ConfigError(f"ReduceLROnPlateau: factor must be in [0, 1) (the rate is multiplied by it), "
                              f"got {factor!r}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), int(patience), verbose
        self.mode, self.min_delta, self.cooldown, self.min_lr = mode, min_delta, int(cooldown), float(min_lr)
        _maximises("ReduceLROnPlateau", monitor, mode)

    def on_train_begin(self, trainer: Trainer) -> None:
        _constant_rate("ReduceLROnPlateau", trainer)
        self.trainer = trainer
        self.watch = _Watch(_maximises("ReduceLROnPlateau", self.monitor, self.mode), self.min_delta)
        self.wait, self.cooldown_counter = 0, 0

    def on_epoch_end(self, record: EpochEnd) -> None:
        current = _monitored("ReduceLROnPlateau", self.monitor, record.logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.watch.improves(current):
            self.watch.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                optimizer = self.trainer.optimizer
                if optimizer.learning_rate > self.min_lr:
                    optimizer.learning_rate = max(optimizer.learning_rate * self.factor, self.min_lr)
                    if self.verbose:
                        print(f"Epoch {record.epoch + 1}: learning rate reduced to {optimizer.learning_rate:.6g}")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch from ``schedule(epoch, lr)`` (or ``schedule(epoch)``),
    epochs counted from 0 as in Keras; e.g. ``LearningRateScheduler(StepDecay(0.1, 0.5, 10).for_epoch)``."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        if not callable(schedule):
            raise ConfigError(f"LearningRateScheduler needs a function of the epoch, got {schedule!r}")
        self.schedule, self.verbose = schedule, verbose
        self._two_args = _positional_count(schedule) >= 2

    def on_train_begin(self, trainer: Trainer) -> None:
        self.trainer = trainer

    def on_epoch_begin(self, epoch: int) -> None:
        optimizer = self.trainer.optimizer
        current = optimizer.current_learning_rate()
        rate = self.schedule(epoch, current) if self._two_args else self.schedule(epoch)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
            raise ConfigError(f"LearningRateScheduler: the schedule returned {rate!r} for epoch {epoch}; it must "
                              "return a positive number")
        optimizer.learning_rate = float(rate)
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate set to {rate:.6g}")


def _positional_count(fn: Callable[..., Any]) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
