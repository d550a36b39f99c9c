"""File → Export: one entry per registered export format (:mod:`core.io.exporters`, the same files as
``neurocanvas export``), then the canvas as it is drawn."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from app.window_protocol import DocumentWindow
from core.errors import NeuroCanvasError
from core.io.exporters import Exporter, exporters

CANVAS_LABEL = "&Canvas as image (.png)…"


def format_title(exporter: Exporter) -> str:
    """What a format writes, in words: ``"Keras script"`` of the label ``"Keras script (.py)…"``."""
    return exporter.label.split(" (")[0].rstrip("…").replace("&", "")


def build_export_menu(window: DocumentWindow, menu: QMenu, actions: dict[str, QAction]) -> QMenu:
    """Fill ``menu`` with an action per export format, named ``export_<format>`` in ``actions``, then the
    ``export_canvas`` action (the canvas as it is drawn) when ``actions`` has one."""
    canvas = actions.get("export_canvas")
    if canvas is not None:  # named like the formats above it: what is written, then its file type
        canvas.setText(CANVAS_LABEL)
    for cls in exporters():
        action = actions[f"export_{cls.name}"] = QAction(cls.label, window)
        action.setStatusTip(cls.description[0].upper() + cls.description[1:])
        action.triggered.connect(lambda _checked=False, cls=cls: export_with_dialog(window, cls()))
        menu.addAction(action)
    if canvas is not None:
        menu.addSeparator()
        menu.addAction(canvas)
    return menu


def export_with_dialog(window: DocumentWindow, exporter: Exporter) -> Path | None:
    """Ask where to write the document's model in ``exporter``'s format, write it, and say what happened."""
    document = window.document
    model_path = Path(document.path) if document.path else Path.home() / "model.h5"
    path, _ = QFileDialog.getSaveFileName(window, f"Export {format_title(exporter)}",
                                          str(exporter.default_path(model_path)),
                                          f"{exporter.description} (*{exporter.suffix})")
    if not path:
        return None
    weights = model_path.name if document.path else None
    try:
        written = exporter.export(document.model, path, weights_file=weights)
    except (NeuroCanvasError, OSError, ValueError) as exc:
        QMessageBox.warning(window, "Cannot export", str(exc))
        return None
    if exporter.writes_script and not document.path:
        QMessageBox.information(window, "Export", "The script loads its weights from a .h5 file beside it: save "
                                "the model next to the script (File → Save As) before running it.")
    window.statusBar().showMessage(f"Exported {written}", 4000)
    return written
