"""The confusion matrix on the validation (or training) split, with per-class precision and recall; clicking a
cell lists its samples (true A, predicted B) with their confidences, and choosing one shows it inside the
network."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QListView, QListWidget, QListWidgetItem,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app import theme
from app.evaluation.base import EvaluationView, RunContext
from app.evaluation.images import image_pixmap
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


MAX_CELL_SAMPLES = 200  # a cell's samples listed at once (the most confident first)


def cell_samples(labels: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, true_class: int,
                 predicted_class: int) -> np.ndarray:
    """Indices of the samples of one cell (true ``true_class``, predicted ``predicted_class``), the most confident
    first (ties in index order)."""
    rows = np.flatnonzero((np.asarray(labels) == true_class) & (np.asarray(predicted) == predicted_class))
    return rows[np.argsort(-np.asarray(confidence)[rows], kind="stable")]


class ConfusionView(QWidget, EvaluationView):
    """Rows: true class; columns: predicted class, then precision and recall of the row's class. Under it, the
    samples of the cell last clicked; choosing one emits ``sample_chosen(index)`` (an index into the split)."""

    key = "confusion"
    title = "Confusion matrix"
    sample_chosen = Signal(int)

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
        self.cell_heading = QLabel("Click a cell to list its samples.")
        self.cell_heading.setWordWrap(True)
        self.cell_list = QListWidget()
        self.cell_list.setObjectName("confusionCellSamples")
        cell = QVBoxLayout()
        cell.addWidget(self.cell_heading)
        cell.addWidget(self.cell_list, 1)
        row = QHBoxLayout()  # the cell's samples beside the matrix: the panel is wider than it is tall
        row.addWidget(self.table, 3)
        row.addLayout(cell, 1)
        layout.addLayout(row, 1)
        self.table.cellClicked.connect(self._on_table_cell_clicked)
        self.cell_list.itemClicked.connect(self._on_cell_list_item_clicked)
        self.matrix: np.ndarray | None = None
        self.samples: dict[str, Any] | None = None  # the split's inputs, labels, predictions and confidences

    def records(self, packet: Sequence[Any], context: RunContext) -> None:
        for record in packet:
            if isinstance(record, Predictions):
                self.set_result(record.outputs, context.eval_labels, context.data, record.split, context.eval_x)

    def set_result(self, outputs: np.ndarray, labels: np.ndarray, data: Any, split: str,
                   x: np.ndarray | None = None) -> None:
        """Show the matrix of ``outputs`` against ``labels``; with the inputs ``x``, cells list their samples."""
        self.cell_list.clear()
        self.cell_heading.setText("Click a cell to list its samples.")
        self.samples = None
        if data.task != "classification":
            self.matrix = None
            self.table.clear()
            self.table.setRowCount(0)
            self.heading.setText("A confusion matrix is for classification; see Predictions for this regression.")
            return
        k = data.num_classes
        predicted = predicted_labels(outputs)
        matrix = confusion_matrix(np.asarray(labels, np.int64), predicted, num_classes=k)
        scores = precision_recall_f1(matrix)
        self.matrix = matrix
        self.samples = {"x": x, "labels": np.asarray(labels, np.int64), "predicted": predicted,
                        "confidence": confidences(outputs), "names": [str(n) for n in (data.class_names or range(k))]}
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

    def show_cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        """List the samples of one cell (thumbnails for images); returns their indices, in the list's order."""
        s = self.samples
        self.cell_list.clear()
        if s is None:
            return np.zeros(0, np.int64)
        rows = cell_samples(s["labels"], s["predicted"], s["confidence"], true_class, predicted_class)
        names = s["names"]
        shown = rows[:MAX_CELL_SAMPLES]
        images = s["x"] is not None and np.ndim(s["x"]) == 4
        self.cell_list.setViewMode(QListView.IconMode if images else QListView.ListMode)
        self.cell_list.setIconSize(QSize(40, 40))
        self.cell_list.setResizeMode(QListView.Adjust)
        for index in shown:
            text = f"#{index} · {s['confidence'][index]:.0%}"
            item = QListWidgetItem(QIcon(image_pixmap(s["x"][index], 40)), text) if images else QListWidgetItem(text)
            item.setData(Qt.UserRole, int(index))
            item.setToolTip(f"sample {index}: true {names[true_class]}, predicted {names[predicted_class]} "
                            f"with {s['confidence'][index]:.1%} confidence")
            self.cell_list.addItem(item)
        more = f" (the {len(shown)} most confident shown)" if len(rows) > len(shown) else ""
        self.cell_heading.setText(f"True {names[true_class]}, predicted {names[predicted_class]}: {len(rows)} "
                                  f"sample(s){more}, most confident first. Choose one to look inside the network.")
        return shown

    def _on_table_cell_clicked(self, row: int, column: int) -> None:
        if self.matrix is not None and column < len(self.matrix):
            self.show_cell(row, column)

    def _on_cell_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.sample_chosen.emit(int(item.data(Qt.UserRole)))

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
