"""The training panel: settings on the left; start, pause, resume, step, stop and continue; a progress bar with
epoch, batch, samples/s and ETA; live curves and the evaluation views in tabs.

Nothing that cannot train starts: the design, the data set and the loss are checked first and every reason is
shown with its fix. While a run goes, the design is locked and the network belongs to the worker thread.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from app.evaluation.base import EvaluationView, RunContext
from app.evaluation.registry import evaluation_views
from app.training.plots import TrainingPlots
from app.training.document_state import DocumentState
from app.training.settings_form import SettingsForm
from app.training.worker import Finished, Job, TrainingWorker
from app.widgets import scrolling
from core import tasks
from core.data import DataError, Splits, load_sample
from core.errors import NeuroCanvasError
from core.training import BatchEnd, EpochEnd, RunRecord

REDRAW_MS = 100  # at most 10 redraws a second: smooth enough, and the GUI thread leaves the cores to training


class TrainingPanel(DocumentState, QWidget):
    """Trains ``window.document.model`` on the chosen data. ``run_finished(Finished)`` fires after each run."""

    run_started = Signal()
    records_arrived = Signal()
    run_finished = Signal(object)
    state_changed = Signal(str)

    def __init__(self, window: Any) -> None:
        super().__init__()
        self.setObjectName("trainingPanel")
        self.window_ = window
        self.worker: TrainingWorker | None = None
        self.dataset: Any = None
        self._dataset_key: Any = None
        self.prepared: dict[str, Any] | None = None
        self._continue_key: Any = None
        self._plotted_structure: Any = None
        self._run_record: RunRecord | None = None
        self.form = SettingsForm()
        self.form.dataset_changed.connect(self._on_dataset_changed)
        self.form.open_file.clicked.connect(self.open_data_file)
        self.form.validation.valueChanged.connect(self._on_dataset_changed)
        self.plots = TrainingPlots()
        self.views: list[EvaluationView] = self._make_views()
        self._views_used = False  # whether a run (or a review) has shown on the views since they were made
        self.context: RunContext | None = None
        self.active_views: list[EvaluationView] = []  # the views that apply to the current run
        self._build()
        self._timer = QTimer(self, interval=REDRAW_MS, timeout=self._redraw)
        self._progress_state: dict[str, Any] = {}
        self._set_state("idle")
        self._on_dataset_changed()
        if getattr(window, "scene", None) is not None:
            window.scene.status_updated.connect(self._on_design_changed)

    # -- layout --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the column is as wide as its widgets
        scroll.setMinimumWidth(self.form.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        row = self._control_row()
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress_label = QLabel("Choose a data set and press Start.")
        self.message = QLabel()
        self.message.setObjectName("trainingMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.plots, "Curves")
        for view in self.views:
            self.tabs.addTab(scrolling(view), view.title)  # a tall view scrolls: the panel fits a laptop
        right = QWidget()
        box = QVBoxLayout(right)
        box.setContentsMargins(4, 0, 0, 0)
        row.addStretch(1)
        box.addLayout(row)
        progress_row = QHBoxLayout()  # below the buttons, so the panel fits a laptop's width; one row for the
        progress_row.addWidget(self.progress, 2)  # bar and its text, so the plots keep the height
        progress_row.addWidget(self.progress_label, 3)
        box.addLayout(progress_row)
        box.addWidget(self.message)
        box.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 900])
        QVBoxLayout(self).addWidget(splitter)
        self.layout().setContentsMargins(2, 2, 2, 2)

    def _make_views(self) -> list[EvaluationView]:
        """One view of each registered class (the classes registered when the panel was built)."""
        if not hasattr(self, "_view_classes"):
            self._view_classes = list(evaluation_views())
        views = [cls.for_form(self.form) for cls in self._view_classes]
        for view in views:
            setattr(self, view.key, view)  # panel.boundary, panel.health, ...
            if hasattr(view, "sample_chosen"):
                view.sample_chosen.connect(self.show_sample)
        return views

    def show_sample(self, index: int) -> None:
        """Sample ``index`` of the evaluation split, chosen in one view, shown in the views that can show it."""
        shown = [view for view in self.views if view.show_sample(index)]
        if shown:
            self.show_view(shown[0])

    def layer_selected(self, layer_id: str | None) -> None:
        """The canvas selection: one layer (or None), for the views that show a layer."""
        for view in self.views:
            view.layer_selected(layer_id)

    def _control_row(self) -> QHBoxLayout:
        """Start, pause, resume, step, stop and continue."""
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, text, tip in (("start", "▶ Start", "Train from fresh weights"),
                               ("pause", "Pause", "Pause after the current batch"),
                               ("resume", "Resume", "Go on training"),
                               ("step", "Step", "Train one batch, then pause"),
                               ("stop", "Stop", "End the run after the current batch (the weights are kept)"),
                               ("continue", "Continue", "Train more epochs from where the last run stopped")):
            button = QPushButton(text)
            button.setObjectName(f"{key}Button")
            button.setToolTip(tip)
            button.clicked.connect(getattr(self, {"start": "_on_start_clicked",
                                                  "continue": "continue_training"}.get(key, key)))
            self.buttons[key] = button
            row.addWidget(button)
        return row

    def _on_start_clicked(self) -> None:
        """Start as the Training menu does: asking first when that would replace trained weights."""
        self.window_.training_actions.train_from_scratch()

    def _set_state(self, state: str) -> None:
        """``idle``, ``running`` or ``paused``: which buttons apply."""
        self.state = state
        idle = state == "idle"
        enabled = {"start": idle, "pause": state == "running", "resume": state == "paused",
                   "step": not idle, "stop": not idle, "continue": idle and self._can_continue()}
        for key, button in self.buttons.items():
            button.setEnabled(enabled[key])
        self.form.setEnabled(idle)
        self.state_changed.emit(state)

    # -- data ----------------------------------------------------------------------------------------------
    def _on_dataset_changed(self) -> None:
        self._continue_key = None  # other data: a new run, not a continuation
        if self.state == "idle":
            self._set_state("idle")
        try:
            data = self.load_dataset()
        except (DataError, NeuroCanvasError) as exc:
            self.form.data_info.setText(f"⚠ {exc}")
            return
        self.form.data_info.setText(data.summary())
        self._recheck_refusal()
        self.form.augmentation.setEnabled(len(data.input_shape) == 3)
        self.form.set_training_samples(int(round(len(data) * (1 - self.form.validation.value()))))
        for view in self.views:
            view.data_changed(data)
        self.suggest_loss()

    def load_dataset(self) -> Any:
        """The chosen sample with its parameters (loaded once per choice)."""
        info = self.form.sample.currentData()
        if "dataset" in info:
            self.dataset, self._dataset_key = info["dataset"], None
            return self.dataset
        values = self.form.sample_values()
        key = (info["name"], tuple(sorted(values.items())))
        if key != self._dataset_key:
            self.dataset = load_sample(info["name"], **values)
            self._dataset_key = key
        return self.dataset

    def add_dataset(self, data: Any) -> None:
        """Offer ``data`` (a core Dataset, e.g. read from the user's file) in the data set list and choose it."""
        from app.training.data_import import dataset_entry
        self.form.sample.addItem(f"{data.name} (your data)", dataset_entry(data))
        self.form.sample.setCurrentIndex(self.form.sample.count() - 1)

    def open_data_file(self) -> None:
        from app.training.data_import import ask_for_dataset
        data, error = ask_for_dataset(self)
        if error:
            self.refuse([f"The file cannot be used: {error}"])
        elif data is not None:
            self.add_dataset(data)

    def _on_design_changed(self) -> None:
        """Re-suggest the loss for the new output, now if the panel is on screen, else when it is shown (the
        designer's edits should not pay for a second shape inference nobody sees)."""
        self._loss_stale = not self.isVisible()
        if not self._loss_stale:
            self.suggest_loss()
        self._recheck_refusal()

    def showEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        super().showEvent(event)
        if getattr(self, "_loss_stale", False):
            self._loss_stale = False
            self.suggest_loss()

    def suggest_loss(self) -> None:
        """Pre-select the loss that suits the design's output and the data's task."""
        document = getattr(self.window_, "document", None)
        if document is None or self.dataset is None:
            return
        try:
            io = tasks.network_io(document.graph)
        except NeuroCanvasError:
            return
        self.form.suggest_loss(tasks.suggest_loss(io, self.dataset.task))

    def check(self) -> list[str]:
        """Every reason the current design, data set and loss cannot train (shown in the panel)."""
        try:
            data = self.load_dataset()
        except (DataError, NeuroCanvasError) as exc:
            return [f"The data set cannot be made: {exc}"]
        self.suggest_loss()
        return tasks.problems(self.window_.document.graph, data, self.form.loss.currentText())

    def _prepare(self) -> dict[str, Any]:
        """Split, scale and shape the data for the loss."""
        data, form = self.dataset, self.form
        loss = form.loss.currentText()
        io = tasks.network_io(self.window_.document.graph)
        if form.validation.value() > 0:
            splits = data.split(validation=form.validation.value(), test=0.0, seed=form.seed.value())
        else:  # nothing held out: no copy (the trainer shuffles the batches every epoch)
            none = np.empty(0, np.int64)
            splits = Splits(data, data.subset(none), data.subset(none))
        if form.preprocessing.currentData():
            splits = splits.scaled(form.preprocessing.currentData())
        x, y = splits.train.arrays()
        xv, yv = splits.validation.arrays()
        prep = lambda t: tasks.prepare_targets(t, data, loss, io)  # noqa: E731
        x, targets = x.astype(np.float32, copy=False), prep(y)
        val = (xv.astype(np.float32, copy=False), prep(yv)) if len(xv) else None
        evaluation = ("validation", *val) if val else ("training", x, targets)
        return {"x": x, "y": targets, "labels": y, "val": val, "val_labels": yv,
                "evaluation": evaluation, "io": io, "loss": loss, "data": data,
                "eval_x": xv if len(xv) else x, "eval_labels": yv if len(xv) else y}

    # -- control -------------------------------------------------------------------------------------------
    def refuse(self, reasons: list[str]) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText("Cannot start training:\n" + "\n".join(f"• {r}" for r in reasons))
        self._refused = True

    def _recheck_refusal(self) -> None:
        """After a refused start, the reasons follow the fixes: gone once nothing prevents training, else the ones
        that remain."""
        if not getattr(self, "_refused", False) or self.state != "idle":
            return
        reasons = self.check()
        if reasons:
            self.refuse(reasons)
        else:
            self._refused = False
            self.message.setStyleSheet("")
            self.message.setText("Ready: press Start (F5).")

    def start(self) -> bool:
        """Check, then train from fresh weights; False (with the reasons shown) when it cannot."""
        if self.state != "idle":
            return False
        reasons = self.check()
        if reasons:
            self.refuse(reasons)
            return False
        form, model = self.form, self.window_.document.model
        try:
            self.prepared = self._prepare()
            model.compile(optimizer=form.optimizer_instance(), loss=self.prepared["loss"],
                          metrics=tasks.suggest_metrics(self.dataset.task), backend=form.backend.currentData(),
                          seed=form.seed.value())
            model.reset_weights(form.seed.value())
        except (NeuroCanvasError, DataError, ValueError) as exc:
            self.refuse([str(exc)])
            return False
        if self._structure() != self._plotted_structure:  # runs of another design are not compared on these axes
            self.plots.clear()
            self._plotted_structure = self._structure()
        self.plots.new_run(form.describe(), self._metric_title())
        self._launch(initial_epoch=0, fresh=True)
        return True

    def _metric_title(self) -> str:
        return "Accuracy" if self.dataset.task == "classification" else "Mean absolute error"

    def _structure(self) -> Any:
        """What makes two runs comparable: the design's layers, their settings and links (not their places)."""
        graph = self.window_.document.graph
        layers = tuple((graph.layer(i).type_name, repr(sorted(graph.layer(i).config.items())))
                       for i in sorted(graph.layer_ids))
        return id(self.window_.document), layers, tuple(sorted(map(repr, graph.links)))

    def next_epoch(self) -> int:
        """The epoch a continued run starts from: after the model's history (saved or trained here)."""
        model = self.window_.document.model
        history = None if model is None else model.history
        if history is not None and history.epoch:
            return int(history.epoch[-1]) + 1
        return model.trainer.epochs_done

    def _can_continue(self) -> bool:
        return self.prepared is not None and self._continue_key == self._design_key()

    def can_continue(self) -> bool:
        """Whether the last run of this design, on this data, can train on."""
        return self._can_continue()

    def _design_key(self) -> Any:
        document = self.window_.document
        return (id(document), document.undo_stack.index(), document.undo_stack.count())

    def continue_training(self) -> bool:
        """Train ``epochs`` more epochs from the weights and optimiser state where the last run ended."""
        if self.state != "idle" or not self._can_continue():
            return False
        self._launch(initial_epoch=self.next_epoch())
        return True

    def _launch(self, initial_epoch: int, fresh: bool = False) -> None:
        p, form = self.prepared, self.form
        trainer = self.window_.document.model.trainer
        self._run_record = RunRecord(form.settings(), initial_epoch, 0, "running", fresh,
                                     datetime.datetime.now().isoformat(timespec="seconds"))
        asked = self._start_views(fresh)
        augment = form.augmentation_instance()
        job = Job(p["x"], p["y"], form.epochs.value(), form.batch_size.value(), initial_epoch, p["val"],
                  p["evaluation"], augment, seed=form.seed.value(), **asked)
        self.epoch_rates: list[float] = []  # the trainer's samples/s of each epoch of this run
        self.worker = TrainingWorker(trainer, job, self)
        self.worker.records.connect(self._on_records)
        self.worker.finished.connect(self._on_finished)
        self._progress_state = {"total": job.epochs * -(-len(job.x) // max(1, min(job.batch_size, len(job.x)))),
                                "done": 0, "first": initial_epoch, "epochs": initial_epoch + job.epochs,
                                "started": time.perf_counter(), "batch": min(job.batch_size, len(job.x)), "text": ""}
        self.progress.setRange(0, self._progress_state["total"])
        self.progress.setValue(0)
        self.message.setStyleSheet("")
        self.message.setText("Training…")
        self._refused = False
        self.window_.set_design_locked(True)
        self._set_state("running")
        self.worker.start()
        self._timer.start()
        self.run_started.emit()

    def _start_views(self, fresh: bool) -> dict[str, Any]:
        """Tell the views that apply a run starts; returns the Job fields they ask for."""
        p = self.prepared
        self._views_used = True
        self.context = RunContext(p["data"], p["x"], p["labels"], p["eval_x"], p["eval_labels"],
                                  p["io"].input_shape, fresh, self.window_.document.model.trainer.network)
        self.active_views = [view for view in self.views if view.applies_to(self.context)]
        asked: dict[str, Any] = {}
        for view in self.active_views:
            view.run_started(self.context)
            asked.update(view.job_fields())
        return asked

    def pause(self) -> None:
        if self.worker is not None and self.state == "running":
            self.worker.pause()
            self._freeze_clock()
            self._set_state("paused")

    def resume(self) -> None:
        if self.worker is not None and self.state == "paused":
            self.worker.resume()
            self._thaw_clock()
            self._set_state("running")

    def step(self) -> None:
        """One batch, then pause."""
        if self.worker is not None and self.state != "idle":
            self._thaw_clock()  # the time paused before the step is left out of the rate
            self.worker.step()
            self._freeze_clock()
            self._set_state("paused")

    def _freeze_clock(self) -> None:
        """Paused time is left out of samples/s and the ETA (see :meth:`_thaw_clock`)."""
        self._progress_state.setdefault("paused_at", time.perf_counter())

    def _thaw_clock(self) -> None:
        paused_at = self._progress_state.pop("paused_at", None)
        if paused_at is not None:
            self._progress_state["started"] += time.perf_counter() - paused_at

    def stop(self) -> None:
        if self.worker is not None and self.state != "idle":
            self.worker.stop()

    def shutdown(self) -> None:
        """Stop a run and wait for its thread (the window is closing). Signals are not disconnected (that can
        deadlock against an emit in the training thread): the worker sends nothing more once shut down, and
        packets already queued are dropped because ``self.worker`` is None."""
        self._timer.stop()
        if self.worker is not None:
            self.worker.shutdown()
            self.worker = None

    # -- records -------------------------------------------------------------------------------------------
    def _on_records(self, packet: tuple) -> None:
        if self.worker is None:  # a packet still queued from a run the window has shut down
            return
        for record in packet:
            if isinstance(record, BatchEnd):
                self.plots.add(record)
                self._count(record)
            elif isinstance(record, EpochEnd):
                self.plots.add(record)
                self.epoch_rates.append(record.samples_per_second)
        for view in self.active_views:
            view.records(packet, self.context)
        self.records_arrived.emit()

    def _count(self, record: BatchEnd) -> None:
        s = self._progress_state
        s["done"] += 1
        elapsed = max(1e-9, time.perf_counter() - s["started"])
        rate = s["done"] * s["batch"] / elapsed
        eta = (s["total"] - s["done"]) * elapsed / s["done"]
        s["text"] = (f"epoch {record.epoch + 1}/{s['epochs']} · batch {record.batch + 1}/{record.batches} · "
                     f"{rate:,.0f} samples/s · ETA {int(eta) // 60}:{int(eta) % 60:02d} · loss {record.loss:.4f}")

    def _redraw(self) -> None:
        self.plots.redraw()
        for view in self.active_views:
            view.tick()
        s = self._progress_state
        if s:
            self.progress.setValue(min(s["done"], s["total"]))
            text = s["text"] or "starting…"
            self.progress_label.setText(f"Paused · {text}" if self.state == "paused" else text)

    def _on_finished(self, outcome: Finished) -> None:
        if self.worker is None:  # shut down with the window: nothing to show
            return
        self._timer.stop()
        self._redraw()
        review, self.worker = self.worker.job.review, None
        self._continue_key = self._design_key()
        self.window_.set_design_locked(False)
        if review:  # nothing trained: the views show the weights, and the run's history is as it was
            if outcome.outcome == "error":
                self.message.setText(f"The evaluation views cannot be shown: {outcome.message}")
            self._review_finished(outcome)
            return
        self._keep_history(outcome)
        if outcome.outcome == "error":
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(f"Training stopped: {outcome.message}")
        else:
            total = len(self.window_.document.model.history.epoch) if self.window_.document.model.history else 0
            ran = len(outcome.history.epoch)
            more = "" if self.context.fresh else f" more ({total} in all)"
            self.message.setText(f"Training {outcome.outcome} after {ran} epoch(s){more}.")
        for view in self.active_views:
            view.run_finished(outcome, self.context)
        self._set_state("idle")
        self.run_finished.emit(outcome)
