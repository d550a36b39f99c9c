"""What the window's helper modules need of the window they serve, as protocols.

The file operations (:mod:`app.documents_io`, :mod:`app.export_menu`) and the menus (:mod:`app.actions`) are
called by :class:`~app.main_window.MainWindow` and act on it; they name what they use here instead of importing
the window class, so the imports run one way: the window imports its helpers, never the reverse.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import QMenu, QMenuBar, QStatusBar, QToolBar

from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView
from app.document import Document


class DocumentWindow(Protocol):
    """A window editing one document on a canvas: what opening, saving and exporting use."""

    document: Document
    scene: CanvasScene
    view: CanvasView
    training_area: Any  # app.training.panel.TrainingPanel: its settings are saved with the document

    def maybe_save(self) -> bool: ...

    def set_document(self, document: Document) -> None: ...

    def show_canvas(self) -> None: ...

    def statusBar(self) -> QStatusBar: ...


class MenuWindow(DocumentWindow, Protocol):
    """A document window with menus: the slots its actions call and the bars they go in."""

    undo_group: QUndoGroup
    recent_menu: QMenu
    export_menu: QMenu
    view_menu: QMenu

    def menuBar(self) -> QMenuBar: ...

    def addToolBar(self, title: str) -> QToolBar: ...

    def fill_recent_menu(self) -> None: ...

    def new_document(self) -> None: ...

    def new_window(self) -> Any: ...

    def open_dialog(self) -> None: ...

    def save(self) -> bool: ...

    def save_as(self) -> bool: ...

    def export_image(self) -> None: ...

    def close(self) -> bool: ...

    def quit_application(self) -> None: ...

    def cut(self) -> None: ...

    def copy(self) -> None: ...

    def paste(self) -> None: ...

    def duplicate(self) -> None: ...

    def delete(self) -> None: ...

    def select_all(self) -> None: ...

    def auto_arrange(self, direction: str) -> None: ...

    def about(self) -> None: ...
