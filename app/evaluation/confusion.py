"""The confusion matrix on the validation (or training) split, with per-class precision and recall."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app import theme
from app.evaluation.base import EvaluationView, RunContext
from app.training.worker import Predictions
from core.metrics import confusion_matrix, precision_recall_f1


def predicted_labels(outputs: np.ndarray) -> np.ndarray:
    """Class labels from the network's outputs (arg-max, or one sigmoid unit above 0.5)."""
    out = np.asarray(outputs)
    if out.ndim == 1 or out.shape[-1] == 1:
        return (out.reshape(-1) > 0.5).astype(np.int64)
    return out.argmax(axis=-1)


HUES = {True: (40, 140, 70), False: (200, 50, 50)}  # right (the diagonal) and wrong predictions, at full share
EMPTY = {False: (255, 255, 255), True: (30, 33, 38)}  # a cell with no samples, in the light and dark schemes


def cell_colours(share: float, diagonal: bool, dark: bool) -> tuple[QColor, QColor]:
    """The background of a cell holding ``share`` of its row (from empty to the full hue) and the text colour
    readable on it, black or white, whichever contrasts more with the background's luminance."""
    share = min(max(float(share), 0.0), 1.0) if np.isfinite(share) else 0.0
    background = QColor(*[int(round(e + (h - e) * share)) for e, h in zip(EMPTY[dark], HUES[diagonal])])
    return background, QColor("#000000" if relative_luminance(background) > 0.179 else "#ffffff")


def relative_luminance(colour: QColor) -> float:
    """The colour's relative luminance (WCAG): 0 for black, 1 for white. Above 0.179, black text contrasts more
    with it than white text does."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def confidences(outputs: np.ndarray) -> np.ndarray:
    out = np.asarray(outputs, dtype=np.float64)
    if out.ndim == 1 or out.shape[-1] == 1:
        p = out.reshape(-1)
        return np.maximum(p, 1 - p)
    return out.max(axis=-1)


class ConfusionView(QWidget, EvaluationView):
    """Rows: true class; columns: predicted class, then precision and recall of the row's class."""

    key = "confusion"
    title = "Confusion matrix"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("The confusion matrix appears here after a classification run.")
        self.heading.setObjectName("confusionTitle")
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        self.matrix: np.ndarray | None = None

    def records(self, packet: Sequence[Any], context: RunContext) -> None:
        for record in packet:
            if isinstance(record, Predictions):
                self.set_result(record.outputs, context.eval_labels, context.data, record.split)

    def set_result(self, outputs: np.ndarray, labels: np.ndarray, data: Any, split: str) -> None:
        if data.task != "classification":
            self.matrix = None
            self.table.clear()
            self.table.setRowCount(0)
            self.heading.setText("A confusion matrix is for classification; see Predictions for this regression.")
            return
        k = data.num_classes
        matrix = confusion_matrix(np.asarray(labels, np.int64), predicted_labels(outputs), num_classes=k)
        scores = precision_recall_f1(matrix)
        self.matrix = matrix
        names = list(data.class_names or range(k))
        self.table.clear()
        self.table.setRowCount(k)
        self.table.setColumnCount(k + 2)
        self.table.setHorizontalHeaderLabels([f"→ {n}" for n in names] + ["precision", "recall"])
        self.table.setVerticalHeaderLabels([str(n) for n in names])
        rows = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        for i in range(k):
            for j in range(k):
                share = matrix[i, j] / rows[i, 0]
                item = QTableWidgetItem(str(int(matrix[i, j])))
                item.setTextAlignment(Qt.AlignCenter)
                item.setToolTip(f"true {names[i]}, predicted {names[j]}: {int(matrix[i, j])} ({share:.0%} of the row)")
                self.table.setItem(i, j, item)
            for col, key in ((k, "precision"), (k + 1, "recall")):
                item = QTableWidgetItem(f"{scores[key][i]:.0%}")
                item.setTextAlignment(Qt.AlignCenter)
                self.table.setItem(i, col, item)
        self._colour_cells()
        accuracy = np.trace(matrix) / max(1, matrix.sum())
        self.heading.setText(f"Confusion matrix on the {split} split ({int(matrix.sum())} samples): accuracy "
                           f"{accuracy:.1%}. Rows: true class; columns: predicted class.")

    def _colour_cells(self) -> None:
        """Shade each count by its share of the row, its number in a colour readable on that shade."""
        if self.matrix is None:
            return
        rows = np.maximum(self.matrix.sum(axis=1), 1)
        for (i, j), count in np.ndenumerate(self.matrix):
            item = self.table.item(i, j)
            if item is not None:
                background, text = cell_colours(count / rows[i], i == j, theme.is_dark())
                item.setBackground(background)
                item.setForeground(text)

    def refresh_theme(self) -> None:
        """Shade the cells for the colour scheme in use (called by :func:`app.theme.refresh`)."""
        self._colour_cells()
