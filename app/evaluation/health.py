"""Training health: per-layer gradient and weight norms over time, with warnings for vanishing or exploding
gradients and dead ReLU units, and the stop on NaN explained."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QVBoxLayout, QWidget

from app.evaluation.base import EvaluationView, RunContext
from app.training.worker import HealthRecord

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
VANISHING = 1e-7  # gradient norm relative to weight norm
EXPLODING = 1e3  # gradient norm
DEAD_SHARE = 0.5  # share of a layer's ReLU units without gradient
PERSIST = 3  # snapshots in a row before a warning is raised


def diagnose(history: list[HealthRecord]) -> list[str]:
    """Warnings from the latest snapshots: each names the layer and says what to try."""
    if len(history) < PERSIST:
        return []
    recent = history[-PERSIST:]
    found = []
    for k, name in enumerate(recent[-1].layers):
        grads = [h.grad_norms[k] for h in recent if k < len(h.grad_norms)]
        weights = [h.weight_norms[k] for h in recent if k < len(h.weight_norms)]
        if all(g <= VANISHING * max(w, 1e-12) for g, w in zip(grads, weights)):
            found.append(f"Vanishing gradients in '{name}' (norm {grads[-1]:.1e}): the layer no longer learns. Use "
                         "ReLU instead of sigmoid/tanh, He initialisation, BatchNormalization or skip connections.")
        if all(g >= EXPLODING for g in grads) or not np.isfinite(grads[-1]):
            found.append(f"Exploding gradients in '{name}' (norm {grads[-1]:.1e}): lower the learning rate, scale "
                         "the inputs, or set the optimiser's clipnorm.")
    for name, dead, total in recent[-1].dead_units:
        shares = [d / max(t, 1) for h in recent for n, d, t in h.dead_units if n == name]
        if len(shares) == PERSIST and min(shares) >= DEAD_SHARE:
            found.append(f"Dead ReLU units in '{name}': {dead} of {total} passed no gradient for a whole batch. "
                         "Lower the learning rate, or use LeakyReLU or ELU.")
    return found


class HealthView(QWidget, EvaluationView):
    """Two log-scale plots (gradient norms, weight norms) per layer and the list of warnings."""

    key = "health"
    title = "Training health"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.grad_plot = self.graphics.addPlot(row=0, col=0, title="Gradient norm per layer")
        self.weight_plot = self.graphics.addPlot(row=0, col=1, title="Weight norm per layer")
        for plot in (self.grad_plot, self.weight_plot):
            plot.setLogMode(y=True)
            plot.setLabel("bottom", "batch")
            plot.showGrid(x=True, y=True, alpha=0.25)
        self.grad_plot.addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.stop_note = QLabel()
        self.stop_note.setObjectName("healthStop")
        self.stop_note.setWordWrap(True)
        self.stop_note.setStyleSheet("color: #b00020;")
        self.warnings = QListWidget()
        self.warnings.setObjectName("healthWarnings")
        self.warnings.setMaximumWidth(360)
        self.warnings.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(QLabel("Warnings"))
        side.addWidget(self.warnings, 1)
        side.addWidget(self.stop_note)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(side)
        self.reset()

    def run_started(self, context: RunContext) -> None:
        if context.fresh:  # a continued run extends the curves of the last one
            self.reset()

    def records(self, packet: Sequence[Any], context: RunContext) -> None:
        for record in packet:
            if isinstance(record, HealthRecord):
                self.add(record)

    def tick(self) -> None:
        self.redraw()

    def run_finished(self, outcome: Any, context: RunContext) -> None:
        if outcome.outcome == "error":
            self.explain_stop(outcome.message)

    def reset(self) -> None:
        self.history: list[HealthRecord] = []
        self.grad_plot.clear()
        self.weight_plot.clear()
        self.curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.warnings.clear()
        self.stop_note.clear()
        self.dirty = False

    def add(self, record: HealthRecord) -> None:
        self.history.append(record)
        self.dirty = True

    def showEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        super().showEvent(event)
        self.redraw()

    def redraw(self) -> None:
        """Update the curves and warnings; skipped while the view is hidden (done when it is shown)."""
        if not self.dirty or not self.history or not self.isVisible():
            return
        self.dirty = False
        steps = np.array([h.step for h in self.history], float)
        for k, name in enumerate(self.history[-1].layers):
            if name not in self.curves:
                pen = pg.mkPen(COLORS[len(self.curves) % len(COLORS)], width=2)
                self.curves[name] = (self.grad_plot.plot(pen=pen, name=name), self.weight_plot.plot(pen=pen))
            grads = np.array([h.grad_norms[k] if k < len(h.grad_norms) else np.nan for h in self.history])
            weights = np.array([h.weight_norms[k] if k < len(h.weight_norms) else np.nan for h in self.history])
            self.curves[name][0].setData(steps, np.maximum(grads, 1e-30))
            self.curves[name][1].setData(steps, np.maximum(weights, 1e-30))
        found = diagnose(self.history)
        if found != [self.warnings.item(i).text() for i in range(self.warnings.count())]:
            self.warnings.clear()
            self.warnings.addItems(found or [])

    def explain_stop(self, message: str) -> None:
        """Say why training stopped on NaN or infinity, and which layer's gradients were largest before it."""
        text = f"Training stopped: {message}."
        if self.history:
            last = self.history[-1]
            if last.grad_norms:
                k = int(np.nanargmax(last.grad_norms))
                text += (f" Before the stop, the largest gradient norm was {last.grad_norms[k]:.3g} in "
                         f"'{last.layers[k]}'.")
        self.stop_note.setText(text)
