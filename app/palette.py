"""The layer library: every registered layer type, by category, with a search box.

Drag an entry onto the canvas to add it; double-click to add it after the selected layer. Tooltips show the
registry's doc of the layer (what it does, its input and output shapes) and its parameters.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app import theme
from app.mime import LAYER_MIME
from core.layers import registry
from core.paths import resources_dir

TYPE_ROLE = Qt.UserRole + 1
CATEGORY_ICONS = resources_dir() / "icons" / "categories"  # one <category lower-case>.svg per category
CATEGORY_ORDER = ("Core", "Convolution", "Pooling", "Recurrent", "Normalization", "Regularization", "Reshaping",
                  "Merge", "Merging", "Activations", "Augmentation")


def plain_doc(type_name: str) -> str:
    """The registry's doc without reStructuredText literal markers."""
    return registry.doc(type_name).replace("``", "")


def _category_key(category: str) -> tuple[int, str]:
    return (CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER), category)


def layer_tooltip(type_name: str) -> str:
    """Rich text: the layer's doc and a list of its parameters with their help."""
    cls = registry.get(type_name)
    rows = "".join(f"<li><b>{p.name}</b>: {html.escape(p.help)}</li>" for p in cls.params)
    text = f"<b>{type_name}</b><p>{html.escape(plain_doc(type_name))}</p>"
    return text + (f"<ul>{rows}</ul>" if rows else "")


def category_icon(category: str) -> QIcon:
    """The category's icon from ``resources/icons/categories``, in the colours of the theme in use."""
    return theme.svg_icon(CATEGORY_ICONS / f"{category.lower()}.svg")


class LayerTree(QTreeWidget):
    """The tree of layer types; its drag carries the type name under :data:`LAYER_MIME`."""

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:
        data = QMimeData()
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if names:
            data.setData(LAYER_MIME, names[0].encode("utf-8"))
            data.setText(names[0])
        return data


class Palette(QWidget):
    """Search box plus category tree. ``layer_activated(type_name)`` is emitted on double-click or Enter."""

    layer_activated = Signal(str)

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search layers…", clearButtonEnabled=True)
        self.tree = LayerTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragOnly)
        self.tree.setIndentation(12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self._on_search_changed)
        self.search.returnPressed.connect(self._on_search_return)
        self.tree.itemActivated.connect(self._on_tree_activated)
        self.reload()

    def reload(self) -> None:
        """Rebuild the tree from the registry (layer types registered since are picked up)."""
        self.tree.clear()
        for category, names in sorted(registry.by_category().items(), key=lambda kv: _category_key(kv[0])):
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setIcon(0, category_icon(category))
            for name in names:
                item = QTreeWidgetItem(group, [name])
                item.setData(0, TYPE_ROLE, name)
                item.setToolTip(0, layer_tooltip(name))
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        self.tree.expandAll()
        self._on_search_changed(self.search.text())

    def refresh_theme(self) -> None:
        """Recolour the category icons for the palette in use (called by :func:`app.theme.refresh`)."""
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            group.setIcon(0, category_icon(group.text(0)))

    def type_items(self) -> list[QTreeWidgetItem]:
        out = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            out.extend(group.child(i) for i in range(group.childCount()))
        return out

    def visible_types(self) -> list[str]:
        return [i.data(0, TYPE_ROLE) for i in self.type_items() if not i.isHidden()]

    def _on_search_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            shown = 0
            for i in range(group.childCount()):
                item = group.child(i)
                name = item.data(0, TYPE_ROLE)
                hit = not needle or needle in name.lower() or needle in group.text(0).lower() \
                    or needle in registry.doc(name).lower()
                item.setHidden(not hit)
                shown += hit
            group.setHidden(shown == 0)

    def _on_search_return(self) -> None:
        visible = self.visible_types()
        if len(visible) >= 1 and self.search.text().strip():
            self.layer_activated.emit(visible[0])

    def _on_tree_activated(self, item: QTreeWidgetItem, column: int) -> None:
        name = item.data(0, TYPE_ROLE)
        if name:
            self.layer_activated.emit(name)
