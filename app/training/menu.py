"""The Training menu: the panel's run controls with their shortcuts, and what a run means for the document.

F5 starts (or continues the last run of this design), F6 pauses and resumes, F10 trains one batch, Shift+F5
stops; "Train from scratch…" asks before it replaces trained weights. The items follow the panel's state. A run
that ends marks the document modified, and a window that closes stops its run first (:func:`finish_run`).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QEventLoop, QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

ITEMS = (  # name, text, shortcut, tip
    ("train_start", "&Start / Continue", "F5", "Continue the last run of this design, or start a new one"),
    ("train_pause", "&Pause / Resume", "F6", "Pause after the current batch, or go on training"),
    ("train_step", "One S&tep", "F10", "Train one batch, then pause"),
    ("train_stop", "St&op", "Shift+F5", "End the run after the current batch (the weights are kept)"),
    (None, None, None, None),
    ("train_scratch", "Train from S&cratch…", None, "Start again from fresh weights (asks first)"),
)
STOP_WAIT_MS = 30_000  # a closing window waits at most this long for the batch in progress


class TrainingActions(QObject):
    """The Training menu's actions, driving ``window.training_area`` and enabled as its state allows."""

    def __init__(self, window: Any, menu: QMenu) -> None:
        super().__init__(menu)
        self.window_ = window
        self.panel = window.training_area
        slots: dict[str, Callable[[], Any]] = {"train_start": self.start_or_continue, "train_pause": self.toggle_pause,
                                               "train_step": self.panel.step, "train_stop": self.panel.stop,
                                               "train_scratch": self.train_from_scratch}
        self.actions: dict[str, QAction] = {}
        for name, text, shortcut, tip in ITEMS:
            if name is None:
                menu.addSeparator()
                continue
            action = self.actions[name] = QAction(text, window)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setStatusTip(tip)
            action.triggered.connect(lambda _checked=False, slot=slots[name]: self._run(slot))
            menu.addAction(action)
        menu.aboutToShow.connect(self.refresh)
        self.panel.run_started.connect(self.refresh)
        self.panel.run_finished.connect(self._on_panel_run_finished)
        state_changed = getattr(self.panel, "state_changed", None)
        if state_changed is not None:
            state_changed.connect(self.refresh)
        self.refresh()

    def _run(self, slot: Callable[[], Any]) -> None:
        slot()
        self.refresh()

    def refresh(self, *_args: Any) -> None:
        """Enable what applies now: start when idle, the run controls while a run goes."""
        idle = self.panel.state == "idle"
        self.actions["train_start"].setEnabled(idle)
        self.actions["train_scratch"].setEnabled(idle)
        for name in ("train_pause", "train_step", "train_stop"):
            self.actions[name].setEnabled(not idle)
        self.actions["train_start"].setText("&Continue" if idle and self.panel.can_continue() else "&Start")
        self.actions["train_pause"].setText("&Resume" if self.panel.state == "paused" else "&Pause")

    def _on_panel_run_finished(self, _outcome: Any) -> None:
        self.window_.document.mark_trained()
        self.refresh()

    # -- commands ------------------------------------------------------------------------------------------
    def start_or_continue(self) -> bool:
        """Continue when the last run of this design can go on; otherwise start (asking first when that would
        replace trained weights)."""
        if self.panel.state != "idle":
            return False
        if self.panel.can_continue():
            return self.panel.continue_training()
        return self.train_from_scratch()

    def toggle_pause(self) -> None:
        if self.panel.state == "running":
            self.panel.pause()
        elif self.panel.state == "paused":
            self.panel.resume()

    def train_from_scratch(self) -> bool:
        """Start from fresh weights; a model that has trained is only re-initialised when the user agrees."""
        if self.panel.state != "idle":
            return False
        if has_trained(self.window_.document.model) and not self._confirm_scratch():
            return False
        return self.panel.start()

    def _confirm_scratch(self) -> bool:
        answer = QMessageBox.question(
            self.window_, "Train from scratch",
            "This model has trained weights. Start again from fresh weights? The trained weights and their "
            "history are replaced (a file saved earlier keeps them until you save again).",
            QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
        return answer == QMessageBox.Yes


def has_trained(model: Any) -> bool:
    """Whether ``model`` holds the results of training (a history of at least one epoch)."""
    history = getattr(model, "history", None)
    return history is not None and bool(history.epoch)


def build_training_menu(window: Any, menu: QMenu) -> dict[str, QAction]:
    """Fill ``menu`` with the Training actions; returns them by name (kept alive by the menu)."""
    window.training_actions = TrainingActions(window, menu)
    return window.training_actions.actions


def finish_run(panel: Any, timeout_ms: int = STOP_WAIT_MS) -> None:
    """Stop the panel's run and wait until it has ended and its results are in the model (a closing window
    asks about them next)."""
    if panel.worker is None or panel.state == "idle":
        return
    loop = QEventLoop()
    timer = QTimer(singleShot=True, interval=timeout_ms)
    timer.timeout.connect(loop.quit)
    panel.run_finished.connect(loop.quit)
    timer.start()
    panel.stop()
    if panel.worker is not None:
        loop.exec()
    timer.stop()
    panel.run_finished.disconnect(loop.quit)
