"""What an evaluation view is to the training panel: a tab with a title that hears a run start, receives the
run's records and hears it end.

The panel builds one of each class in :mod:`app.evaluation.registry`, adds it as a tab and calls, for every view
that :meth:`~EvaluationView.applies_to` the run: :meth:`~EvaluationView.run_started` (then asks for
:meth:`~EvaluationView.job_fields`, what the worker should compute for it), :meth:`~EvaluationView.records` with
each packet of records, :meth:`~EvaluationView.tick` on the panel's redraw timer, and
:meth:`~EvaluationView.run_finished`. :meth:`~EvaluationView.data_changed` hears the data set change between
runs, :meth:`~EvaluationView.layer_selected` a layer chosen on the canvas, and :meth:`~EvaluationView.show_sample`
a sample chosen in another view. Every hook does nothing by default, so a view overrides only what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np


@dataclass(frozen=True)
class RunContext:
    """What a run trains on, as the views see it.

    Attributes:
        data: the core :class:`~core.data.Dataset` being trained on (its task, classes and name).
        x, labels: the training inputs (as the network sees them) and their labels (classes or values).
        eval_x, eval_labels: the split predicted at the end (validation, or training when nothing is held out).
        input_shape: the network's input shape, without the batch axis.
        fresh: a new run from fresh weights; False when it continues the last run.
        network: the network that trains. It belongs to the worker while the run goes: a view may use it only
            after :meth:`~EvaluationView.run_finished`, on the GUI thread, for small things (one sample).
    """

    data: Any
    x: np.ndarray
    labels: np.ndarray
    eval_x: np.ndarray
    eval_labels: np.ndarray
    input_shape: tuple[int, ...]
    fresh: bool = True
    network: Any = None


class EvaluationView:
    """Mixed into a ``QWidget`` subclass: ``class MyView(QWidget, EvaluationView)``.

    Subclasses set ``key`` (the panel's attribute for the view, e.g. ``panel.boundary``) and ``title`` (the tab).
    """

    key: ClassVar[str] = ""
    title: ClassVar[str] = ""

    @classmethod
    def for_form(cls, form: Any) -> "EvaluationView":
        """The view for a panel whose settings form is ``form`` (most views do not need it)."""
        return cls()

    def applies_to(self, context: RunContext) -> bool:
        """Whether this view has anything to show for the run (the other hooks are skipped when not)."""
        return True

    def data_changed(self, data: Any) -> None:
        """The data set chosen for the next run changed (``data`` is a core Dataset)."""

    def run_started(self, context: RunContext) -> None:
        """A run starts (or continues the last one when ``context.fresh`` is False)."""

    def job_fields(self) -> dict[str, Any]:
        """Fields of the worker's :class:`~app.training.worker.Job` this view needs (``boundary_grid``)."""
        return {}

    def records(self, packet: Sequence[Any], context: RunContext) -> None:
        """Records from the worker, in order (batch and epoch ends, health, boundary outputs, predictions)."""

    def tick(self) -> None:
        """Called up to ten times a second while a run goes: draw what arrived since the last tick."""

    def run_finished(self, outcome: Any, context: RunContext) -> None:
        """The run ended; ``outcome`` is a :class:`~app.training.worker.Finished`."""

    def layer_selected(self, layer_id: str | None) -> None:
        """The user selected one layer on the canvas (None: no layer, or several)."""

    def show_sample(self, index: int) -> bool:
        """Show sample ``index`` of the evaluation split (another view chose it); True if this view shows it.

        A view that lets the user choose a sample emits ``sample_chosen(int)``: the panel passes it to every
        view and brings the first that shows it to the front.
        """
        return False
