"""Small widget helpers shared by the forms: wheel-safe fields and a scrolling frame for docks."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QFrame, QScrollArea,
                               QWidget)


class WheelGuard(QObject):
    """Lets a spin box or combo box take the mouse wheel only while it has the focus.

    Without it, scrolling a form over a field silently changes the field. An unfocused field hands the wheel
    event to the scroll bar of the scroll area around it, so the form scrolls instead.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QEvent.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        area = enclosing_scroll_area(watched)
        if area is None:
            event.ignore()  # goes on to the parent widgets
            return True
        vertical = abs(event.angleDelta().y()) >= abs(event.angleDelta().x())
        QApplication.sendEvent(area.verticalScrollBar() if vertical else area.horizontalScrollBar(), event)
        event.accept()
        return True


def enclosing_scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area that ``widget`` lies in, or None."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


_GUARD = WheelGuard()


def guard_wheel(root: QWidget) -> None:
    """Make every spin box and combo box in ``root`` (and ``root`` itself) wheel-safe; safe to call again."""
    fields = root.findChildren(QAbstractSpinBox) + root.findChildren(QComboBox)
    if isinstance(root, (QAbstractSpinBox, QComboBox)):
        fields.append(root)
    for field in fields:
        field.setFocusPolicy(Qt.StrongFocus)  # a wheel turn no longer gives it the focus
        field.installEventFilter(_GUARD)


def compact_combo(combo: QComboBox, characters: int = 10) -> QComboBox:
    """Let ``combo`` shrink to about ``characters`` wide (long items are elided in the closed box)."""
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    return combo


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: a dock holding it can shrink below its size and scrolls."""
    area = QScrollArea()
    area.setFrameShape(QFrame.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area
