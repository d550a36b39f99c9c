"""File operations of a window: open, save, save as, templates, image export, crash recovery.

Dialogs live here so that the window class stays small; tests call :func:`open_file` and
:meth:`Document.save` directly.
"""

from __future__ import annotations

from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import document as document_mod
from app import settings
from app.undo_commands import InsertDesignCommand
from app.document import DESIGN_SUFFIX, Document
from app.window_protocol import DocumentWindow
from core import templates
from core.errors import NeuroCanvasError


def file_filters() -> str:
    return f"Keras model (*.h5);;NeuroCanvas design (*{DESIGN_SUFFIX})"


def open_template(window: DocumentWindow, key: str) -> None:
    """A new document holding the template (one undo step), shown whole."""
    if not window.maybe_save():
        return
    template = templates.get(key)
    doc = Document(parent=window)
    window.set_document(doc)
    doc.undo_stack.push(InsertDesignCommand(doc.graph, template.design(), text=f"Template: {template.title}"))
    if template.sample:  # the data set the design is made for
        window.training_area.choose_sample(template.sample)
    window.show_canvas()
    window.scene.refresh_status()
    window.view.fit()


def open_file(window: DocumentWindow, path: str) -> bool:
    """Open a design file in ``window`` (after offering to save the current one); False if refused."""
    if not window.maybe_save():
        return False
    try:
        doc = Document.open(path, window)
    except (NeuroCanvasError, OSError, ValueError) as exc:
        QMessageBox.warning(window, "Cannot open", _short(str(exc)))
        return False
    except Exception as exc:  # noqa: BLE001  (a stranger's file: a clear refusal, never a traceback)
        QMessageBox.warning(window, "Cannot open", _short(f"{path} cannot be opened ({type(exc).__name__}: {exc})"))
        return False
    window.set_document(doc)
    settings.add_recent_file(path)
    window.show_canvas()
    window.scene.refresh_status()
    window.view.fit()
    return True


def open_dialog(window: DocumentWindow) -> None:
    filters = file_filters() + ";;All files (*)"
    path, _ = QFileDialog.getOpenFileName(window, "Open a design", "", filters)
    if path:
        open_file(window, path)


def save(window: DocumentWindow) -> bool:
    if not window.document.path:
        return save_as(window)
    return _write(window, window.document.path)


def save_as(window: DocumentWindow) -> bool:
    suggested = window.document.path or "model.h5"
    path, chosen = QFileDialog.getSaveFileName(window, "Save the design", suggested, file_filters())
    if not path:
        return False
    if "." not in path.rsplit("/", 1)[-1]:
        path += ".h5" if chosen.startswith("Keras") else DESIGN_SUFFIX
    return _write(window, path)


def _write(window: DocumentWindow, path: str) -> bool:
    window.training_area.store_settings()  # the settings chosen for the next run are part of the document
    try:
        window.document.save(path)
    except (NeuroCanvasError, OSError, ValueError) as exc:
        QMessageBox.warning(window, "Cannot save", str(exc))
        return False
    window.statusBar().showMessage(f"Saved {path}", 4000)
    return True


def export_image(window: DocumentWindow) -> None:
    """Write the whole design as a PNG image."""
    path, _ = QFileDialog.getSaveFileName(window, "Export the canvas", "design.png", "PNG image (*.png)")
    if path:
        render_png(window.scene, path)


def render_png(scene, path: str) -> None:
    rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
    image = QImage(max(1, int(rect.width())), max(1, int(rect.height())), QImage.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    scene.render(painter, target=image.rect(), source=rect)
    painter.end()
    image.save(path)


def offer_recovery(window: DocumentWindow) -> bool:
    """After a crash, offer the newest autosaved design back; returns whether one was restored."""
    files = document_mod.recovery_files()
    if not files:
        return False
    answer = QMessageBox.question(
        window, "Recover unsaved work",
        "NeuroCanvas did not close normally last time. Restore the work that was not saved (the design, and its "
        "trained weights and runs where it had trained)?",
        QMessageBox.Yes | QMessageBox.Discard, QMessageBox.Yes)
    if answer != QMessageBox.Yes:
        for path in files:
            document_mod.discard_recovery_file(path)
        return False
    try:
        document = document_mod.recover(files[0], window)
    except (NeuroCanvasError, OSError, ValueError, RecursionError) as exc:
        QMessageBox.warning(window, "Cannot recover", _short(f"The unsaved work cannot be read back: {exc}"))
        for path in files:
            document_mod.discard_recovery_file(path)
        return False
    window.set_document(document)
    for path in files[1:]:
        document_mod.discard_recovery_file(path)
    window.show_canvas()
    window.view.fit()
    return True


def _short(text: str, limit: int = 600) -> str:
    """At most ``limit`` characters of a message (an error may quote a huge value from the file)."""
    return text if len(text) <= limit else text[:limit] + "…"
