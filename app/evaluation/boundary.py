"""The decision boundary of a 2-D data set, as TensorFlow Playground draws it but for any network and any number
of classes: the network's prediction over a grid, coloured by class and shaded by confidence, under the data
points; for regression, the predicted surface. Updated live while training (the worker computes the grid)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.evaluation.base import EvaluationView, RunContext
from app.training.worker import BoundaryRecord

CLASS_COLORS = np.array([(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14),
                         (23, 190, 207), (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34)], float)
RESOLUTION = 80


@dataclass(frozen=True)
class Grid:
    """A square grid over the data's range (with a margin): ``points`` is ``(RESOLUTION², 2)``, rows first."""

    points: np.ndarray
    rect: tuple[float, float, float, float]  # x0, y0, width, height
    size: int


def grid_for(x: np.ndarray, size: int = RESOLUTION) -> Grid:
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-6)
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size))
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    return Grid(points, (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])), size)


def class_image(outputs: np.ndarray, size: int) -> np.ndarray:
    """RGB image ``(size, size, 3)`` of the predicted class, pale where the network is unsure."""
    out = np.nan_to_num(np.asarray(outputs, dtype=np.float64).reshape(size * size, -1), nan=0.5)
    probs = np.concatenate([1 - out, out], axis=1) if out.shape[1] == 1 else out
    probs = np.clip(probs, 0.0, 1.0)
    colors = CLASS_COLORS[np.arange(probs.shape[1]) % len(CLASS_COLORS)]
    k = probs.shape[1]
    confidence = ((probs.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k))[:, None]
    mixed = colors[probs.argmax(axis=1)] * (0.15 + 0.45 * confidence) + 255.0 * (0.85 - 0.45 * confidence)
    return mixed.reshape(size, size, 3).clip(0, 255).astype(np.uint8)


def value_image(outputs: np.ndarray, size: int) -> np.ndarray:
    """RGB image of a regression surface (blue low, red high)."""
    v = np.nan_to_num(np.asarray(outputs, dtype=np.float64).reshape(size * size, -1)[:, 0], posinf=1e30,
                      neginf=-1e30)
    t = ((v - v.min()) / max(float(np.ptp(v)), 1e-12))[:, None]
    rgb = (1 - t) * np.array([70, 110, 200.0]) + t * np.array([220, 80, 60.0])
    return (0.45 * rgb + 0.55 * 255).reshape(size, size, 3).astype(np.uint8)


class BoundaryView(QWidget, EvaluationView):
    """The grid image under a scatter plot of the training points (for networks with two inputs)."""

    key = "boundary"
    title = "Decision boundary"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.scatter = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w", width=0.6))
        self.plot.addItem(self.image)
        self.plot.addItem(self.scatter)
        self.note = QLabel("The decision boundary appears here while a 2-D data set trains.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self.grid: Grid | None = None
        self.task = "classification"
        self.updates = 0

    def applies_to(self, context: RunContext) -> bool:
        return context.input_shape == (2,)

    def run_started(self, context: RunContext) -> None:
        self.set_data(context.x, context.labels, context.data, grid_for(context.x))

    def job_fields(self) -> dict[str, Any]:
        return {"boundary_grid": self.grid.points} if self.grid is not None else {}

    def records(self, packet: Sequence[Any], context: RunContext) -> None:
        for record in packet:
            if isinstance(record, BoundaryRecord):
                self.set_outputs(record.outputs)

    def set_data(self, x: np.ndarray, labels: np.ndarray, data: Any, grid: Grid) -> None:
        """The points to draw (coloured by class, or by value for regression) and the grid they lie on."""
        self.grid, self.task = grid, data.task
        if data.task == "classification":
            brushes = [pg.mkBrush(*CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in labels]
        else:
            v = np.asarray(labels, float).reshape(len(labels), -1)[:, 0]
            t = (v - v.min()) / max(float(np.ptp(v)), 1e-12)
            brushes = [pg.mkBrush(int(70 + 150 * a), int(110 - 30 * a), int(200 - 140 * a)) for a in t]
        self.scatter.setData(x[:, 0], x[:, 1], brush=brushes)
        self.image.clear()
        self.note.setText(f"{data.name}: prediction over the plane, points = training data "
                          + ("(colour = class, pale = unsure)" if data.task == "classification" else
                             "(colour = value)"))
        self.plot.setRange(QRectF(*grid.rect), padding=0)

    def set_outputs(self, outputs: np.ndarray) -> None:
        """Redraw the background from the network's outputs on the grid."""
        if self.grid is None:
            return
        size = self.grid.size
        rgb = class_image(outputs, size) if self.task == "classification" else value_image(outputs, size)
        self.image.setImage(rgb, levels=(0, 255))
        self.image.setRect(QRectF(*self.grid.rect))
        self.updates += 1
