"""The Training menu drives the panel with its shortcuts; training marks the document modified, and closing with
unsaved training results (or while a run goes) asks first; Ctrl+Y redoes; Undo/Redo are lit only when they apply."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from app.actions import redo_keys
from app.document import Document
from app.main_window import MainWindow
from app.undo_commands import AddLayerCommand
from core import templates
from core.graph import Graph
from core.io.design import add_design
from tests.app.test_training_panel import TIMEOUT, batches_seen, choose_sample, use_template

ASK_SAVE = MainWindow.ask_save  # the real question (the window fixture answers Discard instead)
SHORTCUTS = {"train_start": "F5", "train_pause": "F6", "train_step": "F10", "train_stop": "Shift+F5"}


@pytest.fixture
def panel(window):
    use_template(window, "xor")
    panel = window.training_area
    choose_sample(panel, "spirals")
    panel.form.learning_rate.setValue(0.01)
    panel.form.epochs.setValue(2)
    return panel


def train(window, qtbot, name: str = "train_start") -> None:
    with qtbot.waitSignal(window.training_area.run_finished, timeout=TIMEOUT):
        window.actions_by_name[name].trigger()


def answer(monkeypatch, button) -> list[str]:
    """Make QMessageBox.question answer ``button``; returns the titles of the questions asked."""
    asked: list[str] = []

    def question(_parent, title, *_args, **_kwargs):
        asked.append(title)
        return button
    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_the_training_menu_shows_the_run_controls_with_their_shortcuts(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Training")
    shown = {a.text(): a for a in menu.actions() if not a.isSeparator()}
    assert "Train from S&cratch…" in shown
    for name, key in SHORTCUTS.items():
        action = window.actions_by_name[name]
        assert action.shortcut() == QKeySequence(key) and action in menu.actions()
    assert window.actions_by_name["train_start"].isEnabled()
    assert not any(window.actions_by_name[n].isEnabled() for n in ("train_pause", "train_step", "train_stop"))


def test_f5_f6_f10_and_shift_f5_drive_the_panel(panel, window, qtbot):
    a = window.actions_by_name
    panel.form.epochs.setValue(5000)
    a["train_start"].trigger()
    assert panel.state == "running" and a["train_pause"].isEnabled() and not a["train_start"].isEnabled()
    qtbot.waitUntil(lambda: batches_seen(panel) > 0, timeout=TIMEOUT)
    started = panel._progress_state["started"]
    a["train_pause"].trigger()
    paused_from = time.perf_counter()  # the panel froze its clock before this
    assert panel.state == "paused" and a["train_pause"].text() == "&Resume"
    qtbot.waitUntil(lambda: panel.worker.trainer.paused, timeout=TIMEOUT)
    qtbot.wait(300)  # the batch in progress when pausing arrives
    label = panel.progress_label.text()
    assert label.startswith("Paused · ") and "ETA" in label
    qtbot.wait(300)
    assert panel.progress_label.text() == label  # frozen while paused
    before = batches_seen(panel)
    paused_until = time.perf_counter()  # ... and thaws it after this
    a["train_step"].trigger()
    qtbot.waitUntil(lambda: batches_seen(panel) == before + 1, timeout=TIMEOUT)
    assert panel.state == "paused"
    a["train_pause"].trigger()
    assert panel.state == "running"
    # the time paused is left out of the rate and the ETA: the run's start moved on by at least that time
    assert panel._progress_state["started"] - started >= paused_until - paused_from
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT) as blocker:
        a["train_stop"].trigger()
    assert blocker.args[0].outcome == "stopped" and panel.state == "idle"
    assert a["train_start"].isEnabled() and not a["train_stop"].isEnabled()


def test_f5_continues_the_last_run_of_this_design(panel, window, qtbot, monkeypatch):
    asked = answer(monkeypatch, QMessageBox.Cancel)
    train(window, qtbot)
    assert window.actions_by_name["train_start"].text() == "&Continue"
    train(window, qtbot)
    assert not asked and window.document.model.history.epoch == [0, 1, 2, 3]  # went on, no question


def test_train_from_scratch_asks_and_reinitialises_only_on_yes(panel, window, qtbot, monkeypatch):
    train(window, qtbot)
    model = window.document.model
    trained = [w.copy() for w in model.get_weights()]
    asked = answer(monkeypatch, QMessageBox.Cancel)
    assert not window.training_actions.train_from_scratch()
    assert asked == ["Train from scratch"] and panel.state == "idle"
    assert all((w == t).all() for w, t in zip(model.get_weights(), trained))  # untouched
    answer(monkeypatch, QMessageBox.Yes)
    train(window, qtbot, "train_scratch")
    assert model.history.epoch == [0, 1]  # a new run from fresh weights, not a continuation


def test_a_design_that_never_trained_starts_without_asking(panel, window, qtbot, monkeypatch):
    asked = answer(monkeypatch, QMessageBox.Cancel)
    train(window, qtbot, "train_scratch")
    assert not asked and window.document.model.history.epoch == [0, 1]


def test_a_run_marks_the_document_modified_until_saved_as_a_model(panel, window, qtbot, tmp_path):
    window.document.undo_stack.setClean()
    assert not window.isWindowModified()
    train(window, qtbot)
    assert window.document.trained_since_saved and window.isWindowModified()
    assert window.windowTitle().startswith("Untitled[*]")  # Qt shows the placeholder as "*"
    window.document.save(str(tmp_path / "design.ncd"))
    assert window.document.modified  # a design file keeps no weights
    window.document.save(str(tmp_path / "trained.h5"))
    assert not window.document.modified and not window.isWindowModified()


def test_closing_with_unsaved_training_results_asks(panel, window, qtbot, monkeypatch):
    window.document.undo_stack.setClean()
    train(window, qtbot)
    answers = [QMessageBox.Cancel, QMessageBox.Discard]
    monkeypatch.setattr(MainWindow, "ask_save", lambda self: answers.pop(0))
    assert not window.close() and window.isVisible()
    assert window.close() and not answers  # Discard closes


def test_closing_while_training_stops_the_run_then_asks(panel, window, qtbot, monkeypatch):
    window.document.undo_stack.setClean()
    panel.form.epochs.setValue(5000)
    window.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: batches_seen(panel) > 0, timeout=TIMEOUT)
    seen = []
    monkeypatch.setattr(MainWindow, "ask_save",
                        lambda self: seen.append((panel.state, self.document.modified)) or QMessageBox.Cancel)
    assert not window.close() and window.isVisible()
    assert seen == [("idle", True)]  # the run had ended and its results counted before the question
    assert panel.worker is None and window.palette.isEnabled()


def test_ctrl_y_redoes(window, qtbot):
    stack = window.document.undo_stack
    stack.push(AddLayerCommand(window.document.graph, "Dense", {}, (0.0, 0.0)))
    stack.undo()
    assert stack.index() == 0
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_Y, Qt.ControlModifier)
    assert stack.index() == 1
    assert QKeySequence("Ctrl+Shift+Z") in window.actions_by_name["redo"].shortcuts()
    assert redo_keys([QKeySequence("Ctrl+Shift+Z")]) == [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
    assert redo_keys([QKeySequence("Ctrl+Y")]) == [QKeySequence("Ctrl+Y")]  # not twice


def test_undo_and_redo_are_not_lit_after_a_run_with_nothing_to_undo(window, qtbot):
    graph = Graph()
    add_design(graph, templates.get("xor").design())
    window.set_document(Document(graph, parent=window))
    panel = window.training_area
    choose_sample(panel, "spirals")
    panel.form.epochs.setValue(1)
    train(window, qtbot)
    for name in ("undo", "redo", "tool_undo", "tool_redo"):
        assert not window.actions_by_name[name].isEnabled(), name


def test_the_question_names_unsaved_training_results(panel, window, qtbot, monkeypatch):
    train(window, qtbot)
    texts = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _parent, _title, text, *_args: texts.append(text) or QMessageBox.Cancel)
    assert ASK_SAVE(window) == QMessageBox.Cancel
    assert "training results" in texts[0]


def test_the_panels_start_button_asks_before_replacing_trained_weights(panel, window, qtbot, monkeypatch):
    train(window, qtbot)
    trained = [w.copy() for w in window.document.model.get_weights()]
    asked = answer(monkeypatch, QMessageBox.Cancel)
    panel.buttons["start"].click()
    assert asked == ["Train from scratch"] and panel.state == "idle"
    assert all((w == t).all() for w, t in zip(window.document.model.get_weights(), trained))
