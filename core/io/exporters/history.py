"""The training history as CSV: one row per epoch, one column per metric."""

from __future__ import annotations

import csv
import io
from typing import Any

from core.errors import NeuroCanvasError
from core.io.exporters.base import TextExporter


def history_csv(history: Any) -> str:
    """The per-epoch history (a :class:`core.training.History`) as CSV: ``epoch`` then one column per metric."""
    logs = dict(getattr(history, "history", None) or {})
    epochs = list(getattr(history, "epoch", None) or [])
    if not logs or not epochs:
        raise NeuroCanvasError("the model has no training history to export: train it first (the history is "
                               "saved in the .h5 file with the weights)")
    keys = list(logs)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for row, epoch in enumerate(epochs):
        writer.writerow([epoch + 1] + [repr(float(logs[k][row])) if row < len(logs[k]) else "" for k in keys])
    return out.getvalue()


class HistoryCsvExporter(TextExporter):
    name = "history-csv"
    label = "Training history (.csv)…"
    suffix = ".csv"
    stem_suffix = "_history"
    description = "training history: one row per epoch, one column per metric"
    needs_history = True

    def text(self, model: Any, weights_file: str) -> str:
        return history_csv(getattr(model, "history", None))


HistoryCsvExporter.register()
