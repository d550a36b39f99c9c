"""Mouse interactions on the canvas that become undo steps: drawing a new link and moving blocks."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen, QUndoCommand
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from app.canvas.items import LayerItem, PortItem
from app.undo_commands import MoveLayersCommand
from core.graph import Graph


class Canvas(Protocol):
    """What the interactions need of the scene they run on (:class:`~app.canvas.scene.CanvasScene` is one): its
    items, and the two ways an edit reaches the graph."""

    graph: Graph | None

    def addItem(self, item: QGraphicsItem) -> None: ...

    def removeItem(self, item: QGraphicsItem) -> None: ...

    def selectedItems(self) -> list[QGraphicsItem]: ...

    def layer_item(self, layer_id: str) -> LayerItem | None: ...

    def layer_item_at(self, pos: QPointF) -> LayerItem | None: ...

    def try_connect(self, source: str, target: str) -> bool: ...

    def push(self, command: QUndoCommand) -> None: ...


class NewLinkInteraction:
    """Drag from a port: a dashed line follows the mouse; releasing over a port or block of another layer asks the
    scene to connect them (output → input, whichever end the drag started from)."""

    def __init__(self, scene: Canvas, port: PortItem):
        self.scene, self.port = scene, port
        self.line = QGraphicsPathItem()
        self.line.setPen(QPen(QColor("#1f77b4"), 2, Qt.DashLine))
        self.line.setZValue(10)
        scene.addItem(self.line)
        self.update(port.scenePos())

    def update(self, pos: QPointF) -> None:
        start = self.port.scenePos()
        path = QPainterPath(start)
        path.lineTo(pos)
        self.line.setPath(path)

    def finish(self, pos: QPointF) -> bool:
        """End the drag at ``pos``; returns whether a link was added."""
        self.scene.removeItem(self.line)
        target = self.scene.layer_item_at(pos)
        if target is None or target is self.port.layer_item:
            return False
        here = self.port.layer_item.layer_id
        if self.port.is_output:
            return self.scene.try_connect(here, target.layer_id)
        return self.scene.try_connect(target.layer_id, here)

    def cancel(self) -> None:
        self.scene.removeItem(self.line)


class MoveTracker:
    """Remembers where the selected blocks were when the mouse went down, and pushes one move on release."""

    def __init__(self, scene: Canvas):
        self.scene = scene
        self.start: dict[str, tuple[float, float]] = {}

    def press(self) -> None:
        self.start = {item.layer_id: (item.pos().x(), item.pos().y())
                      for item in self.scene.selectedItems() if isinstance(item, LayerItem)}

    def release(self) -> None:
        moves = {}
        for layer_id, old in self.start.items():
            item = self.scene.layer_item(layer_id)
            if item is not None and (item.pos().x(), item.pos().y()) != old:
                moves[layer_id] = (old, (item.pos().x(), item.pos().y()))
        self.start = {}
        if moves:
            self.scene.push(MoveLayersCommand(self.scene.graph, moves))
