"""The training loop: epochs of shuffled mini-batches, reported as small records to callbacks.

A :class:`Trainer` can be controlled from another thread while it runs: ``pause``, ``resume``, ``step`` (one
batch, then pause again) and ``stop`` (ends cleanly after the current batch; the weights stay usable). A loss
that becomes NaN or infinite stops training with a :class:`~core.errors.TrainingError` naming the epoch and
batch; the update of that batch is not applied, so the weights are those before it. Where an earlier update had
already overflowed the weights (a huge learning rate), the weights and the optimiser's state go back to those of
the start of the epoch, the last finite ones, so the model stays usable and its file loadable.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core import losses as losses_mod
from core import metrics as metrics_mod
from core.engine import Network, StepResult, is_lazy, whole_number
from core.errors import ShapeError, TrainingError
from core.optimizers import Optimizer


_ADVICE = "Lower the learning rate, scale the input data, or add gradient clipping (clipnorm)"
MAX_BATCH_RECORDS = 20_000  # per-batch records a History keeps (thinned evenly beyond)


@dataclass(frozen=True)
class BatchEnd:
    """Reported after every training batch."""

    epoch: int
    batch: int
    batches: int
    loss: float
    metrics: dict[str, float]
    learning_rate: float
    samples_seen: int


@dataclass(frozen=True)
class EpochEnd:
    """Reported after every epoch: training metrics (running means over the epoch) and validation metrics."""

    epoch: int
    epochs: int
    logs: dict[str, float]
    learning_rate: float
    seconds: float
    samples_per_second: float


class Callback:
    """Receives the trainer's records. Override what you need; every method does nothing by default."""

    def on_train_begin(self, trainer: "Trainer") -> None: ...
    def on_epoch_begin(self, epoch: int) -> None: ...
    def on_batch_end(self, record: BatchEnd) -> None: ...
    def on_epoch_end(self, record: EpochEnd) -> None: ...
    def on_train_end(self, history: "History") -> None: ...


@dataclass
class History(Callback):
    """Per-epoch logs (``history['loss']``, ``history['val_accuracy']``, ...) as Keras's History object, and
    where a run recorded them, its per-batch records (``batches``)."""

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    stop_reason: str | None = None
    batches: list[BatchEnd] = field(default_factory=list)
    _batch_stride: int = field(default=1, repr=False, compare=False)
    _batches_heard: int = field(default=0, repr=False, compare=False)

    def on_batch_end(self, record: BatchEnd) -> None:
        """Keep the batch's record; past :data:`MAX_BATCH_RECORDS`, every other one is dropped and later ones are
        kept at the wider stride, so a long run's batch curve keeps its shape in bounded memory."""
        if self._batches_heard % self._batch_stride == 0:
            self.batches.append(record)
            if len(self.batches) > MAX_BATCH_RECORDS:
                self.batches = self.batches[::2]
                self._batch_stride *= 2
        self._batches_heard += 1

    def on_epoch_end(self, record: EpochEnd) -> None:
        self.epoch.append(record.epoch)
        for key, value in {**record.logs, "learning_rate": record.learning_rate}.items():
            self.history.setdefault(key, []).append(value)

    def on_train_end(self, history: "History") -> None:
        if history is not self and history.stop_reason is not None:
            self.stop_reason = history.stop_reason  # a collecting History hears how each fit ended

    def extended(self, later: "History") -> "History":
        """This history followed by ``later``'s epochs (a run that continued training); ``later``'s epoch numbers
        are shifted after this one's when they start again from 0, as a new ``fit`` counts them."""
        if not self.epoch:
            return later
        offset = 0 if not later.epoch or later.epoch[0] > self.epoch[-1] else self.epoch[-1] + 1 - later.epoch[0]
        keys = list(self.history) + [k for k in later.history if k not in self.history]
        return History(history={k: list(self.history.get(k, [])) + list(later.history.get(k, [])) for k in keys},
                       epoch=list(self.epoch) + [e + offset for e in later.epoch],
                       stop_reason=later.stop_reason,
                       batches=list(self.batches) + [dataclasses.replace(b, epoch=b.epoch + offset)
                                                     for b in later.batches] if offset else
                       list(self.batches) + list(later.batches))


def run_settings(data: dict[str, Any], *, loss: str, optimizer: Optimizer, epochs: int, batch_size: int,
                 validation_split: float = 0.0, preprocessing: str | None = None, seed: int = 0,
                 backend: str = "cpu", schedule: str = "constant",
                 augmentation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings of a run as a model file keeps them (the training panel and ``neurocanvas train`` both write
    this form). ``data`` refers to the data set: ``{"sample": name, "params": {...}}`` or ``{"file": path}``.
    ``optimizer`` is stored by name with its options (the learning rate as the number it starts from)."""
    config = {k: v for k, v in optimizer.get_config().items() if k != "name"}
    lr = config.get("learning_rate")
    if isinstance(lr, dict):  # a schedule: keep the rate it starts from, the schedule is named apart
        config["learning_rate"] = float(lr.get("config", {}).get("initial_learning_rate", 0.001))
        schedule = str(lr.get("class_name", schedule)) if schedule == "constant" else schedule
    return {"data": dict(data), "validation_split": float(validation_split), "preprocessing": preprocessing,
            "loss": str(loss), "optimizer": {"name": optimizer.name, **config}, "schedule": schedule,
            "epochs": int(epochs), "batch_size": int(batch_size), "seed": int(seed), "backend": backend,
            "augmentation": augmentation}


@dataclass
class RunRecord:
    """One training run of a model, as its file keeps it: the settings it ran with (a JSON-able mapping: the data
    set reference with its parameters, the split, loss, optimiser, epochs, batch size, seed, ...), the epochs it
    covered in the model's :class:`History` (``first_epoch`` up to ``first_epoch + epochs``), how it ended, and
    whether it started from fresh weights or continued the run before it."""

    settings: dict[str, Any]
    first_epoch: int = 0
    epochs: int = 0
    outcome: str = "finished"
    fresh: bool = True
    started: str = ""  # ISO 8601, local time

    def to_dict(self) -> dict[str, Any]:
        return {"settings": self.settings, "first_epoch": self.first_epoch, "epochs": self.epochs,
                "outcome": self.outcome, "fresh": self.fresh, "started": self.started}

    @classmethod
    def from_dict(cls, data: Any) -> "RunRecord | None":
        """The record ``data`` describes, or None when it is not one (a file's field of the wrong kind)."""
        if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
            return None
        try:
            return cls(dict(data["settings"]), max(0, int(data.get("first_epoch", 0))),
                       max(0, int(data.get("epochs", 0))), str(data.get("outcome", "finished")),
                       bool(data.get("fresh", True)), str(data.get("started", "")))
        except (TypeError, ValueError, OverflowError):
            return None


@dataclass
class CompileSpec:
    """What ``compile`` chose: the optimiser (with its state), the loss and the metrics (names or instances)."""

    optimizer: Optimizer
    loss: losses_mod.Loss
    metrics: list[Any] = field(default_factory=list)


def as_list(value: Any) -> list[np.ndarray]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Trainer:
    """Trains a :class:`Network` with a loss, an optimiser and metrics."""

    def __init__(self, network: Network, loss: Any, optimizer: Optimizer, metrics: Sequence[Any] = (),
                 seed: int | None = 0) -> None:
        self.network = network
        self.losses = [losses_mod.get(loss) for _ in network.output_ids]
        self.optimizer = optimizer
        self.metric_ids = list(metrics)
        self.rng = np.random.default_rng(seed)
        self._run = threading.Event()
        self._run.set()
        self._stop = False
        self._steps_left: int | None = None
        self.epochs_done = 0
        self.steps_per_epoch = 0
        self.model: Any = None  # the api.Model driving this trainer, if any (ModelCheckpoint saves it)
        self._threads: Any = None
        self._finite: tuple[list[np.ndarray], dict[str, Any]] | None = None  # see _restore_finite

    # -- control from another thread -----------------------------------------------------------------------
    def pause(self) -> None:
        self._run.clear()

    def resume(self) -> None:
        self._steps_left = None
        self._run.set()

    def step(self) -> None:
        """Run one batch, then pause again."""
        self._steps_left = 1
        self._run.set()

    def stop(self) -> None:
        self._stop = True
        self._run.set()

    @property
    def paused(self) -> bool:
        return not self._run.is_set()

    def _wait_turn(self) -> bool:
        """Block while paused; False when training should stop."""
        self._run.wait()
        if self._stop:
            return False
        if self._steps_left is not None:
            self._steps_left -= 1
            if self._steps_left <= 0:
                self._steps_left = None
                self._run.clear()
        return True

    # -- metrics -------------------------------------------------------------------------------------------
    def _new_metrics(self) -> list[list[metrics_mod.Metric]]:
        out = []
        for k, loss in enumerate(self.losses):
            units = self.network.output_shapes[self.network.output_ids[k]][-1]
            out.append([metrics_mod.get(m, loss.name, units) for m in self.metric_ids])
        return out

    def _metric_names(self, per_output: list[list[metrics_mod.Metric]]) -> list[tuple[str, metrics_mod.Metric]]:
        multi = len(per_output) > 1
        names = [self.network.layers[i].name for i in self.network.output_ids]
        return [((f"{names[k]}_" if multi else "") + m.name, m) for k, ms in enumerate(per_output) for m in ms]

    # -- one batch -----------------------------------------------------------------------------------------
    def compute_loss(self, xs: list[np.ndarray], ys: list[np.ndarray], training: bool) -> StepResult:
        """Loss and outputs of one batch; with ``training``, also the gradients (in the network), no update."""
        if training:
            return self.network.train_step(xs, ys, self.losses)
        return self.network.evaluate_step(xs, ys, self.losses)

    def train_batch(self, xs: list[np.ndarray], ys: list[np.ndarray], checked: bool = False) -> StepResult:
        """One optimiser step; returns the batch loss (computed before the update) and the outputs. ``checked``:
        the targets come from :meth:`check_data`."""
        result = self.network.train_step(xs, ys, self.losses, checked)
        if math.isfinite(result.loss):
            self.optimizer.apply(self.network.ctx.k, self.network.trainable(), self.network.flat_trainable)
        return result

    # -- the last finite weights ---------------------------------------------------------------------------
    def _snapshot(self) -> tuple[list[np.ndarray], dict[str, Any]]:
        """Copies of the weights and of the optimiser's state (once an epoch: a copy every batch would cost a
        pass over every weight and slot, as much as the update itself on small batches)."""
        return self.network.get_weights(), self.optimizer.get_state()

    def _restore_finite(self) -> bool:
        """When a weight is NaN or infinite (an update overflowed), put back the weights and the optimiser's
        state of the last snapshot, so that the model can still be used and saved; True if it did."""
        if self._finite is None or all(np.all(np.isfinite(w)) for w in self.network.get_weights()):
            return False
        weights, state = self._finite
        self.network.set_weights(weights)
        self.optimizer.set_state(state)
        return True

    # -- loops ---------------------------------------------------------------------------------------------
    def fit(self, x: Any, y: Any, epochs: int = 1, batch_size: int = 32, validation_data: tuple | None = None,
            shuffle: bool = True, callbacks: Sequence[Callback] = (), initial_epoch: int = 0) -> History:
        """Train for ``epochs`` epochs; returns the History (also passed to the callbacks)."""
        batch_size = whole_number("batch_size", batch_size)
        epochs = whole_number("epochs", epochs, minimum=0)
        initial_epoch = whole_number("initial_epoch", initial_epoch, minimum=0)
        xs, ys = self.check_data(x, y)
        n = len(xs[0])
        batch_size = min(batch_size, n)
        batches = -(-n // batch_size)
        self.steps_per_epoch = batches
        self.optimizer.set_steps_per_epoch(batches)
        history = History()
        callbacks = [history, *callbacks]
        self._stop, self._finite = False, None
        for cb in callbacks:
            cb.on_train_begin(self)
        self._seen = 0
        try:
            with self.network.compute_scope(batch_size) as threads:
                self._threads = threads  # told each step's time, if the backend chooses its threads from them
                try:
                    self._run_epochs(xs, ys, epochs, batch_size, validation_data, shuffle, callbacks, initial_epoch)
                finally:
                    self._threads = None
            if self._restore_finite():  # the last update overflowed: no later batch's loss showed it
                raise TrainingError(f"the last update of epoch {self.epochs_done} made the weights NaN or "
                                    f"infinite: they are put back to those at the start of that epoch (the last "
                                    f"finite ones). {_ADVICE}")
            if self._stop:
                history.stop_reason = "stopped by the user"
        except TrainingError as exc:
            history.stop_reason = str(exc)
            raise
        finally:
            for cb in callbacks:
                cb.on_train_end(history)
        return history

    def _run_epochs(self, xs, ys, epochs, batch_size, validation_data, shuffle, callbacks, initial_epoch) -> None:
        for epoch in range(initial_epoch, initial_epoch + epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            started = time.perf_counter()
            done, logs = self._train_epoch(xs, ys, epoch, batch_size, shuffle, callbacks)
            if done == 0:
                break
            seconds = time.perf_counter() - started
            if validation_data is not None:
                val = self.evaluate(*validation_data, batch_size=batch_size)
                logs.update({f"val_{k}": v for k, v in val.items()})
            self.epochs_done = epoch + 1
            record = EpochEnd(epoch, initial_epoch + epochs, logs, self.optimizer.current_learning_rate(),
                              seconds, done / seconds if seconds > 0 else float("inf"))
            for cb in callbacks:
                cb.on_epoch_end(record)
            if self._stop:
                break

    def _train_epoch(self, xs, ys, epoch, batch_size, shuffle, callbacks) -> tuple[int, dict[str, float]]:
        """One pass over the data; returns the number of samples trained and the epoch's running logs."""
        n = len(xs[0])
        batches = -(-n // batch_size)
        self._finite = self._snapshot()  # put back if an update of this epoch overflows the weights
        loss_sum, metric_sets = 0.0, self._new_metrics()
        named = self._metric_names(metric_sets)
        # one batch of the whole set (batch gradient descent): order does not matter, slices are views
        order = self.rng.permutation(n) if shuffle and batches > 1 else None
        listeners = [cb for cb in callbacks if type(cb).on_batch_end is not Callback.on_batch_end]
        done = 0
        for b in range(batches):
            if not self._wait_turn():
                break
            bx, by = _batch(xs, ys, order, b * batch_size, min(n, (b + 1) * batch_size))
            lr = self.optimizer.current_learning_rate()
            started = time.perf_counter()
            loss, outputs = self.train_batch(bx, by, checked=True)
            if self._threads is not None:
                self._threads.step_done(time.perf_counter() - started)
            if not math.isfinite(loss):
                what = f"the loss became {'NaN' if np.isnan(loss) else 'infinite'} at epoch {epoch + 1}, batch {b + 1}"
                if self._restore_finite():
                    raise TrainingError(f"{what}: an update before it had made the weights NaN or infinite, so "
                                        f"they are put back to those at the start of epoch {epoch + 1} (the last "
                                        f"finite ones) and training stopped. {_ADVICE}")
                raise TrainingError(f"{what}: training stopped before applying that batch. {_ADVICE}")
            size = len(bx[0])
            done += size
            self._seen += size
            loss_sum += loss * size
            batch_metrics = {name: m.update(out, t) for (name, m), out, t in
                             zip(named, _repeat(outputs, metric_sets), _repeat(by, metric_sets))} if named else {}
            if listeners:  # a record per batch only for callbacks that read it
                record = BatchEnd(epoch, b, batches, loss, batch_metrics, lr, self._seen)
                for cb in listeners:
                    cb.on_batch_end(record)
        logs = {"loss": loss_sum / done, **{name: m.result() for name, m in named}} if done else {}
        return done, logs

    def evaluate(self, x: Any, y: Any, batch_size: int = 32) -> dict[str, float]:
        """Loss and metrics over a whole data set, in inference mode."""
        batch_size = whole_number("batch_size", batch_size)
        xs, ys = self.check_data(x, y)
        n = len(xs[0])
        metric_sets = self._new_metrics()
        named = self._metric_names(metric_sets)
        loss_sum = 0.0
        with self.network.compute_scope():
            for start in range(0, n, batch_size):
                bx, by = _batch(xs, ys, None, start, min(n, start + batch_size))
                loss, outputs = self.compute_loss(bx, by, training=False)
                loss_sum += loss * len(bx[0])
                for (name, m), out, t in zip(named, _repeat(outputs, metric_sets), _repeat(by, metric_sets)):
                    m.update(out, t)
        return {"loss": loss_sum / n, **{name: m.result() for name, m in named}}

    def predict(self, x: Any, batch_size: int = 32) -> list[np.ndarray]:
        return self.network.predict(as_list(x), batch_size)

    def check_data(self, x: Any, y: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Inputs and targets as arrays, checked against the network, with errors that say what to change."""
        xs = self.network.check_inputs(as_list(x), lazy_ok=True)
        ys = [np.asarray(t) for t in as_list(y)]
        if len(ys) != len(self.network.output_ids):
            raise ShapeError(f"the network has {len(self.network.output_ids)} output(s) but {len(ys)} target "
                             "array(s) were given")
        lengths = {len(a) for a in xs + ys}
        if len(lengths) != 1:
            raise ShapeError(f"inputs and targets have different numbers of samples: {sorted(lengths)}")
        if not lengths or lengths.pop() == 0:
            raise ShapeError("the data set is empty")
        for k, t in enumerate(ys):
            if t.dtype.kind not in "biuf":
                raise ShapeError(f"targets of output {k + 1} are not numeric ({t.dtype}): encode them as numbers")
            if t.dtype.kind == "f" and not np.all(np.isfinite(t)):
                raise ShapeError(f"targets of output {k + 1} contain {int(np.sum(~np.isfinite(t)))} NaN or "
                                 "infinite values: remove or impute them")
        for k, a in enumerate(xs):
            if not is_lazy(a):  # data on disk is checked a batch at a time (see _batch)
                check_finite(a, f"input {k + 1}")
        ys = [t if self.losses[k].integer_targets else t.astype(self.network.dtype, copy=False)
              for k, t in enumerate(ys)]
        for loss, output_id, t in zip(self.losses, self.network.output_ids, ys):  # once here, not every batch
            shape = (len(t),) + tuple(self.network.output_shapes[output_id])
            loss.check_targets(np.broadcast_to(np.zeros((), self.network.dtype), shape), t)
        return xs, [t.astype(np.int64, copy=False) if loss.integer_targets else t for loss, t in zip(self.losses, ys)]


def _batch(xs, ys, order, start, stop):
    """Rows ``start:stop`` (of the shuffled ``order``, if any). Rows read from disk are checked for NaN here."""
    if order is None:
        bx, by = [a[start:stop] for a in xs], [t[start:stop] for t in ys]
    else:
        idx = order[start:stop]
        bx, by = [a[idx] for a in xs], [t[idx] for t in ys]
    for k, (a, b) in enumerate(zip(xs, bx)):
        if is_lazy(a):
            check_finite(b, f"input {k + 1}", f" in rows {start}..{stop - 1}" + (" of this epoch's order" if order
                                                                                 is not None else ""),
                         np.arange(start, stop) if order is None else idx)
    return bx, by


def check_finite(a: np.ndarray, what: str, where: str = "", rows: np.ndarray | None = None) -> None:
    """A ShapeError naming the first row (sample) of ``a`` that holds a NaN or an infinite value, if any;
    ``rows``: the data set's row of each row of ``a`` (a batch's)."""
    bad = ~np.isfinite(a)
    if bad.any():
        row = int(np.argmax(bad.reshape(len(a), -1).any(axis=1))) if a.ndim else 0
        row = row if rows is None else int(rows[row])
        raise ShapeError(f"{what} contains {int(np.count_nonzero(bad))} NaN or infinite values{where}, the first "
                         f"in row {row}: remove or impute them")


def _repeat(arrays: list, metric_sets: list[list]) -> list:
    """Each output's array repeated once per metric of that output (to zip with the flat metric list)."""
    return [a for a, ms in zip(arrays, metric_sets) for _ in ms]
