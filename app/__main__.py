"""Start the NeuroCanvas application: ``python -m app [model file]`` (or ``neurocanvas``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app import settings

STYLE_SHEET = Path(__file__).resolve().parent.parent / "resources" / "style.qss"


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (created once), named and styled."""
    QCoreApplication.setOrganizationName(settings.ORGANIZATION)
    QCoreApplication.setApplicationName(settings.APPLICATION)
    app = QApplication.instance() or QApplication(["neurocanvas", *(argv or [])])
    app.setWindowIcon(QIcon(str(STYLE_SHEET.parent / "icons" / "app.svg")))
    if STYLE_SHEET.exists():
        app.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Open the main window (and the model file given as the first argument, if any); run until it closes."""
    args = list(sys.argv[1:] if argv is None else argv)
    app = create_application()
    from app.documents_io import offer_recovery
    from app.main_window import WINDOWS, MainWindow

    window = MainWindow()
    window.setAttribute(Qt.WA_DeleteOnClose)
    WINDOWS.append(window)
    window.show()
    files = [a for a in args if not a.startswith("-")]
    if files:
        window.open_file(files[0])
    else:
        offer_recovery(window)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
