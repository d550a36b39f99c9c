"""The optimiser playground: several of the engine's own optimisers racing on a 2-D loss surface (a saddle,
Rosenbrock's valley, a noisy bowl), their paths drawn live over the contour plot.

Each optimiser updates a 2-element parameter array with its gradient through the same ``apply`` the trainer
uses, so what is seen here is what happens to every weight of a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from app.evaluation.base import EvaluationView
from core import optimizers
from core.kernels import get_backend

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f")
RACERS = {"SGD": ("sgd", {}), "Momentum": ("sgd", {"momentum": 0.9}),
          "Nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}), "Adagrad": ("adagrad", {}),
          "RMSprop": ("rmsprop", {}), "Adadelta": ("adadelta", {}), "Adam": ("adam", {}), "Nadam": ("nadam", {}),
          "Adamax": ("adamax", {})}
STEPS_PER_TICK = 3
SURFACE_MAP = pg.ColorMap([0.0, 0.5, 1.0], [(250, 250, 235), (150, 200, 220), (40, 70, 140)])
MAX_STEPS = 600


@dataclass(frozen=True)
class Surface:
    """A 2-D loss ``f(p)`` with its gradient, the region drawn, the start point and a suitable learning rate."""

    name: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1
    start: tuple[float, float]
    learning_rate: float  # for SGD, momentum and Nesterov
    adaptive_rate: float  # for the optimisers that scale their steps per parameter (Adagrad, RMSprop, Adam, ...)
    noise: float = 0.0


SURFACES = {s.name: s for s in (
    Surface("Saddle", lambda x, y: 0.5 * x**2 - 0.5 * y**2 + 0.125 * y**4,
            lambda p: np.array([p[0], -p[1] + 0.5 * p[1] ** 3]), (-2.5, 2.5, -2.5, 2.5), (2.2, 1e-3), 0.05, 0.05),
    Surface("Rosenbrock", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
            lambda p: np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)]),
            (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.0), 0.001, 0.05),
    Surface("Noisy bowl", lambda x, y: 0.5 * x**2 + 2.0 * y**2, lambda p: np.array([p[0], 4.0 * p[1]]),
            (-3.0, 3.0, -3.0, 3.0), (-2.6, 2.2), 0.05, 0.1, noise=1.0),
)}


class Racer:
    """One optimiser and its path on the surface."""

    def __init__(self, label: str, surface: Surface, learning_rate: float, seed: int) -> None:
        name, options = RACERS[label]
        self.label = label
        self.optimizer = optimizers.get(name, learning_rate=learning_rate, **options)
        self.surface = surface
        self.w = np.array(surface.start, dtype=np.float64)
        self.g = np.zeros(2)
        self.path = [self.w.copy()]
        self.rng = np.random.default_rng(seed)
        self.diverged = False

    def step(self, k) -> None:
        if self.diverged:
            return
        self.g[:] = self.surface.grad(self.w)
        if self.surface.noise:
            self.g += self.rng.normal(0.0, self.surface.noise, 2)
        self.optimizer.apply(k, [(self.w, self.g)])
        if not np.all(np.isfinite(self.w)) or np.abs(self.w).max() > 1e3:
            self.diverged = True
            return
        self.path.append(self.w.copy())


class OptimizerPlayground(QWidget, EvaluationView):
    """Choose a surface, the racers and a learning rate; Start runs them together, Reset puts them back.

    It races on its own surfaces, so it takes no part in the panel's runs."""

    key = "playground"
    title = "Optimiser playground"

    @property
    def kernels(self):
        """The engine's CPU kernels, loaded on the first race rather than when the window opens."""
        if self._k is None:
            self._k = get_backend("cpu")
        return self._k

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._k = None
        controls = self._controls()
        self.plot = pg.PlotWidget(background="w")
        self.plot.addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        self.timer = QTimer(self, interval=30, timeout=self.tick)
        self.racers: list[Racer] = []
        self.lines: list[pg.PlotDataItem] = []
        self.isocurves: list[pg.IsocurveItem] = []
        self._on_surface_changed()

    def _controls(self) -> QVBoxLayout:
        """Surface, the two learning rates, the racers' check boxes, Race and Reset, and the scores."""
        self.surface_box = QComboBox()
        self.surface_box.setObjectName("surfaceCombo")
        self.surface_box.addItems(list(SURFACES))
        self.surface_box.currentIndexChanged.connect(self._on_surface_changed)
        self.rate = QDoubleSpinBox(decimals=4, minimum=1e-4, maximum=5.0, singleStep=0.005)
        self.rate.setToolTip("Learning rate of SGD, momentum and Nesterov")
        self.adaptive_rate = QDoubleSpinBox(decimals=4, minimum=1e-4, maximum=5.0, singleStep=0.005)
        self.adaptive_rate.setToolTip("Learning rate of the adaptive optimisers (Adagrad, RMSprop, Adadelta, Adam, "
                                      "Nadam, Adamax), whose steps are about this size whatever the gradient")
        self.checks: dict[str, QCheckBox] = {}
        boxes = QGridLayout()
        for n, label in enumerate(RACERS):
            box = QCheckBox(label)
            box.setChecked(label in ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "Adagrad"))
            self.checks[label] = box
            boxes.addWidget(box, n // 3, n % 3)
        self.start_button = QPushButton("▶ Race")
        self.start_button.clicked.connect(self.start)
        self.reset_button = QPushButton("Reset")
        self.reset_button.clicked.connect(self.reset)
        controls = QVBoxLayout()
        for label, widget in (("Surface", self.surface_box), ("Learning rate (SGD family)", self.rate),
                              ("Learning rate (adaptive)", self.adaptive_rate)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addLayout(boxes)
        row = QHBoxLayout()
        row.addWidget(self.start_button)
        row.addWidget(self.reset_button)
        controls.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        controls.addWidget(self.status)
        controls.addStretch(1)
        return controls

    @property
    def surface(self) -> Surface:
        return SURFACES[self.surface_box.currentText()]

    def _on_surface_changed(self) -> None:
        self.rate.setValue(self.surface.learning_rate)
        self.adaptive_rate.setValue(self.surface.adaptive_rate)
        self._draw_surface()
        self.reset()

    def _draw_surface(self) -> None:
        s = self.surface
        x0, x1, y0, y1 = s.bounds
        gx, gy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        z = s.f(gx, gy)
        shown = np.log1p(z - z.min())
        self.image.setImage(shown, levels=(shown.min(), shown.max()),
                            lut=SURFACE_MAP.getLookupTable(0.0, 1.0, 256, alpha=False))
        self.image.setOpacity(0.55)
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        for iso in self.isocurves:
            self.plot.removeItem(iso)
        self.isocurves = []
        for level in np.linspace(shown.min(), shown.max(), 14)[1:-1]:
            iso = pg.IsocurveItem(data=shown.T, level=level, pen=pg.mkPen("#555", width=0.6))
            iso.setParentItem(self.image)
            self.isocurves.append(iso)
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def reset(self) -> None:
        """Put every chosen optimiser back at the start point with fresh state."""
        self.timer.stop()
        for line in self.lines:
            self.plot.removeItem(line)
        self.racers, self.lines = [], []
        for n, (label, box) in enumerate(self.checks.items()):
            if box.isChecked():
                rate = self.rate if RACERS[label][0] == "sgd" else self.adaptive_rate
                self.racers.append(Racer(label, self.surface, rate.value(), seed=n))
                line = self.plot.plot(pen=pg.mkPen(COLORS[n % len(COLORS)], width=2), name=label)
                self.lines.append(line)
        self.status.setText("")
        self._draw_paths()

    def start(self) -> None:
        if not self.racers or len(self.racers[0].path) > 1:
            self.reset()
        self.timer.start()

    def tick(self) -> None:
        """A few steps of every racer, then redraw their paths."""
        for _ in range(STEPS_PER_TICK):
            for racer in self.racers:
                racer.step(self.kernels)
        self._draw_paths()
        steps = max((len(r.path) for r in self.racers), default=0)
        if steps >= MAX_STEPS or all(r.diverged for r in self.racers):
            self.timer.stop()

    def _draw_paths(self) -> None:
        notes = []
        for racer, line in zip(self.racers, self.lines):
            path = np.asarray(racer.path)
            line.setData(path[:, 0], path[:, 1])
            value = float(self.surface.f(path[-1, 0], path[-1, 1]))
            notes.append(f"{racer.label}: " + ("diverged" if racer.diverged else f"loss {value:.3g}"))
        self.status.setText("\n".join(notes))
