"""The canvas scene: builds items from a ``Graph``, then only follows the graph's events.

Edits made on the canvas (new links, moves, drops) become undo commands pushed on the document's stack; the
graph changes, announces it, and the scene redraws. Shape inference runs once per burst of changes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainterPathStroker, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from app.canvas.insertion import insertion_problem, make_room
from app.canvas.interactions import MoveTracker, NewLinkInteraction
from app.canvas.items import HEIGHT, WIDTH, LayerItem, LinkItem, PortItem
from app.undo_commands import AddLayerCommand, ConnectCommand, InsertOnLinkCommand, MacroCommand, MoveLayersCommand
from core import layout
from core.errors import NeuroCanvasError
from core.graph import Graph, Link
from core.shapes import LayerStatus, format_shape, infer_shapes


class CanvasScene(QGraphicsScene):
    """Items mirroring one graph: ``{layer_id: LayerItem}`` and ``{Link: LinkItem}``."""

    connection_refused = Signal(str)  # the reason a link was refused
    status_updated = Signal()  # shape inference ran; see ``status``

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.graph: Graph | None = None
        self.undo_stack: QUndoStack | None = None
        self.items_by_id: dict[str, LayerItem] = {}
        self.links: dict[Link, LinkItem] = {}
        self.status: dict[str, LayerStatus] = {}
        self._subscriptions: list[tuple[Any, Any]] = []
        self._link_drag: NewLinkInteraction | None = None
        self.drop_target: LinkItem | None = None  # the link a library drag is over, highlighted
        self._moves = MoveTracker(self)
        self.locked = False
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(0)
        self._refresh.timeout.connect(self.refresh_status)
        self.direction = "horizontal"
        self._direction_check = QTimer(self)
        self._direction_check.setSingleShot(True)
        self._direction_check.setInterval(0)
        self._direction_check.timeout.connect(self.update_direction)

    # -- model ---------------------------------------------------------------------------------------------
    def set_graph(self, graph: Graph, undo_stack: QUndoStack) -> None:
        """Show ``graph``; edits go to ``undo_stack``."""
        self.detach()
        self.items_by_id, self.links = {}, {}
        self.graph, self.undo_stack = graph, undo_stack
        events = graph.events
        self._subscriptions = [(events.layer_added, self._on_graph_layer_added),
                               (events.layer_removed, self._on_graph_layer_removed),
                               (events.link_added, self._on_graph_link_added),
                               (events.link_removed, self._on_graph_link_removed),
                               (events.config_changed, self._on_graph_layer_changed),
                               (events.layer_renamed, self._on_graph_layer_changed),
                               (events.meta_changed, self._on_graph_meta_changed)]
        for event, callback in self._subscriptions:
            event.connect(callback)
        for layer_id in graph.layer_ids:
            self._on_graph_layer_added(layer_id)
        for link in graph.links:
            self._on_graph_link_added(link)
        self.update_direction()
        self.refresh_status()

    def detach(self) -> None:
        """Stop following the graph and remove every item."""
        for event, callback in self._subscriptions:
            event.disconnect(callback)
        self._subscriptions = []
        self._refresh.stop()
        self._direction_check.stop()
        self.clear()
        self.items_by_id, self.links, self.status = {}, {}, {}
        self.drop_target = None
        self.graph = None

    def _on_graph_layer_added(self, layer_id: str) -> None:
        item = LayerItem(layer_id)
        item.set_direction(self.direction)
        item.setFlag(LayerItem.ItemIsMovable, not self.locked)
        item.set_layer(self.graph.layer(layer_id))
        pos = self.graph.meta(layer_id).get("pos", (0.0, 0.0))
        item.setPos(float(pos[0]), float(pos[1]))
        self.addItem(item)
        self.items_by_id[layer_id] = item
        self.schedule_refresh()

    def _on_graph_layer_removed(self, layer_id: str) -> None:
        item = self.items_by_id.pop(layer_id)
        self.removeItem(item)
        self.status.pop(layer_id, None)
        self.schedule_refresh()

    def _on_graph_link_added(self, link: Link) -> None:
        item = LinkItem(link, self.items_by_id[link.source], self.items_by_id[link.target])
        self.addItem(item)
        self.links[link] = item
        self.schedule_refresh()

    def _on_graph_link_removed(self, link: Link) -> None:
        item = self.links.pop(link)
        if item is self.drop_target:
            self.drop_target = None
        item.detach()
        self.removeItem(item)
        self.schedule_refresh()

    def _on_graph_layer_changed(self, layer_id: str, *args: Any) -> None:
        self.items_by_id[layer_id].set_layer(self.graph.layer(layer_id))
        self.schedule_refresh()

    def _on_graph_meta_changed(self, layer_id: str) -> None:
        pos = self.graph.meta(layer_id).get("pos")
        item = self.items_by_id[layer_id]
        if pos is not None and (item.pos().x(), item.pos().y()) != tuple(pos):
            item.setPos(float(pos[0]), float(pos[1]))
            self._direction_check.start()

    def update_direction(self) -> None:
        """Turn the ports to follow the drawing: left to right, or top to bottom (after auto-arrange)."""
        self._direction_check.stop()
        direction = layout.direction_of(self.graph) if self.graph is not None else "horizontal"
        if direction != self.direction:
            self.direction = direction
            for item in self.items_by_id.values():
                item.set_direction(direction)

    def schedule_refresh(self) -> None:
        self._refresh.start()

    def refresh_status(self) -> None:
        """Run shape inference and show its results on every block and link."""
        self._refresh.stop()
        if self.graph is None:
            return
        self.status = infer_shapes(self.graph)
        for layer_id, item in self.items_by_id.items():
            item.set_status(self.status.get(layer_id))
        for link, item in self.links.items():
            status = self.status.get(link.source)
            item.set_shape_text(format_shape(status.output_shape) if status and status.ok else "?",
                                bool(status and status.ok))
        self.update_scene_rect()
        self.status_updated.emit()

    def update_scene_rect(self) -> None:
        """Let the view scroll over every item plus a generous margin to draw in."""
        margin = 1500.0
        self.setSceneRect(self.itemsBoundingRect().adjusted(-margin, -margin, margin, margin)
                          .united(QRectF(-margin, -margin, 2 * margin, 2 * margin)))

    # -- queries and edits ---------------------------------------------------------------------------------
    def layer_item(self, layer_id: str) -> LayerItem | None:
        return self.items_by_id.get(layer_id)

    def layer_item_at(self, pos: QPointF) -> LayerItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item.layer_item
            if isinstance(item, LayerItem):
                return item
        return None

    def selected_layer_ids(self) -> list[str]:
        """Selected layers, in graph order."""
        chosen = {i.layer_id for i in self.selectedItems() if isinstance(i, LayerItem)}
        return [i for i in self.graph.layer_ids if i in chosen] if self.graph else []

    def selected_links(self) -> list[Link]:
        return [i.link for i in self.selectedItems() if isinstance(i, LinkItem)]

    def select_layers(self, layer_ids: list[str]) -> None:
        self.clearSelection()
        for layer_id in layer_ids:
            if layer_id in self.items_by_id:
                self.items_by_id[layer_id].setSelected(True)

    def push(self, command: QUndoCommand) -> None:
        """Apply an edit as an undo step; refused (with a message) while the design is locked."""
        if self.editable():
            self.undo_stack.push(command)

    def editable(self) -> bool:
        """False, with the reason emitted, while the design is locked."""
        if self.locked:
            self.connection_refused.emit("the design is locked while the network trains: stop training to edit it")
        return not self.locked

    def set_locked(self, locked: bool) -> None:
        """Lock the design (blocks cannot be moved, linked or edited), e.g. while it trains."""
        self.locked = locked
        for item in self.items_by_id.values():
            item.setFlag(LayerItem.ItemIsMovable, not locked)

    def add_layer(self, type_name: str, pos: QPointF) -> str | None:
        """Add a layer centred at ``pos`` (a drop from the library); returns its id."""
        command = AddLayerCommand(self.graph, type_name, pos=(pos.x() - WIDTH / 2, pos.y() - HEIGHT / 2))
        self.push(command)
        if command.layer_id is None:
            return None
        self.select_layers([command.layer_id])
        return command.layer_id

    def link_at(self, pos: QPointF, reach: float = 16.0) -> LinkItem | None:
        """The link drawn within ``reach / 2`` of ``pos`` (its label counts too), topmost first; ``reach`` is in
        scene units (the view gives some screen pixels' worth at its zoom)."""
        stroker = QPainterPathStroker()
        stroker.setWidth(reach)
        area = QRectF(pos.x() - reach, pos.y() - reach, 2 * reach, 2 * reach)
        for item in self.items(area):
            if isinstance(item.parentItem(), LinkItem):
                item = item.parentItem()
            if not isinstance(item, LinkItem):
                continue
            if (stroker.createStroke(item.path()).contains(item.mapFromScene(pos))
                    or item.label.sceneBoundingRect().contains(pos)):
                return item
        return None

    def show_drop_target(self, pos: QPointF | None, reach: float = 16.0) -> None:
        """Highlight the link a library drag is over (none for ``None``, or when the design is locked)."""
        link = None if pos is None or self.locked else self.link_at(pos, reach)
        if link is self.drop_target:
            return
        if self.drop_target is not None:
            self.drop_target.set_highlighted(False)
        self.drop_target = link
        if link is not None:
            link.set_highlighted(True)

    def drop_layer(self, type_name: str, pos: QPointF, reach: float = 16.0) -> str | None:
        """A drop from the library at ``pos``: onto a link, the new layer goes between its two ends when it can
        sit there; elsewhere, or when it cannot (the reason is emitted), it is added unlinked; returns its id."""
        self.show_drop_target(None)
        item = self.link_at(pos, reach)
        if item is None or not self.editable():
            return self.add_layer(type_name, pos)
        link = item.link
        problem = insertion_problem(self.graph, type_name, link)
        if problem is not None:
            layer_id = self.add_layer(type_name, pos)
            source, target = self.graph.layer(link.source).name, self.graph.layer(link.target).name
            self.connection_refused.emit(f"{type_name} added unlinked: it cannot go between '{source}' and "
                                         f"'{target}': {problem}")
            return layer_id
        corner, moves = make_room(self.graph, link, (pos.x(), pos.y()), self.direction, (WIDTH, HEIGHT))
        insert = InsertOnLinkCommand(self.graph, type_name, link, pos=corner)
        if moves:  # one step: the insertion and the blocks after it moving on to make room
            self.push(MacroCommand(insert.text(), [insert, MoveLayersCommand(self.graph, moves)]))
        else:
            self.push(insert)
        self.select_layers([insert.layer_id])
        return insert.layer_id

    def try_connect(self, source: str, target: str) -> bool:
        """Link two layers, or emit ``connection_refused`` with the graph's reason; returns whether linked."""
        if not self.editable():
            return False
        try:
            self.graph.check_connect(source, target)
        except NeuroCanvasError as exc:
            self.connection_refused.emit(str(exc))
            return False
        self.push(ConnectCommand(self.graph, source, target))
        return True

    # -- mouse ---------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        port = next((i for i in self.items(event.scenePos()) if isinstance(i, PortItem) and i.isVisible()), None)
        if port is not None and event.button() == Qt.LeftButton and not self.locked:
            self._link_drag = NewLinkInteraction(self, port)
            event.accept()
            return
        super().mousePressEvent(event)
        self._moves.press()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link_drag is not None:
            self._link_drag.update(event.scenePos())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link_drag is not None:
            drag, self._link_drag = self._link_drag, None
            drag.finish(event.scenePos())
            return
        super().mouseReleaseEvent(event)
        self._moves.release()
