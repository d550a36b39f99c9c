"""The user's own data: read a file (any type :func:`core.data.load_file` reads) into a Dataset, and preview it
before training: a table for tabular data, a thumbnail grid for images, a scatter plot for 2-D data, with the
detected task and shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QLabel, QListView, QListWidget,
                               QListWidgetItem, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.evaluation.boundary import CLASS_COLORS
from app.evaluation.predictions import image_pixmap
from core.data import DataError, Dataset, file_filter, load_file

PREVIEW_ROWS = 50


def preview_widget(data: Dataset) -> QWidget:
    """A table, a thumbnail grid or a scatter plot of the first samples, whichever suits the data."""
    x, y = np.asarray(data.x[:PREVIEW_ROWS * 4]), np.asarray(data.y[:PREVIEW_ROWS * 4])
    if x.ndim == 4 or x.ndim == 3 and data.task == "classification" and x.shape[-1] > 4:
        grid = QListWidget()
        grid.setViewMode(QListView.IconMode)
        grid.setIconSize(QSize(48, 48))
        names = data.class_names or []
        for image, label in zip(x[:PREVIEW_ROWS], y[:PREVIEW_ROWS]):
            text = names[int(label)] if data.task == "classification" and int(label) < len(names) else str(label)
            grid.addItem(QListWidgetItem(QIcon(image_pixmap(image, 48)), text))
        return grid
    if x.ndim == 2 and x.shape[1] == 2:
        plot = pg.PlotWidget(background="w")
        if data.task == "classification":
            brushes = [pg.mkBrush(*CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in y]
        else:
            brushes = [pg.mkBrush(90, 90, 200)] * len(y)
        plot.addItem(pg.ScatterPlotItem(x[:, 0], x[:, 1], brush=brushes, size=6))
        return plot
    flat = x.reshape(len(x), -1)[:PREVIEW_ROWS]
    names = (data.feature_names or [f"x{k + 1}" for k in range(flat.shape[1])])[:12]
    table = QTableWidget(len(flat), len(names) + 1)
    table.setHorizontalHeaderLabels(list(names) + ["target"])
    for r, row in enumerate(flat):
        for c, value in enumerate(row[:len(names)]):
            table.setItem(r, c, QTableWidgetItem(f"{value:.4g}"))
        label = y[r]
        text = (data.class_names[int(label)] if data.task == "classification" and data.class_names
                else np.array2string(np.asarray(label), precision=4))
        table.setItem(r, len(names), QTableWidgetItem(text))
    return table


class ImportDialog(QDialog):
    """Shows what was read (task, shapes, classes, a preview); OK keeps the data set for training."""

    def __init__(self, data: Dataset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import {data.name}")
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        detail = data.summary()
        if data.task == "classification":
            counts = ", ".join(f"{k}: {v}" for k, v in list(data.class_counts().items())[:10])
            detail += f"\nClasses: {counts}"
        info = QLabel(detail + "\n" + "\n".join(data.notes))
        info.setObjectName("importSummary")
        info.setWordWrap(True)
        layout.addWidget(info)
        self.preview = preview_widget(data)
        layout.addWidget(self.preview, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def ask_for_dataset(parent: QWidget) -> tuple[Dataset | None, str]:
    """Ask for a file, read it and preview it; ``(data set or None, error message)``."""
    path, _ = QFileDialog.getOpenFileName(parent, "Open a data file", "", file_filter())
    if not path:
        return None, ""
    try:
        data = load_file(path)
    except (DataError, OSError, ValueError) as exc:
        return None, str(exc)
    data.source = data.source or path  # what a saved model refers to
    return (data if ImportDialog(data, parent).exec() == QDialog.Accepted else None), ""


def dataset_entry(data: Any, path: str = "") -> dict[str, Any]:
    """The sample-list entry of a user's data set read from ``path`` (no generator parameters); the path is what
    a saved model refers to."""
    path = path or data.source
    return {"name": data.name, "title": f"{data.name} (your file)", "category": "file", "params": [],
            "dataset": data, "path": str(Path(path).resolve()) if path else ""}
