"""Mouse interactions on the canvas that become undo steps: drawing a new link and moving blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from app.canvas.items import LayerItem, PortItem
from app.undo_commands import MoveLayersCommand

if TYPE_CHECKING:
    from app.canvas.scene import CanvasScene


class NewLinkInteraction:
    """Drag from a port: a dashed line follows the mouse; releasing over a port or block of another layer asks the
    scene to connect them (output → input, whichever end the drag started from)."""

    def __init__(self, scene: "CanvasScene", port: PortItem):
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

    def __init__(self, scene: "CanvasScene"):
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
