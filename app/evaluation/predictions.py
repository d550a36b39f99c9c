"""Per-sample predictions: a gallery for images (right in green, wrong in red, filtered by class, sorted by
confidence) and a table for every other kind of data."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem,
                               QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.evaluation.base import EvaluationView, RunContext
from app.evaluation.confusion import confidences, predicted_labels
from app.evaluation.images import image_pixmap
from app.training.worker import Predictions

MAX_SHOWN = 240  # items drawn at once: enough to browse, cheap to build


class PredictionsView(QWidget, EvaluationView):
    """Shows the last run's predictions on the evaluation split."""

    key = "predictions"
    title = "Predictions"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QComboBox()
        self.filter.setObjectName("predictionFilter")
        self.order = QComboBox()
        self.order.addItems(["least confident first", "most confident first"])
        self.summary = QLabel("Predictions appear here after a run.")
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter)
        top.addWidget(self.order)
        top.addWidget(self.summary, 1)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListView.IconMode)
        self.gallery.setIconSize(QSize(56, 56))
        self.gallery.setResizeMode(QListView.Adjust)
        self.gallery.setMovement(QListView.Static)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.gallery)
        self.pages.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        self.filter.currentIndexChanged.connect(self.refresh)
        self.order.currentIndexChanged.connect(self.refresh)
        self.result: dict[str, Any] | None = None
        self._stale = False

    def records(self, packet: Sequence[Any], context: RunContext) -> None:
        for record in packet:
            if isinstance(record, Predictions):
                self.set_result(context.eval_x, record.outputs, context.eval_labels, context.data)

    def set_result(self, x: np.ndarray, outputs: np.ndarray, labels: np.ndarray, data: Any) -> None:
        classify = data.task == "classification"
        result = {"x": np.asarray(x), "outputs": np.asarray(outputs), "labels": np.asarray(labels), "data": data,
                  "images": np.asarray(x).ndim == 4, "classify": classify}
        if classify:
            result["pred"] = predicted_labels(outputs)
            result["conf"] = confidences(outputs)
        else:
            result["pred"] = np.asarray(outputs).reshape(len(outputs), -1)[:, 0]
            result["conf"] = -np.abs(result["pred"] - np.asarray(labels, float).reshape(len(labels), -1)[:, 0])
        self.result = result
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItem("all samples", ("all", None))
        if classify:
            self.filter.addItem("wrong only", ("wrong", None))
            for k, name in enumerate(data.class_names or []):
                self.filter.addItem(f"class {name}", ("class", k))
        self.filter.blockSignals(False)
        self.refresh()

    def selected_rows(self) -> np.ndarray:
        """Rows passing the filter, in the chosen confidence order."""
        r = self.result
        kind, value = self.filter.currentData() or ("all", None)
        rows = np.arange(len(r["labels"]))
        if kind == "wrong":
            rows = rows[r["pred"] != r["labels"]]
        elif kind == "class":
            rows = rows[r["labels"] == value]
        order = np.argsort(r["conf"][rows], kind="stable")
        return rows[order if self.order.currentIndex() == 0 else order[::-1]]

    def showEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Fill the gallery or table, only while it is on screen (building it costs tens of milliseconds of the
        GUI thread: a run's end must not stall the window for a view nobody is looking at)."""
        if self.result is None:
            return
        self._stale = not self.isVisible()
        if self._stale:
            return
        r = self.result
        rows = self.selected_rows()
        if r["classify"]:
            wrong = int(np.count_nonzero(r["pred"] != r["labels"]))
            self.summary.setText(f"{len(r['labels']) - wrong} right, {wrong} wrong; showing {min(len(rows), MAX_SHOWN)}"
                                 f" of {len(rows)}")
        else:
            self.summary.setText(f"{len(rows)} samples, sorted by absolute error")
        if r["images"]:
            self._fill_gallery(rows[:MAX_SHOWN])
        else:
            self._fill_table(rows[:MAX_SHOWN])

    def _fill_gallery(self, rows: np.ndarray) -> None:
        r, names = self.result, self.result["data"].class_names or []
        self.pages.setCurrentWidget(self.gallery)
        self.gallery.clear()
        for i in rows:
            right = r["pred"][i] == r["labels"][i]
            name = lambda k: names[k] if k < len(names) else str(k)  # noqa: E731
            item = QListWidgetItem(QIcon(image_pixmap(r["x"][i])), f"{name(int(r['pred'][i]))} {r['conf'][i]:.0%}")
            item.setBackground(QColor(200, 240, 200) if right else QColor(250, 200, 200))
            item.setToolTip(f"true: {name(int(r['labels'][i]))}, predicted: {name(int(r['pred'][i]))} "
                            f"({r['conf'][i]:.1%})")
            self.gallery.addItem(item)

    def _fill_table(self, rows: np.ndarray) -> None:
        r = self.result
        data = r["data"]
        flat = r["x"].reshape(len(r["x"]), -1)
        features = (data.feature_names or [f"x{k + 1}" for k in range(flat.shape[1])])[:8]
        headers = list(features) + ["true", "predicted", "confidence" if r["classify"] else "error"]
        self.pages.setCurrentWidget(self.table)
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        names = data.class_names or []
        for row, i in enumerate(rows):
            values = [f"{v:.3g}" for v in flat[i, :len(features)]]
            if r["classify"]:
                values += [names[int(r["labels"][i])], names[int(r["pred"][i])], f"{r['conf'][i]:.1%}"]
            else:
                truth = float(np.asarray(r["labels"][i]).reshape(-1)[0])
                values += [f"{truth:.4g}", f"{r['pred'][i]:.4g}", f"{-r['conf'][i]:.3g}"]
            wrong = r["classify"] and r["pred"][i] != r["labels"][i]
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if wrong:
                    item.setBackground(QColor(250, 200, 200))
                self.table.setItem(row, col, item)
