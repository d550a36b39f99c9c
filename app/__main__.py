"""Start the NeuroCanvas application: ``python -m app [model file]`` (or ``neurocanvas``)."""

from __future__ import annotations

import gc
import sys
from typing import Sequence

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app import settings, theme
from app.worker_thread import hold_starts, run_in_background, stop_holding
from core.paths import resources_dir

RESOURCES = resources_dir()  # the checkout's resources/, or the package data of a wheel or a bundle
STYLE_SHEET = RESOURCES / "style.qss"
DARK_STYLE_SHEET = RESOURCES / "style-dark.qss"
APP_ICON = RESOURCES / "icons" / "app" / "org.neurocanvas.NeuroCanvas.svg"
FIRST_FRAME_WAIT_MS = 3000  # the engine starts loading by then even if no paint was seen (a platform without one)


def apply_style(app: QApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """The light or the dark style sheet, whichever matches ``scheme`` (default: the system's colour scheme now)."""
    dark = (app.styleHints().colorScheme() if scheme is None else scheme) == Qt.ColorScheme.Dark
    sheet = DARK_STYLE_SHEET if dark else STYLE_SHEET
    if sheet.exists():
        app.setStyleSheet(sheet.read_text(encoding="utf-8"))
    theme.set_scheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
    theme.refresh(app)  # the canvas and the icons, which the style sheets do not reach


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (created once), named and styled; the style follows the system's light or dark scheme."""
    QCoreApplication.setOrganizationName(settings.ORGANIZATION)
    QCoreApplication.setApplicationName(settings.APPLICATION)
    QApplication.setDesktopFileName("org.neurocanvas.NeuroCanvas")  # Wayland matches the window to its .desktop
    app = QApplication.instance() or QApplication(["neurocanvas", *(argv or [])])
    app.setWindowIcon(QIcon(str(APP_ICON)))
    apply_style(app)
    if not app.property("followsColorScheme"):
        app.styleHints().colorSchemeChanged.connect(lambda scheme: apply_style(app, scheme))
        app.aboutToQuit.connect(release_clipboard)
        app.setProperty("followsColorScheme", True)
    return app


def release_clipboard() -> None:
    """Take a copied design off the clipboard before quitting: clipboard data the application still owns when the
    interpreter shuts down crashes it on the way out (seen with PySide6 6.11), after the work is saved but with a
    failing exit status."""
    from app.mime import DESIGN_MIME

    clipboard = QApplication.clipboard()
    data = clipboard.mimeData()
    if data is not None and data.hasFormat(DESIGN_MIME):
        clipboard.clear()


class FirstFrame(QObject):
    """Calls ``then`` once ``window`` has painted its first frame: on the event loop's next turn after the first
    paint of its central widget (the frame is on the screen by then), or after ``FIRST_FRAME_WAIT_MS`` at the
    latest. Nothing is called if the window is gone first."""

    def __init__(self, window, then) -> None:
        super().__init__(window)
        self.then = then
        self.target = window.centralWidget() or window
        # the central area paints through its children (an opaque scroll area covers the page stack), so every
        # widget's paint is watched until one inside it comes
        QApplication.instance().installEventFilter(self)
        QTimer.singleShot(FIRST_FRAME_WAIT_MS, self, self.fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Paint and watched.isWidgetType()
                and (watched is self.target or self.target.isAncestorOf(watched))):
            QApplication.instance().removeEventFilter(self)
            QTimer.singleShot(0, self, self.fire)
        return False

    def fire(self) -> None:
        QApplication.instance().removeEventFilter(self)
        then, self.then = self.then, None
        if then is not None:
            then()


def set_aside_what_lives_on() -> None:
    """Keep what exists now (modules, the window, the engine: it lives as long as the application) out of later
    collections, and collect automatically again: a full collection walks every object it sees, over 100 ms on
    the GUI thread once the engine is loaded, and start-up's objects would be walked in every one."""
    gc.freeze()
    gc.enable()


def warm_up_engine(window) -> None:
    """Load the compiled kernels in the background once the window shows, saying so in the status bar, so that
    neither the start nor the first training run waits for them; then start what start-up held back (the training
    form's device check, another process), one after the other so that the GUI thread keeps a core."""
    set_aside_what_lives_on()
    window.statusBar().showMessage("Loading the training engine…")
    held = stop_holding()

    def done() -> None:
        gc.freeze()  # the engine's modules and types (the collector turns collection back on)
        for start in held:
            start()
        if shiboken6.isValid(window):
            window.statusBar().showMessage("Training engine ready", 3000)

    run_in_background(_load_kernels, done)


def _load_kernels() -> None:
    from core.kernels import get_backend
    get_backend("cpu")


def main(argv: Sequence[str] | None = None) -> int:
    """Open the main window (and the model file given as the first argument, if any); run until it closes."""
    args = list(sys.argv[1:] if argv is None else argv)
    gc.disable()  # start-up builds what lives on: collecting meanwhile only delays the first frame
    app = create_application()
    from app.documents_io import offer_recovery
    from app.main_window import WINDOWS, MainWindow

    hold_starts()  # the window paints before any background work takes the interpreter from it
    window = MainWindow()
    window.setAttribute(Qt.WA_DeleteOnClose)
    WINDOWS.append(window)
    window.show()
    FirstFrame(window, lambda: warm_up_engine(window))
    files = [a for a in args if not a.startswith("-")]
    if files:
        window.open_file(files[0])
    else:
        offer_recovery(window)
    try:
        return app.exec()
    finally:  # closed before its first frame: what start-up held back never starts, and collection is back
        stop_holding()
        gc.enable()


if __name__ == "__main__":
    sys.exit(main())
