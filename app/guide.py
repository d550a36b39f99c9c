"""Help → Designer Guide: the bundled guide (``resources/designer-guide.md``) in a window of its own, offline."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from core.paths import resources_dir

GUIDE = "designer-guide.md"


def guide_dialog(parent: Any = None) -> QDialog:
    """A non-modal window showing the guide; its images and links resolve inside the shipped resources."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("NeuroCanvas — Designer Guide")
    browser = QTextBrowser(dialog)
    browser.setObjectName("guideBrowser")
    browser.setOpenExternalLinks(True)  # links to the web open in the browser; the guide itself needs none
    browser.setSearchPaths([str(resources_dir())])
    path = resources_dir() / GUIDE
    browser.setMarkdown(path.read_text(encoding="utf-8") if path.is_file()
                        else f"The guide ({GUIDE}) is missing from this installation.")
    buttons = QDialogButtonBox(QDialogButtonBox.Close, dialog)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    screen = QGuiApplication.primaryScreen()
    room = screen.availableGeometry() if screen is not None else None
    dialog.resize(min(900, room.width() - 40) if room else 900, min(720, room.height() - 80) if room else 720)
    return dialog


def show_designer_guide(parent: Any = None) -> QDialog:
    dialog = guide_dialog(parent)
    dialog.show()
    return dialog
