"""The start page: blank canvas, open a file, templates and recent files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from app import settings
from core import templates

KEY_ROLE = Qt.UserRole + 1


class StartPage(QWidget):
    """Emits ``template_chosen(key)``, ``file_chosen(path)``, ``blank_chosen()`` or ``open_requested()``."""

    template_chosen = Signal(str)
    file_chosen = Signal(str)
    blank_chosen = Signal()
    open_requested = Signal()

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.setObjectName("startPage")
        title = QLabel("<h1>NeuroCanvas</h1><p>Draw a neural network, train it, watch it learn.</p>")
        blank = QPushButton("Blank canvas")
        blank.clicked.connect(self.blank_chosen)
        open_button = QPushButton("Open…")
        open_button.clicked.connect(self.open_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(blank)
        buttons.addWidget(open_button)
        buttons.addStretch(1)
        self.templates = QListWidget()
        self.templates.setObjectName("templateList")
        self.templates.setWordWrap(True)
        self.templates.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.templates.itemActivated.connect(self._on_template_activated)
        self.templates.currentItemChanged.connect(self._on_template_current_changed)
        self.open_template = QPushButton("Open")
        self.open_template.setObjectName("openTemplate")
        self.open_template.setDefault(True)
        policy = self.open_template.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the list does not jump when the button appears
        self.open_template.setSizePolicy(policy)
        self.open_template.setVisible(False)
        self.open_template.clicked.connect(lambda: self._on_template_activated(self.templates.currentItem()))
        template_buttons = QHBoxLayout()
        template_buttons.addStretch(1)
        template_buttons.addWidget(self.open_template)
        self.recent = QListWidget()
        self.recent.itemActivated.connect(lambda item: self.file_chosen.emit(item.data(KEY_ROLE)))
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Start from a template</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Recent files</b>"), 0, 1)
        grid.addWidget(self.templates, 1, 0)
        grid.addWidget(self.recent, 1, 1)
        grid.addLayout(template_buttons, 2, 0)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        box = QVBoxLayout(self)
        box.setContentsMargins(40, 24, 40, 24)
        box.addWidget(title)
        box.addLayout(buttons)
        box.addLayout(grid, 1)
        self.refresh()

    def refresh(self) -> None:
        """Re-read templates (layer types may have been registered since) and recent files."""
        self.templates.clear()
        for template in templates.TEMPLATES:
            missing = template.missing_types()
            item = QListWidgetItem(f"{template.title}\n{template.description}")
            item.setData(KEY_ROLE, template.key)
            if missing:
                item.setFlags(Qt.NoItemFlags)
                item.setToolTip("needs layer types not available in this version: " + ", ".join(missing))
            else:
                item.setToolTip("Click, then Open (or double-click) to start from this template")
            self.templates.addItem(item)
        self.recent.clear()
        for path in settings.recent_files():
            item = QListWidgetItem(f"{Path(path).name}   ({Path(path).parent})")
            item.setData(KEY_ROLE, path)
            self.recent.addItem(item)
        if not self.recent.count():
            placeholder = QListWidgetItem("No recent files yet")
            placeholder.setFlags(Qt.NoItemFlags)
            self.recent.addItem(placeholder)

    def _on_template_current_changed(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        """A chosen template offers an Open button named after it, so that a single click is enough to find it."""
        usable = item is not None and bool(item.flags() & Qt.ItemIsEnabled)
        self.open_template.setVisible(usable)
        if usable:
            self.open_template.setText(f"Open “{item.text().splitlines()[0]}”")

    def _on_template_activated(self, item: QListWidgetItem | None) -> None:
        if item is not None and item.flags() & Qt.ItemIsEnabled:
            self.template_chosen.emit(item.data(KEY_ROLE))
