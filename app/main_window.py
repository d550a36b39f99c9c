"""The main window: library (left), canvas (centre), inspector and history (right), problems and training
(bottom); menus, status area, documents, window state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QListWidget, QListWidgetItem,
                               QMainWindow, QMessageBox, QStackedWidget, QUndoView, QWidget)

from app import documents_io, editing, settings
from app.actions import build_menus, sync_undo_actions
from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView
from app.document import Document
from app.inspector import Inspector
from app.palette import Palette
from app.start_page import StartPage
from app.training.menu import finish_run
from app.widgets import scrolling
from core import stats

ID_ROLE = Qt.UserRole + 1
WINDOWS: list["MainWindow"] = []  # open windows, kept alive until closed
FIRST_RUN_BOTTOM = 170  # height of the problems/training area before any training
FRAME_MARGIN = 30  # room left for the window manager's title bar and borders
TRAINING_SHARE = 0.5  # the share of the height the training area grows to when a run starts


def first_size() -> QSize:
    """1400×860, or less so that the window and its frame fit the screen's free area (a 1366×768 laptop)."""
    screen = QApplication.primaryScreen()
    if screen is None:
        return QSize(1400, 860)
    free = screen.availableGeometry()
    return QSize(min(1400, free.width() - FRAME_MARGIN), min(860, free.height() - 2 * FRAME_MARGIN))


class MainWindow(QMainWindow):
    """One window editing one document at a time."""

    def __init__(self, document: Document | None = None, show_start: bool = True):
        super().__init__()
        self.resize(first_size())
        self.undo_group = QUndoGroup(self)
        self.scene = CanvasScene(self)
        self.view = CanvasView(self.scene)
        self.start_page = StartPage()
        self.pages = QStackedWidget()
        self.pages.addWidget(scrolling(self.start_page))  # its lists scroll: the canvas area can be small
        self.pages.addWidget(self.view)
        self.setCentralWidget(self.pages)
        self.banner = QLabel(self.view)
        self.banner.setObjectName("refusalBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self._banner_timer = QTimer(self, singleShot=True, interval=7000, timeout=self.banner.hide)
        self.last_message = ""
        self._build_docks()
        self.actions_by_name = build_menus(self)
        self.view.setContextMenuPolicy(Qt.ActionsContextMenu)
        for name in ("cut", "copy", "paste", "duplicate", "delete", "select_all", "fit", "arrange_h", "arrange_v"):
            self.view.addAction(self.actions_by_name[name])
        self._build_status_bar()
        self._connect()
        self.document: Document | None = None
        self.set_document(document or Document(parent=self))
        self.pages.setCurrentIndex(0 if show_start and document is None else 1)
        self._restore_state()

    # -- construction --------------------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.palette = Palette()
        self.inspector = Inspector()
        self.history = QUndoView(self.undo_group)
        self.history.setEmptyLabel("Opened")
        self.problems = QListWidget()
        self.problems.setObjectName("problemsList")
        from app.training.panel import TrainingPanel
        self.training_area = TrainingPanel(self)
        self.library_dock = self._dock("Library", "libraryDock", self.palette, Qt.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, Qt.RightDockWidgetArea)
        self.history_dock = self._dock("History", "historyDock", self.history, Qt.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", "problemsDock", self.problems, Qt.BottomDockWidgetArea)
        # in a scroll area, the training panel never makes the window larger than the screen: it scrolls
        self.training_dock = self._dock("Training", "trainingDock", scrolling(self.training_area),
                                        Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.problems_dock, self.training_dock)
        self.problems_dock.raise_()
        self.resizeDocks([self.library_dock, self.inspector_dock], [230, 320], Qt.Horizontal)
        self.resizeDocks([self.problems_dock], [FIRST_RUN_BOTTOM], Qt.Vertical)  # the canvas gets the most room
        self.resizeDocks([self.inspector_dock, self.history_dock], [520, 160], Qt.Vertical)

    def _build_status_bar(self) -> None:
        self.totals_label = QLabel()
        self.statusBar().addPermanentWidget(self.totals_label)
        for dock in (self.library_dock, self.inspector_dock, self.history_dock, self.problems_dock,
                     self.training_dock):
            self.view_menu.addAction(dock.toggleViewAction())

    def _connect(self) -> None:
        self.scene.status_updated.connect(self._on_scene_status_updated)
        self.scene.connection_refused.connect(self.show_refusal)
        self.scene.selectionChanged.connect(self._on_scene_selection_changed)
        self.inspector.edit_refused.connect(self.show_refusal)
        self.palette.layer_activated.connect(self._on_palette_layer_activated)
        self.problems.itemActivated.connect(self._on_problem_activated)
        self.problems.itemClicked.connect(self._on_problem_activated)
        self.start_page.template_chosen.connect(self.open_template)
        self.start_page.file_chosen.connect(self.open_file)
        self.start_page.blank_chosen.connect(self.show_canvas)
        self.start_page.open_requested.connect(self.open_dialog)
        self.training_area.run_started.connect(self._on_training_run_started)

    # -- documents -----------------------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Edit ``document`` in this window (the previous one is closed)."""
        if self.document is not None:
            self.undo_group.removeStack(self.document.undo_stack)
            self.document.close()
            self.document.deleteLater()
        self.document = document
        document.setParent(self)
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        self.scene.set_graph(document.graph, document.undo_stack)
        self.inspector.set_document(document.graph, document.undo_stack)
        document.changed.connect(self._update_title)
        self._update_title()
        self.training_area.load_document(document)  # its runs and settings, nothing of the previous document

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title}[*] — NeuroCanvas")
        self.setWindowModified(self.document.modified)

    def show_canvas(self) -> None:
        self.pages.setCurrentIndex(1)
        self.view.setFocus()

    def new_document(self) -> None:
        """Show the start page with an empty design (after offering to save the current one)."""
        if self.maybe_save():
            self.set_document(Document(parent=self))
            self.start_page.refresh()
            self.pages.setCurrentIndex(0)

    def new_window(self) -> "MainWindow":
        window = MainWindow()
        window.setAttribute(Qt.WA_DeleteOnClose)
        WINDOWS.append(window)
        window.show()
        return window

    def open_template(self, key: str) -> None:
        documents_io.open_template(self, key)

    def open_file(self, path: str) -> bool:
        return documents_io.open_file(self, path)

    def open_dialog(self) -> None:
        documents_io.open_dialog(self)

    def save(self) -> bool:
        return documents_io.save(self)

    def save_as(self) -> bool:
        return documents_io.save_as(self)

    def export_image(self) -> None:
        documents_io.export_image(self)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in settings.recent_files():
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_file(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("No recent files").setEnabled(False)

    def ask_save(self) -> QMessageBox.StandardButton:
        """Ask whether to save unsaved changes (Save, Discard or Cancel)."""
        text = f"Save the changes to {self.document.title} before closing it?"
        if self.document.trained_since_saved:
            text += " Its training results (weights and history) are not saved yet."
        return QMessageBox.question(self, "Unsaved changes", text,
                                    QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)

    def maybe_save(self) -> bool:
        """True when the current document may be closed (saved, discarded, or unmodified)."""
        if self.document is None or not self.document.modified:
            return True
        answer = self.ask_save()
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def closeEvent(self, event: Any) -> None:
        finish_run(self.training_area)  # a run going is stopped first; its results are then asked about
        if not self.maybe_save():
            event.ignore()
            return
        self.training_area.shutdown()
        self._save_state()
        self.scene.detach()
        self.inspector.detach()
        self.document.close()
        if self in WINDOWS:
            WINDOWS.remove(self)
        event.accept()

    def quit_application(self) -> None:
        for window in dict.fromkeys(list(WINDOWS) + [self]):
            if not window.close():
                return
        QApplication.quit()

    def set_design_locked(self, locked: bool) -> None:
        """Lock the design while it trains: no edits from the canvas, library, inspector or Edit menu."""
        self.document.locked = locked  # the weights belong to the training thread: autosave leaves them
        self.scene.set_locked(locked)
        self.palette.setEnabled(not locked)
        self.inspector.setEnabled(not locked)
        self.history.setEnabled(not locked)
        for name in ("cut", "paste", "duplicate", "delete", "undo", "redo", "tool_undo", "tool_redo", "arrange_h",
                     "arrange_v", "new", "open"):
            self.actions_by_name[name].setEnabled(not locked)
        if not locked:
            self.undo_group.setActiveStack(self.document.undo_stack)
            sync_undo_actions(self.actions_by_name, self.undo_group)  # lit only when there is a step to take

    # -- window state --------------------------------------------------------------------------------------
    def _save_state(self) -> None:
        store = settings.settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())

    def _restore_state(self) -> None:
        store = settings.settings()
        geometry, state = store.value("window/geometry"), store.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        else:  # docks take their sizes once the window is laid out
            QTimer.singleShot(0, self._first_run_layout)

    def _first_run_layout(self) -> None:
        self.resizeDocks([self.problems_dock, self.training_dock], [FIRST_RUN_BOTTOM] * 2, Qt.Vertical)

    def _on_training_run_started(self) -> None:
        """Show the training area, grown to a useful height within the window (which keeps its size)."""
        self.training_dock.raise_()
        wanted = int(self.height() * TRAINING_SHARE)
        if self.training_dock.height() < wanted:
            self.resizeDocks([self.training_dock], [wanted], Qt.Vertical)

    # -- edits ---------------------------------------------------------------------------------------------
    def cut(self) -> None:
        editing.cut_selection(self.scene)

    def copy(self) -> None:
        editing.copy_selection(self.scene)

    def paste(self) -> None:
        self.show_canvas()
        editing.paste(self.scene)

    def duplicate(self) -> None:
        editing.duplicate_selection(self.scene)

    def delete(self) -> None:
        editing.delete_selection(self.scene)

    def select_all(self) -> None:
        self.scene.select_layers(self.document.graph.layer_ids)

    def auto_arrange(self, direction: str) -> None:
        editing.auto_arrange(self.scene, direction)
        self.view.fit()

    def about(self) -> None:
        QMessageBox.about(self, "About NeuroCanvas",
                          "<b>NeuroCanvas</b><p>Draw, train, watch and export deep neural networks.</p>")

    def show_refusal(self, message: str) -> None:
        """Show why an edit was refused: a banner over the canvas and the status bar."""
        self.last_message = message
        self.statusBar().showMessage(message, 8000)
        self.banner.setText("⚠ " + message)
        self.banner.setFixedWidth(max(200, self.view.width() - 40))
        self.banner.adjustSize()
        self.banner.move(20, 12)
        self.banner.show()
        self.banner.raise_()
        self._banner_timer.start()

    # -- reactions -----------------------------------------------------------------------------------------
    def _on_scene_status_updated(self) -> None:
        graph, status = self.document.graph, self.scene.status
        t = stats.totals(graph, status)
        self.totals_label.setText(f"{t['layers']} layers · {stats.human(t['params'])} params · "
                                  f"≈{stats.human(t['flops'])} FLOPs/sample · "
                                  + (f"{t['errors']} problem(s)" if t["errors"] else "valid"))
        self.problems.clear()
        for layer_id, s in status.items():
            if not s.ok and not s.error.startswith("waiting for"):
                item = QListWidgetItem(f"⚠ {s.error}")
                item.setData(ID_ROLE, layer_id)
                item.setToolTip(s.error)
                self.problems.addItem(item)
        self.problems_dock.setWindowTitle(f"Problems ({self.problems.count()})" if self.problems.count()
                                          else "Problems")
        if self.inspector.layer_id is not None:
            self.inspector.show_status(status.get(self.inspector.layer_id))

    def _on_scene_selection_changed(self) -> None:
        ids = self.scene.selected_layer_ids()
        chosen = ids[0] if len(ids) == 1 else None
        if chosen != self.inspector.layer_id:
            self.inspector.set_layer(chosen, self.scene.status.get(chosen) if chosen else None)
        self.training_area.layer_selected(chosen)

    def _on_palette_layer_activated(self, type_name: str) -> None:
        self.show_canvas()
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        new_id = editing.add_after_selection(self.scene, type_name, (centre.x(), centre.y()))
        if new_id is not None:
            self.view.ensureVisible(self.scene.items_by_id[new_id])

    def _on_problem_activated(self, item: QListWidgetItem) -> None:
        layer_id = item.data(ID_ROLE)
        self.scene.select_layers([layer_id])
        self.view.centerOn(self.scene.items_by_id[layer_id])
