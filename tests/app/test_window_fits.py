"""The window fits a 1366×768 laptop and keeps its size; form fields take the wheel only when focused; the
inspector refuses sizes below 1 with the reason."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit

from app.undo_commands import AddLayerCommand, InsertDesignCommand
from core import templates

TIMEOUT = 60_000  # ms: the machine may be loaded


def wheel(widget, steps: int = -1) -> None:
    """Turn the mouse wheel ``steps`` notches (negative: towards the user) over the middle of ``widget``."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def settings_scroll(window):
    return window.training_area.form.parentWidget().parentWidget()  # the settings column's scroll area


def test_the_window_fits_a_laptop_screen(window):
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    window.resize(1280, 720)
    QApplication.processEvents()
    assert window.size().width() == 1280 and window.size().height() == 720


def test_first_run_gives_the_canvas_most_of_the_height(window, qtbot):
    qtbot.waitUntil(lambda: window.problems_dock.height() < window.height() / 3)
    assert window.view.height() > window.height() / 2


def test_settings_column_never_scrolls_sideways(window):
    scroll = settings_scroll(window)
    assert scroll.horizontalScrollBarPolicy() == Qt.ScrollBarAlwaysOff
    form = window.training_area.form
    assert scroll.minimumWidth() >= form.minimumSizeHint().width()
    assert form.open_file.minimumSizeHint().width() <= form.minimumSizeHint().width()


def test_training_leaves_the_window_size_alone(window, qtbot):
    doc = window.document
    doc.undo_stack.push(InsertDesignCommand(doc.graph, templates.get("xor").design(), text="Template"))
    window.resize(1280, 720)
    QApplication.processEvents()
    before = window.size()
    panel = window.training_area
    names = [panel.form.sample.itemData(i)["name"] for i in range(panel.form.sample.count())]
    panel.form.sample.setCurrentIndex(names.index("spirals"))
    panel.form.epochs.setValue(2)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()
    for _ in range(5):
        QApplication.processEvents()
    assert window.size() == before
    assert window.training_dock.height() >= 0.4 * window.height()  # it grew inside the window to show the run
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint


def test_wheel_over_an_unfocused_field_scrolls_the_form(window, qtbot):
    window.resize(1280, 720)
    window.training_dock.raise_()
    QApplication.processEvents()
    form, bar = window.training_area.form, settings_scroll(window).verticalScrollBar()
    assert bar.maximum() > 0  # the form is taller than its column here
    bar.setValue(0)
    window.view.setFocus()
    loss, epochs = form.loss.currentIndex(), form.epochs.value()
    wheel(form.loss)
    wheel(form.epochs)
    assert form.loss.currentIndex() == loss and form.epochs.value() == epochs
    assert bar.value() > 0  # the form scrolled instead
    form.loss.setFocus()
    qtbot.waitUntil(form.loss.hasFocus)
    wheel(form.loss)
    assert form.loss.currentIndex() != loss  # a focused field still takes the wheel


def test_optimiser_and_sample_fields_made_later_are_wheel_safe(window):
    form = window.training_area.form
    form.optimizer.setCurrentText("sgd")
    window.view.setFocus()
    momentum = form.optimizer_boxes["momentum"]
    value = momentum.value()
    wheel(momentum, 1)
    assert momentum.value() == value
    combos = [b for b in form.param_boxes.values() if isinstance(b, QComboBox)]
    for box in list(form.param_boxes.values()) + combos:
        assert box.focusPolicy() == Qt.StrongFocus


def test_inspector_refuses_sizes_below_one_with_the_reason(window):
    command = AddLayerCommand(window.document.graph, "InputLayer", {"shape": (8,)})
    window.document.undo_stack.push(command)
    window.scene.select_layers([command.layer_id])
    edit = window.inspector.fields["shape"].widget
    assert isinstance(edit, QLineEdit)
    for text in ("8, -1", "8, 0", "-3"):
        edit.setText(text)
        edit.editingFinished.emit()
        assert window.document.graph.layer(command.layer_id).config["shape"] == (8,), text
        assert "≥ 1" in window.inspector.error_label.text() or "positive" in window.inspector.error_label.text()
        assert edit.text() == "8"
    assert "params" not in window.last_message


def test_a_reshape_may_still_work_out_one_size(window):
    command = AddLayerCommand(window.document.graph, "Reshape", {"target_shape": (4,)})
    window.document.undo_stack.push(command)
    window.scene.select_layers([command.layer_id])
    edit = window.inspector.fields["target_shape"].widget
    edit.setText("-1, 2")
    edit.editingFinished.emit()
    assert window.document.graph.layer(command.layer_id).config["target_shape"] == (-1, 2)


def test_a_first_window_fits_the_free_screen_area(window):
    from app.main_window import FRAME_MARGIN, first_size

    free = QApplication.primaryScreen().availableGeometry()
    size = first_size()
    assert size.width() <= min(1400, free.width() - FRAME_MARGIN)
    assert size.height() <= min(860, free.height() - 2 * FRAME_MARGIN)


def test_wheel_over_an_unfocused_inspector_field_leaves_it(window):
    command = AddLayerCommand(window.document.graph, "Dense", {"units": 16})
    window.document.undo_stack.push(command)
    window.scene.select_layers([command.layer_id])
    spin = window.inspector.fields["units"].widget
    window.view.setFocus()
    wheel(spin, 1)
    assert spin.value() == 16 and window.document.graph.layer(command.layer_id).config["units"] == 16
