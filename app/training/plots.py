"""Live training curves (pyqtgraph): loss, the accuracy or regression metric, and the learning rate.

Per run: the training value per batch (smoothed), per epoch, and the validation value per epoch. Earlier runs stay
on the plots (fainter) for comparison, named by their settings, each shown or hidden from the runs list. Curves
are created once and updated with ``setData``, at most as often as :meth:`TrainingPlots.redraw` is called
(the panel calls it from a 10 Hz timer only when new records arrived). The best validation epoch is marked, and
the point where validation loss turns up while training loss keeps falling is labelled as overfitting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app import theme
from core.training import BatchEnd, EpochEnd

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
SMOOTHING = 0.9  # exponential moving average of the per-batch values
RISE = 1e-3  # validation loss this much (relative) above its best counts as turned up
PLOT_COLOURS = {False: {"background": "w", "axis": "#333333", "text": "#444444", "line": "#555555"},
                True: {"background": "#1e2126", "axis": "#c8ccd2", "text": "#e6e8eb", "line": "#aab0b8"}}


def short_number(value: float) -> str:
    """A tick label for a learning rate: ``1e-3``, ``2.5e-4``, ``0.1``, ``5``."""
    if value <= 0 or not math.isfinite(value):
        return ""
    if 0.1 <= value < 1000:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


class RateAxis(pg.AxisItem):
    """A log axis with a few short labels (``1e-3``): one per decade, thinned to fit, or 1-2-5 steps, or the one
    value shown when the range is narrower than that (a constant rate)."""

    def __init__(self, orientation: str = "left", most: int = 4, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.most = most

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        if not self.logMode or not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return super().tickValues(minVal, maxVal, size)
        decades = [float(e) for e in range(math.ceil(minVal), math.floor(maxVal) + 1)]
        if len(decades) >= 2:
            step = math.ceil(len(decades) / self.most)
            return [(float(step), decades[::step])]
        steps = [math.log10(m) + e for e in range(math.floor(minVal), math.ceil(maxVal) + 1) for m in (1, 2, 5)]
        inside = [v for v in steps if minVal <= v <= maxVal]
        if 2 <= len(inside) <= self.most:
            return [(1.0, inside)]
        middle = 10 ** ((minVal + maxVal) / 2)
        return [(1.0, [math.log10(float(f"{middle:.1g}"))])]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [short_number(10 ** v) for v in values]


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
    lr_x: list[float] = field(default_factory=list)
    epoch_x: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_metric: list[float] = field(default_factory=list)
    val_x: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    ended: bool = False  # the last epoch of the run came (or a saved history was loaded)
    _ema: dict[str, tuple[float, int]] = field(default_factory=dict)

    def smooth(self, key: str, value: float) -> float:
        """Bias-corrected exponential moving average, so the first batches are not pulled towards zero."""
        avg, n = self._ema.get(key, (0.0, 0))
        avg, n = SMOOTHING * avg + (1 - SMOOTHING) * value, n + 1
        self._ema[key] = (avg, n)
        return avg / (1 - SMOOTHING ** n)

    def add(self, record: BatchEnd | EpochEnd) -> None:
        if isinstance(record, BatchEnd):
            self.ended = False
            self.batch_x.append(record.epoch + (record.batch + 1) / record.batches)
            self.batch_loss.append(self.smooth("loss", record.loss))
            self.lr_x.append(self.batch_x[-1])
            self.lr.append(record.learning_rate)
            if not self.metric and record.metrics:
                self.metric = next(iter(record.metrics))
            if self.metric in record.metrics:
                self.batch_metric.append(self.smooth("metric", record.metrics[self.metric]))
            return
        self.add_epoch(record.epoch, record.logs, ended=record.epoch + 1 >= record.epochs)

    def add_epoch(self, epoch: int, logs: dict[str, float], ended: bool = False) -> None:
        """One epoch's logs (``loss``, the metric, ``val_...``); ``ended``: it is the run's last."""
        self.ended = ended
        if not self.metric:
            self.metric = next((k for k in logs if k not in ("loss", "learning_rate") and not k.startswith("val_")),
                               "")
        self.epoch_x.append(epoch + 1)
        self.epoch_loss.append(logs.get("loss", np.nan))
        self.epoch_metric.append(logs.get(self.metric, np.nan))
        if "val_loss" in logs:
            self.val_x.append(epoch + 1)
            self.val_loss.append(logs["val_loss"])
            self.val_metric.append(logs.get(f"val_{self.metric}", np.nan))

    def best_validation(self) -> tuple[int, float] | None:
        """``(epoch, val_loss)`` of the lowest validation loss so far (NaN epochs are skipped)."""
        losses = np.asarray(self.val_loss, float)
        if not np.isfinite(losses).any():
            return None
        k = int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))
        return int(self.val_x[k]), float(losses[k])

    def overfitting_from(self) -> int | None:
        """The best validation epoch once validation loss has turned up after it while the training loss kept
        falling; None while validation still improves.

        Turned up means above the best (by :data:`RISE`) for the last two epochs, or, once the run has ended,
        for its last epoch alone: a one-epoch bump may still come down while a run goes on, but at the end it is
        what the weights are."""
        best = self.best_validation()
        if best is None:
            return None
        k = self.val_x.index(best[0])
        after = self.val_loss[k + 1:]
        needed = 1 if self.ended else 2
        if len(after) < needed or not all(v > best[1] + RISE * abs(best[1]) for v in after[-needed:]):
            return None
        train = dict(zip(self.epoch_x, self.epoch_loss))
        start, end = train.get(best[0], np.nan), train.get(self.val_x[-1], np.nan)
        return best[0] if end < start else None  # False for NaN too


class _RunCurves:
    """The plot items of one run (created once, updated with setData)."""

    def __init__(self, run: Run, plots: dict[str, pg.PlotItem], number: int) -> None:
        pen = pg.mkPen(run.color, width=1)
        bold = pg.mkPen(run.color, width=2)
        dashed = pg.mkPen(run.color, width=2, style=Qt.DashLine)
        sym = dict(symbol="o", symbolSize=5, symbolBrush=run.color, symbolPen=None)
        self.items: dict[str, pg.PlotDataItem] = {}
        self.plots = plots
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
                "lr": (run.lr_x, run.lr)}
        for key, (x, y) in data.items():
            x, y = np.asarray(x, float), np.asarray(y, float)
            if not np.isfinite(y).any():  # nothing to draw (and pyqtgraph's bounds fail on all-NaN data)
                x, y = x[:0], y[:0]
            self.items[key].setData(x, y)

    def set_visible(self, visible: bool) -> None:
        for item in self.items.values():
            item.setVisible(visible)

    def remove(self) -> None:
        """Take the curves off their plots."""
        for key, item in self.items.items():
            self.plots["lr" if key == "lr" else key.split("_", 1)[1]].removeItem(item)

    def fade(self) -> None:
        for item in self.items.values():
            item.setOpacity(0.45)


class TrainingPlots(QWidget):
    """The three live plots and the list of runs to show or hide."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        colours = PLOT_COLOURS[theme.is_dark()]
        pg.setConfigOptions(antialias=True, background=colours["background"], foreground=colours["axis"])
        self.graphics = pg.GraphicsLayoutWidget()
        self.plots: dict[str, pg.PlotItem] = {}
        self.titles = {"loss": "Loss (dashed: validation)", "metric": "Accuracy", "lr": "Learning rate"}
        for col, (key, title) in enumerate(self.titles.items()):
            axes = {"left": RateAxis("left")} if key == "lr" else None
            plot = self.graphics.addPlot(row=0, col=col, title=title, axisItems=axes)
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.25)
            self.plots[key] = plot
        # no legend: the runs list names each run in its colour and the titles say what is dashed (a legend covered
        # the curves of a plot as short as a laptop's dock leaves)
        self.plots["lr"].setLogMode(y=True)
        self.best_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(colours["line"], style=Qt.DotLine))
        self.best_label = pg.TextItem(color=colours["text"], anchor=(1, 1))
        for item in (self.best_line, self.best_label):
            item.setVisible(False)
            self.plots["loss"].addItem(item, ignoreBounds=True)
        self._best_epoch: float | None = None
        self.plots["loss"].getViewBox().sigRangeChanged.connect(self._place_best_label)
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
        self.refresh_theme()

    def refresh_theme(self) -> None:
        """Draw the plots in the colour scheme in use: a dark background with light axes and text, or the
        reverse (called by :func:`app.theme.refresh`)."""
        colours = PLOT_COLOURS[theme.is_dark()]
        self.graphics.setBackground(colours["background"])
        for key, plot in self.plots.items():
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(colours["axis"]))
                axis.setTextPen(pg.mkPen(colours["axis"]))
            plot.setTitle(self.titles[key], color=colours["text"])
        self.best_line.setPen(pg.mkPen(colours["line"], style=Qt.DotLine))
        self.best_label.setColor(colours["text"])

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
        self.titles["metric"] = f"{metric_title} (dashed: validation)"
        self.plots["metric"].setTitle(self.titles["metric"], color=PLOT_COLOURS[theme.is_dark()]["text"])
        item = QListWidgetItem(run.name)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked)
        item.setForeground(pg.mkColor(run.color))
        self.runs_list.addItem(item)
        self.best_line.setVisible(False)
        self.best_label.setVisible(False)
        self._best_epoch = None
        return run

    def show_history(self, history, name: str, metric_title: str = "Accuracy") -> Run:
        """Start a run and fill it from a saved ``core.training.History`` (per-epoch logs in
        ``history.history`` with epochs ``history.epoch``; per-batch ``history.batches``, a list of
        ``core.training.BatchEnd``, possibly empty), then draw it."""
        run = self.new_run(name, metric_title)
        logs = history.history
        for record in history.batches:
            run.add(record)
        for row, epoch in enumerate(history.epoch):
            run.add_epoch(int(epoch), {k: v[row] for k, v in logs.items() if row < len(v)})
        if not history.batches and "learning_rate" in logs:  # no batches kept: the rate at each epoch's end
            run.lr = [float(v) for v in logs["learning_rate"]]
            run.lr_x = [float(e) + 1 for e in history.epoch[:len(run.lr)]]
        run.ended = True
        self.dirty = True
        self.redraw()
        return run

    def clear(self) -> None:
        """Remove every run with its curves and its entry in the runs list (another document was opened)."""
        for curves in self.curves:
            curves.remove()
        self.runs, self.curves = [], []
        self.runs_list.clear()
        self.best_line.setVisible(False)
        self.best_label.setVisible(False)
        self._best_epoch = None
        self.dirty = False

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
            self._best_epoch = best[0]
            self._place_best_label()
            self.best_line.setVisible(True)
            self.best_label.setVisible(True)

    def _place_best_label(self, *_args) -> None:
        """The label hangs from the top of the loss plot beside the best epoch's line, on the side with more room,
        where it covers no curve (the losses are low by the time validation is best)."""
        if self._best_epoch is None:
            return
        (left, right), (_bottom, top) = self.plots["loss"].getViewBox().viewRange()
        on_right_half = self._best_epoch > left + 0.5 * (right - left)
        self.best_label.setAnchor((1, 0) if on_right_half else (0, 0))
        self.best_label.setPos(self._best_epoch, top)

    def _on_run_toggled(self, item: QListWidgetItem) -> None:
        row = self.runs_list.row(item)
        if 0 <= row < len(self.curves):
            self.curves[row].set_visible(item.checkState() == Qt.Checked)
