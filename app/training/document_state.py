"""The training panel's side of the document: showing a document's own runs and settings (a reopened trained model
with its curves, its evaluation views recomputed from its weights by a review job, and Continue), and keeping a
finished run, with its settings, in the model so that saving the document keeps it.

A mixin of :class:`app.training.panel.TrainingPanel`, whose state (form, plots, views, worker) it uses.
"""

from __future__ import annotations

from typing import Any

from app.training.worker import Finished, Job, TrainingWorker
from app.widgets import scrolling
from core import tasks
from core.data import DataError
from core.errors import NeuroCanvasError


class DocumentState:
    """Loading a document into the panel, and keeping a run in the document's model."""

    def load_document(self, document: Any, sample: str | None = None) -> None:
        """Show ``document``'s training state and nothing of the one before: its settings and data set (or
        ``sample``, a template's), its history's curves, its evaluation views recomputed from its weights, and
        Continue where it has trained. Called by the window whenever it changes documents."""
        self.shutdown()
        self.prepared, self.context, self.active_views = None, None, []
        self._continue_key, self._plotted_structure = None, None
        if self._views_used:  # a run showed on them (building them costs most of a second: only when needed)
            self._replace_views()
        self.plots.clear()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_label.setText("Choose a data set and press Start.")
        self.message.setStyleSheet("")
        self.message.setText("")
        self._refused = False
        self._progress_state = {}
        model = document.existing_model  # a new document has none yet: the engine need not load for it
        settings = None if model is None else model.settings or (model.runs[-1].settings if model.runs else None)
        problems = self.form.apply(settings) if isinstance(settings, dict) else []
        if sample is not None and not self.form.select_sample(sample):
            problems.append(f"the sample data set {sample!r} is not in this version")
        self.form.loss_chosen_by_user = isinstance(settings, dict) and bool(settings.get("loss"))
        self._on_dataset_changed()
        self._set_state("idle")
        history = None if model is None else model.history
        if history is not None and history.epoch:
            self._show_trained(model, problems)
        elif problems:
            self.message.setText("The saved training settings could not all be used: " + "; ".join(problems))

    def show_view(self, view: Any) -> None:
        """Bring the tab of ``view`` (an evaluation view, or the plots) to the front."""
        for index in range(self.tabs.count()):
            page = self.tabs.widget(index)
            if page is view or getattr(page, "widget", lambda: None)() is view:
                self.tabs.setCurrentIndex(index)
                return

    def choose_sample(self, name: str) -> None:
        """Select the sample data set ``name`` (a template made for it was opened)."""
        if self.state == "idle" and not self.form.select_sample(name):
            self.message.setText(f"The sample data set {name!r} is not in this version.")

    def _replace_views(self) -> None:
        """Fresh evaluation views (tabs), so nothing of another document's run stays on them."""
        current = self.tabs.currentIndex()
        while self.tabs.count() > 1:  # every tab after the curves
            page = self.tabs.widget(1)
            self.tabs.removeTab(1)
            page.deleteLater()
        self.views = self._make_views()
        for view in self.views:
            self.tabs.addTab(scrolling(view), view.title)
        self.tabs.setCurrentIndex(min(current, self.tabs.count() - 1))
        self._views_used = False

    def _show_trained(self, model: Any, problems: list[str]) -> None:
        """A reopened trained model: its curves, its views on its data set, and Continue from its weights."""
        run = model.runs[-1] if model.runs else None
        name = self.form.describe() if run is None else _describe_settings(run.settings)
        metric_title = self._metric_title() if self.dataset is not None else "Accuracy"
        self.plots.show_history(model.history, name, metric_title)
        self._plotted_structure = self._structure()
        epochs = len(model.history.epoch)
        text = f"Trained {epochs} epoch(s)"
        last = {k: v[-1] for k, v in model.history.history.items() if v}
        if "loss" in last:
            text += f" · loss {last['loss']:.4g}"
        if problems:
            self.message.setText(text + ". Cannot continue here: " + "; ".join(problems))
            return
        reasons = self.check()
        if reasons:
            self.message.setText(text + ". To continue: " + " ".join(reasons))
            return
        try:
            self.prepared = self._prepare()
            if model.compiled is None or model.loss.name != self.prepared["loss"]:
                model.compile(optimizer=self.form.optimizer_instance(), loss=self.prepared["loss"],
                              metrics=tasks.suggest_metrics(self.dataset.task),
                              backend=self.form.backend.currentData(), seed=self.form.seed.value())
        except (NeuroCanvasError, DataError, ValueError) as exc:
            self.prepared = None
            self.message.setText(f"{text}. Cannot continue here: {exc}")
            return
        self._continue_key = self._design_key()
        self.progress.setValue(1)
        self.progress_label.setText(f"Ready to continue from epoch {self.next_epoch() + 1}.")
        self.message.setText(f"{text}. Continue (F5) trains on from these weights.")
        self._review()

    def _review(self) -> None:
        """Recompute the evaluation views from the current weights, in the background (no training)."""
        p = self.prepared
        asked = self._start_views(fresh=False)
        job = Job(p["x"], p["y"], 0, self.form.batch_size.value(), self.next_epoch(), p["val"], p["evaluation"],
                  None, seed=self.form.seed.value(), review=True, **asked)
        self.worker = TrainingWorker(self.window_.document.model.trainer, job, self)
        self.worker.records.connect(self._on_records)
        self.worker.finished.connect(self._on_finished)
        self.window_.set_design_locked(True)
        self._set_state("running")
        self.worker.start()

    def _review_finished(self, outcome: Finished) -> None:
        for view in self.active_views:
            view.run_finished(outcome, self.context)
        self._set_state("idle")

    def _keep_history(self, outcome: Finished) -> None:
        """The run's epochs become part of the model's history (a continued run extends it; a fresh one starts it),
        and the run with its settings joins the model's runs, so that saving the document keeps them."""
        model, run = self.window_.document.model, outcome.history
        if not run.epoch:
            return
        fresh = self.context.fresh or model.history is None
        model.history = run if fresh else model.history.extended(run)
        record = self._run_record
        record.epochs, record.outcome = len(run.epoch), outcome.outcome
        model.runs = [record] if fresh else [*model.runs, record]
        model.settings, model.dataset_info = record.settings, record.settings["data"]

    def store_settings(self) -> None:
        """Keep the form's settings in the model (the document is being saved: they are the next run's)."""
        if self.state == "idle":
            try:
                self.window_.document.model.settings = self.form.settings()
            except (NeuroCanvasError, ValueError):
                pass  # settings the form cannot express are not worth failing a save over


def _describe_settings(settings: dict[str, Any]) -> str:
    """The legend name of a saved run's settings (as :meth:`SettingsForm.describe` names a run)."""
    optimizer = settings.get("optimizer") if isinstance(settings.get("optimizer"), dict) else {}
    text = f"{optimizer.get('name', '?')} lr {optimizer.get('learning_rate', '?'):g}" \
        if isinstance(optimizer.get("learning_rate"), (int, float)) else str(optimizer.get("name", "saved run"))
    return f"{text} · batch {settings.get('batch_size', '?')}"
