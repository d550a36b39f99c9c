"""Live training curves (pyqtgraph): loss, the accuracy or regression metric, and the learning rate.

Per run: the training value per batch (smoothed), per epoch, and the validation value per epoch. Earlier runs stay
on the plots (fainter) for comparison, named by their settings, each shown or hidden from the runs list. Curves
are created once and updated with ``setData``, at most as often as :meth:`TrainingPlots.redraw` is called
(the panel calls it from a 10 Hz timer only when new records arrived). The best validation epoch is marked, and
the point where validation loss turns up while training loss keeps falling is labelled as overfitting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from core.training import BatchEnd, EpochEnd

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
SMOOTHING = 0.9  # exponential moving average of the per-batch values


@dataclass
class Run:
    """The records of one training run, as plain growing lists."""

    name: str
    color: str
    metric: str = ""
    batch_x: list[float] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    batch_metric: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_x: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_metric: list[float] = field(default_factory=list)
    val_x: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    _ema: dict[str, tuple[float, int]] = field(default_factory=dict)

    def smooth(self, key: str, value: float) -> float:
        """Bias-corrected exponential moving average, so the first batches are not pulled towards zero."""
        avg, n = self._ema.get(key, (0.0, 0))
        avg, n = SMOOTHING * avg + (1 - SMOOTHING) * value, n + 1
        self._ema[key] = (avg, n)
        return avg / (1 - SMOOTHING ** n)

    def add(self, record: BatchEnd | EpochEnd) -> None:
        if isinstance(record, BatchEnd):
            self.batch_x.append(record.epoch + (record.batch + 1) / record.batches)
            self.batch_loss.append(self.smooth("loss", record.loss))
            self.lr.append(record.learning_rate)
            if not self.metric and record.metrics:
                self.metric = next(iter(record.metrics))
            if self.metric in record.metrics:
                self.batch_metric.append(self.smooth("metric", record.metrics[self.metric]))
            return
        logs = record.logs
        self.epoch_x.append(record.epoch + 1)
        self.epoch_loss.append(logs.get("loss", np.nan))
        self.epoch_metric.append(logs.get(self.metric, np.nan))
        if "val_loss" in logs:
            self.val_x.append(record.epoch + 1)
            self.val_loss.append(logs["val_loss"])
            self.val_metric.append(logs.get(f"val_{self.metric}", np.nan))

    def best_validation(self) -> tuple[int, float] | None:
        """``(epoch, val_loss)`` of the lowest validation loss so far."""
        if not self.val_loss:
            return None
        k = int(np.nanargmin(self.val_loss))
        return int(self.val_x[k]), float(self.val_loss[k])

    def overfitting_from(self) -> int | None:
        """The best validation epoch, once validation loss has risen for two epochs after it while the training
        loss kept falling; None while validation still improves."""
        best = self.best_validation()
        if best is None or len(self.val_loss) - self.val_x.index(best[0]) < 3:
            return None
        k = self.val_x.index(best[0])
        train_after = [self.epoch_loss[self.epoch_x.index(e)] for e in self.val_x[k:] if e in self.epoch_x]
        rising = self.val_loss[-1] > best[1] and self.val_loss[-2] > best[1]
        return best[0] if rising and train_after[-1] < train_after[0] else None


class _RunCurves:
    """The plot items of one run (created once, updated with setData)."""

    def __init__(self, run: Run, plots: dict[str, pg.PlotItem], number: int) -> None:
        pen = pg.mkPen(run.color, width=1)
        bold = pg.mkPen(run.color, width=2)
        dashed = pg.mkPen(run.color, width=2, style=Qt.DashLine)
        sym = dict(symbol="o", symbolSize=5, symbolBrush=run.color, symbolPen=None)
        self.items: dict[str, pg.PlotDataItem] = {}
        for key in ("loss", "metric"):
            plot = plots[key]
            self.items[f"batch_{key}"] = plot.plot(pen=pen, antialias=False)  # dense and noisy: no smoothing cost
            self.items[f"epoch_{key}"] = plot.plot(pen=bold, name=f"run {number}", **sym)
            self.items[f"val_{key}"] = plot.plot(pen=dashed, name=f"run {number} validation", **sym)
        self.items["lr"] = plots["lr"].plot(pen=bold)
        for item in self.items.values():
            item.setClipToView(True)
            item.setDownsampling(auto=True, method="peak")

    def update(self, run: Run) -> None:
        data = {"batch_loss": (run.batch_x, run.batch_loss), "batch_metric": (run.batch_x[:len(run.batch_metric)],
                                                                             run.batch_metric),
                "epoch_loss": (run.epoch_x, run.epoch_loss), "epoch_metric": (run.epoch_x, run.epoch_metric),
                "val_loss": (run.val_x, run.val_loss), "val_metric": (run.val_x, run.val_metric),
                "lr": (run.batch_x, run.lr)}
        for key, (x, y) in data.items():
            self.items[key].setData(np.asarray(x, float), np.asarray(y, float))

    def set_visible(self, visible: bool) -> None:
        for item in self.items.values():
            item.setVisible(visible)

    def fade(self) -> None:
        for item in self.items.values():
            item.setOpacity(0.45)


class TrainingPlots(QWidget):
    """The three live plots and the list of runs to show or hide."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.graphics = pg.GraphicsLayoutWidget()
        self.plots: dict[str, pg.PlotItem] = {}
        for col, (key, title) in enumerate((("loss", "Loss (dashed: validation)"), ("metric", "Accuracy"),
                                                  ("lr", "Learning rate"))):
            plot = self.graphics.addPlot(row=0, col=col, title=title)
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.25)
            self.plots[key] = plot
        self.plots["loss"].addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.plots["lr"].setLogMode(y=True)
        self.best_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#555", style=Qt.DotLine))
        self.best_label = pg.TextItem(color="#444", anchor=(1, 1))
        for item in (self.best_line, self.best_label):
            item.setVisible(False)
            self.plots["loss"].addItem(item, ignoreBounds=True)
        self.runs_list = QListWidget()
        self.runs_list.setObjectName("runsList")
        self.runs_list.setMaximumWidth(230)
        self.runs_list.setToolTip("Earlier runs stay on the plots for comparison: untick one to hide it")
        self.runs_list.itemChanged.connect(self._on_run_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        side = QVBoxLayout()
        side.addWidget(self.runs_list)
        layout.addLayout(side)
        self.runs: list[Run] = []
        self.curves: list[_RunCurves] = []
        self.dirty = False

    @property
    def current(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    def new_run(self, name: str, metric_title: str = "Accuracy") -> Run:
        """Start the curves of a new run; the earlier runs fade but stay."""
        for curves in self.curves:
            curves.fade()
        run = Run(f"run {len(self.runs) + 1}: {name}", COLORS[len(self.runs) % len(COLORS)])
        self.runs.append(run)
        self.curves.append(_RunCurves(run, self.plots, len(self.runs)))
        self.plots["metric"].setTitle(f"{metric_title} (dashed: validation)")
        item = QListWidgetItem(run.name)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked)
        item.setForeground(pg.mkColor(run.color))
        self.runs_list.addItem(item)
        self.best_line.setVisible(False)
        self.best_label.setVisible(False)
        return run

    def add(self, record: BatchEnd | EpochEnd) -> None:
        if self.current is not None:
            self.current.add(record)
            self.dirty = True

    def redraw(self) -> None:
        """Push the current run's new points to its curves (cheap when nothing changed)."""
        if not self.dirty or self.current is None:
            return
        self.dirty = False
        run = self.current
        self.curves[-1].update(run)
        best = run.best_validation()
        if best is not None:
            over = run.overfitting_from()
            self.best_line.setPos(best[0])
            text = f"best validation loss: epoch {best[0]}"
            self.best_label.setText(text + (f"\noverfitting after epoch {over}" if over else ""))
            self.best_label.setAnchor((1, 1) if best[0] > 0.5 * max(run.epoch_x[-1], 1) else (0, 1))
            self.best_label.setPos(best[0], best[1])
            self.best_line.setVisible(True)
            self.best_label.setVisible(True)

    def _on_run_toggled(self, item: QListWidgetItem) -> None:
        row = self.runs_list.row(item)
        if 0 <= row < len(self.curves):
            self.curves[row].set_visible(item.checkState() == Qt.Checked)
