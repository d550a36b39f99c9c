"""Training in a background thread: the engine's :class:`~core.training.Trainer` runs in a Python thread and its
records reach the GUI as Qt signals, gathered in small packets at most 10 times a second.

The worker never touches a widget. While it runs, the network belongs to it: the panel asks it (not the
network) for decision-boundary grids, health snapshots, looks inside the network and final predictions, which
it computes between batches.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.worker_thread import collect_garbage_on_the_gui_thread_while, forget_finished_threads
from core.errors import NeuroCanvasError, TrainingError
from core.inspect import Look, look
from core.training import BatchEnd, Callback, EpochEnd, History, Trainer

PACKET_SECONDS = 0.1  # records are sent at most 10 times a second
BOUNDARY_SECONDS = 0.25  # the decision boundary is recomputed at most 4 times a second
INSIDE_SECONDS = 0.5  # the look inside the network at one sample, at most twice a second


@dataclass(frozen=True)
class HealthRecord:
    """Per-layer gradient and weight norms after a batch, and the ReLU units that passed no gradient."""

    step: int
    layers: tuple[str, ...]
    grad_norms: tuple[float, ...]
    weight_norms: tuple[float, ...]
    dead_units: tuple[tuple[str, int, int], ...]  # (layer, units with zero gradient, units) for ReLU layers


@dataclass(frozen=True)
class BoundaryRecord:
    """The network's outputs on the decision-boundary grid (rows of the grid, flattened)."""

    step: int
    outputs: np.ndarray


@dataclass
class InsideRequest:
    """What the Inside view asks to see: sample ``index`` of ``x`` (the evaluation split) at ``layer_id`` (None:
    the output). The view changes ``index`` and ``layer_id`` while a run goes; the worker reads them between
    batches (each is one attribute, written and read whole)."""

    x: np.ndarray
    index: int = 0
    layer_id: str | None = None


@dataclass(frozen=True)
class InsideRecord:
    """A look inside the network (a :class:`core.inspect.Look`) at sample ``index`` after ``step`` batches."""

    step: int
    index: int
    look: Look


@dataclass(frozen=True)
class Predictions:
    """Outputs on the evaluation split after training (for the confusion matrix and the per-sample views)."""

    split: str
    outputs: np.ndarray
    targets: np.ndarray


@dataclass(frozen=True)
class Finished:
    """How a run ended: ``finished``, ``stopped`` or ``error`` (with the message to show); ``reviewed`` for a job
    that only showed the current weights."""

    outcome: str
    message: str
    epochs_done: int
    history: History = field(default_factory=History)  # this run's epochs (several fits with augmentation)


@dataclass
class Job:
    """One run: data already shaped for the loss, the epochs to train, and what to compute for the views."""

    x: np.ndarray
    y: np.ndarray
    epochs: int
    batch_size: int
    initial_epoch: int = 0
    validation: tuple[np.ndarray, np.ndarray] | None = None
    evaluation: tuple[str, np.ndarray, np.ndarray] | None = None  # (split name, x, y) predicted at the end
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
    boundary_grid: np.ndarray | None = None
    inside: InsideRequest | None = None  # a sample and layer to look at between batches
    seed: int = 0
    review: bool = False  # no training: only what the views show of the current weights (a reopened model)


def health_snapshot(trainer: Trainer, step: int) -> HealthRecord:
    """Norms of every layer's gradients and weights, and its ReLU units whose gradient is exactly zero."""
    with np.errstate(all="ignore"):  # huge or NaN values are what the health view is there to show
        return _health_snapshot(trainer, step)


def _health_snapshot(trainer: Trainer, step: int) -> HealthRecord:
    net = trainer.network
    names, grads, weights, dead = [], [], [], []
    for layer_id in net.order:
        pairs = [(w, g) for w, g in zip(net.weights[layer_id], net.grads[layer_id]) if g is not None]
        if not pairs:
            continue
        layer = net.layers[layer_id]
        names.append(layer.name)
        host = [(net.ctx.k.to_host(w), net.ctx.k.to_host(g)) for w, g in pairs]
        grads.append(float(np.sqrt(sum(float(np.vdot(g, g)) for _, g in host))))
        weights.append(float(np.sqrt(sum(float(np.vdot(w, w)) for w, _ in host))))
        if layer.config.get("activation") == "relu":
            kernel = host[0][1]
            per_unit = np.abs(kernel.reshape(-1, kernel.shape[-1])).sum(axis=0)
            dead.append((layer.name, int(np.count_nonzero(per_unit == 0)), int(per_unit.size)))
    return HealthRecord(step, tuple(names), tuple(grads), tuple(weights), tuple(dead))


class _Relay(Callback):
    """Collects the trainer's records in the training thread and hands them to the worker in packets."""

    def __init__(self, worker: "TrainingWorker") -> None:
        self.worker = worker
        self.pending: list[Any] = []
        self.last_packet = 0.0
        self.last_boundary = 0.0
        self.last_inside = 0.0
        self.step = 0

    def on_batch_end(self, record: BatchEnd) -> None:
        self.step += 1
        self.pending.append(record)
        now = time.perf_counter()
        if now - self.last_packet >= PACKET_SECONDS or self.worker.trainer.paused:  # paused: show the step now
            self.flush(now)

    def on_epoch_end(self, record: EpochEnd) -> None:
        self.pending.append(record)
        self.flush(time.perf_counter())

    def flush(self, now: float) -> None:
        worker = self.worker
        self.pending.append(health_snapshot(worker.trainer, self.step))
        grid = worker.job.boundary_grid
        if grid is not None and now - self.last_boundary >= BOUNDARY_SECONDS:
            self.pending.append(BoundaryRecord(self.step, worker.trainer.predict(grid, batch_size=4096)[0]))
            self.last_boundary = now
        if now - self.last_inside >= INSIDE_SECONDS:
            self.look_inside()
            self.last_inside = now
        packet, self.pending = tuple(self.pending), []
        self.last_packet = now
        worker.send(packet)

    def look_inside(self) -> None:
        """Add a look at the sample and layer the Inside view asks for now (if it asks, and the index fits)."""
        request = self.worker.job.inside
        if request is None:
            return
        index, layer_id = int(request.index), request.layer_id
        if not 0 <= index < len(request.x):
            return
        try:
            with np.errstate(all="ignore"):
                seen = look(self.worker.trainer.network, np.asarray(request.x[index]), layer_id)
        except (NeuroCanvasError, ValueError, KeyError, MemoryError):
            return  # a view's look never stops the run
        self.pending.append(InsideRecord(self.step, index, seen))


class TrainingWorker(QObject):
    """Runs one :class:`Job` on a trainer in a background thread.

    Signals: ``records(tuple)`` carries packets of BatchEnd / EpochEnd / HealthRecord / BoundaryRecord /
    InsideRecord / Predictions records; ``finished(Finished)`` comes last. Control (``pause``, ``resume``,
    ``step``, ``stop``) may be called from the GUI thread at any time.
    """

    records = Signal(object)
    finished = Signal(object)

    def __init__(self, trainer: Trainer, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.trainer = trainer
        self.job = job
        self._stopped = False
        self._detached = False
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.trainer.resume()  # clears a pause or a pending single step left by an earlier run
        self._thread = threading.Thread(target=self._run, name="neurocanvas-training", daemon=True)
        collect_garbage_on_the_gui_thread_while(self._thread)
        self._thread.start()

    def pause(self) -> None:
        self.trainer.pause()

    def resume(self) -> None:
        self.trainer.resume()

    def step(self) -> None:
        self.trainer.step()

    def stop(self) -> None:
        self._stopped = True
        self.trainer.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Stop, wait for the current batch to end, and send nothing more; True when the thread has ended."""
        self._detached = True
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        forget_finished_threads()
        return not self.running

    def send(self, packet: tuple) -> None:
        if not self._detached:
            self.records.emit(packet)

    # -- the training thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        relay, history = _Relay(self), History()
        outcome, message = "finished", ""
        try:
            if self.job.review:
                outcome, message = "reviewed", ""
                if self.job.boundary_grid is not None:
                    relay.pending.append(BoundaryRecord(0, self.trainer.predict(self.job.boundary_grid,
                                                                                batch_size=4096)[0]))
                relay.look_inside()
            else:
                self._fit([relay, history])
            if self._stopped:
                outcome, message = "stopped", "stopped by the user"
        except TrainingError as exc:
            outcome, message = "error", str(exc)
        except (NeuroCanvasError, ValueError, MemoryError) as exc:
            outcome, message = "error", f"training could not run: {exc}"
        except Exception as exc:  # noqa: BLE001  (shown to the user rather than lost in a thread)
            outcome, message = "error", f"training failed unexpectedly: {type(exc).__name__}: {exc}"
        if self.job.review:
            self.send(tuple(relay.pending))
        else:
            if outcome != "error":
                relay.last_inside = 0.0  # the final weights' look, however recent the last one
            relay.flush(time.perf_counter())
        if self.job.evaluation is not None and outcome != "error" and not self._detached:
            split, x, y = self.job.evaluation
            self.send((Predictions(split, self.trainer.predict(x, batch_size=512)[0], y),))
        if not self._detached:
            self.finished.emit(Finished(outcome, message, self.trainer.epochs_done, history))

    def _fit(self, callbacks: list[Callback]) -> None:
        job, trainer = self.job, self.trainer
        if job.augment is None:
            trainer.fit(job.x, job.y, epochs=job.epochs, batch_size=job.batch_size, validation_data=job.validation,
                        callbacks=callbacks, initial_epoch=job.initial_epoch)
            return
        rng = np.random.default_rng(job.seed)
        for epoch in range(job.initial_epoch, job.initial_epoch + job.epochs):
            if self._stopped:
                break
            trainer.fit(job.augment(job.x, rng), job.y, epochs=1, batch_size=job.batch_size,
                        validation_data=job.validation, callbacks=callbacks, initial_epoch=epoch)
