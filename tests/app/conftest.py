"""Qt fixtures for the application tests: settings in a temporary folder, a main window, mouse helpers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture(autouse=True)
def temporary_settings(tmp_path_factory):
    """Every test gets its own settings file and recovery folder."""
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    yield folder


@pytest.fixture
def window(qtbot, monkeypatch):
    """A shown main window on a blank canvas; closing it discards unsaved work instead of asking."""
    from app.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "ask_save", lambda self: QMessageBox.Discard)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.show_canvas()
    qtbot.waitExposed(win)
    yield win


def send_mouse(widget, kind: QEvent.Type, pos: QPoint, buttons=Qt.LeftButton) -> None:
    """Send one mouse event, with the buttons held, to ``widget`` (a view's viewport)."""
    button = Qt.LeftButton if kind != QEvent.MouseMove else Qt.NoButton
    global_pos = QPointF(widget.mapToGlobal(pos))
    event = QMouseEvent(kind, QPointF(pos), global_pos, button, buttons, Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def drag_in_view(view, start_scene: QPointF, end_scene: QPointF, steps: int = 4) -> None:
    """Press at ``start_scene``, move in a few steps to ``end_scene`` and release, as a user drags."""
    viewport = view.viewport()
    start, end = view.mapFromScene(start_scene), view.mapFromScene(end_scene)
    send_mouse(viewport, QEvent.MouseButtonPress, start)
    for i in range(1, steps + 1):
        point = start + (end - start) * i / steps
        send_mouse(viewport, QEvent.MouseMove, point)
    send_mouse(viewport, QEvent.MouseButtonRelease, end, Qt.NoButton)


@pytest.fixture(autouse=True)
def empty_clipboard_afterwards(qapp):
    """Copied designs are taken off the clipboard after each test: clipboard data still held by the offscreen
    platform when the interpreter exits crashes it on the way out (exit code 139 after every test passed)."""
    yield
    QApplication.clipboard().clear()
