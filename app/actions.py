"""The window's menus and shortcuts, following platform habits (``QKeySequence`` standard keys)."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence, QUndoGroup

from app import theme
from app.export_menu import build_export_menu
from app.guide import show_designer_guide
from app.training.menu import build_training_menu
from app.window_protocol import MenuWindow
from core.paths import resources_dir

Key = QKeySequence.StandardKey
ICONS = resources_dir() / "icons"  # the checkout's resources/, or the package data of a wheel or a bundle
ICON_OF = {"new": "new", "open": "open", "save": "save", "tool_undo": "undo", "tool_redo": "redo",
           "undo": "undo", "redo": "redo", "zoom_in": "zoom-in", "zoom_out": "zoom-out", "fit": "fit",
           "arrange_h": "arrange"}


def icon(name: str) -> QIcon:
    """An SVG icon from ``resources/icons`` (an empty icon if the file is missing)."""
    return theme.svg_icon(ICONS / f"{name}.svg")


def _action(window: MenuWindow, text: str, slot: Callable[[], Any], shortcut: Any = None,
            tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcuts(QKeySequence.keyBindings(shortcut) if isinstance(shortcut, Key)
                            else [QKeySequence(shortcut)])
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    return action


MENUS = {
    "&File": ("new", "new_window", "open", "@recent", None, "save", "save_as", "@export", None, "close", "quit"),
    "&Edit": ("undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete", None, "select_all"),
    "&View": ("zoom_in", "zoom_out", "zoom_reset", "fit", None, "arrange_h", "arrange_v", None),
    "&Training": ("@training",),
    "&Help": ("guide", None, "about"),
}
TOOLBAR = ("new", "open", "save", None, "tool_undo", "tool_redo", None, "zoom_in", "zoom_out", "fit", "arrange_h")


def create_actions(w: MenuWindow) -> dict[str, QAction]:
    """Every action of the window, by name, with its platform shortcut."""
    a = {
        "new": _action(w, "&New", w.new_document, Key.New, "Show the start page: templates and recent files"),
        "new_window": _action(w, "New &Window", w.new_window, "Ctrl+Shift+N"),
        "open": _action(w, "&Open…", w.open_dialog, Key.Open),
        "save": _action(w, "&Save", w.save, Key.Save),
        "save_as": _action(w, "Save &As…", w.save_as, Key.SaveAs),
        "export_canvas": _action(w, "Export Canvas as &Image…", w.export_image),
        "close": _action(w, "&Close Window", w.close, Key.Close),
        "quit": _action(w, "&Quit", w.quit_application, Key.Quit),
        "cut": _action(w, "Cu&t", w.cut, Key.Cut),
        "copy": _action(w, "&Copy", w.copy, Key.Copy),
        "paste": _action(w, "&Paste", w.paste, Key.Paste),
        "duplicate": _action(w, "D&uplicate", w.duplicate, "Ctrl+D"),
        "delete": _action(w, "&Delete", w.delete, Key.Delete),
        "select_all": _action(w, "Select &All", w.select_all, Key.SelectAll),
        "zoom_in": _action(w, "Zoom &In", w.view.zoom_in, Key.ZoomIn),
        "zoom_out": _action(w, "Zoom &Out", w.view.zoom_out, Key.ZoomOut),
        "zoom_reset": _action(w, "&Actual Size", w.view.reset_zoom, "Ctrl+0"),
        "fit": _action(w, "&Fit to Window", w.view.fit, "Ctrl+9"),
        "arrange_h": _action(w, "Auto-arrange &Left to Right", lambda: w.auto_arrange("horizontal"), "Ctrl+L"),
        "arrange_v": _action(w, "Auto-arrange &Top to Bottom", lambda: w.auto_arrange("vertical"),
                             "Ctrl+Shift+L"),
        "guide": _action(w, "Designer &Guide", lambda: show_designer_guide(w), Key.HelpContents,
                         "How to draw, train and save a network (opens offline)"),
        "about": _action(w, "&About NeuroCanvas", w.about),
        "tool_undo": _action(w, "Undo", w.undo_group.undo),
        "tool_redo": _action(w, "Redo", w.undo_group.redo),
    }
    a["delete"].setShortcuts([QKeySequence("Delete"), QKeySequence("Backspace")])
    a["undo"] = w.undo_group.createUndoAction(w, "&Undo")  # its text names the step it undoes
    a["undo"].setShortcuts(QKeySequence.keyBindings(Key.Undo))
    a["redo"] = w.undo_group.createRedoAction(w, "&Redo")
    a["redo"].setShortcuts(redo_keys(QKeySequence.keyBindings(Key.Redo)))
    for name, setter in (("tool_undo", w.undo_group.canUndoChanged), ("tool_redo", w.undo_group.canRedoChanged)):
        a[name].setEnabled(False)
        setter.connect(a[name].setEnabled)
    a["arrange_h"].setIconText("Arrange")
    for name, file_name in ICON_OF.items():
        theme.set_action_icon(a[name], ICONS / f"{file_name}.svg")
    return a


def redo_keys(platform_keys: list[QKeySequence]) -> list[QKeySequence]:
    """The platform's Redo keys plus Ctrl+Y, which users of every platform try (GNOME and KDE give only
    Ctrl+Shift+Z)."""
    return platform_keys + [key for key in (QKeySequence("Ctrl+Y"),) if key not in platform_keys]


def sync_undo_actions(actions: dict[str, QAction], group: QUndoGroup) -> None:
    """Light Undo and Redo only when there is a step to undo or redo (after the design was locked, say)."""
    for name, possible in (("undo", group.canUndo()), ("tool_undo", group.canUndo()),
                           ("redo", group.canRedo()), ("tool_redo", group.canRedo())):
        actions[name].setEnabled(possible)


def build_menus(w: MenuWindow) -> dict[str, QAction]:
    """Create every action, put them in the menus and the toolbar; returns them by name."""
    a = create_actions(w)
    menus = {}
    for title, names in MENUS.items():
        menu = menus[title] = w.menuBar().addMenu(title)
        for name in names:
            if name is None:
                menu.addSeparator()
            elif name == "@recent":
                w.recent_menu = menu.addMenu("Open &Recent")
                w.recent_menu.aboutToShow.connect(w.fill_recent_menu)
            elif name == "@export":
                w.export_menu = build_export_menu(w, menu.addMenu("&Export"), a)
            elif name == "@training":
                a.update(build_training_menu(w, menu))
            else:
                menu.addAction(a[name])
    w.view_menu = menus["&View"]
    toolbar = w.addToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    for name in TOOLBAR:
        toolbar.addSeparator() if name is None else toolbar.addAction(a[name])
    return a
