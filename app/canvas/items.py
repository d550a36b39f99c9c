"""Canvas items: layer blocks with ports, links with the shape they carry.

Items hold no design state of their own: the scene sets their text from the graph and from shape inference.
Texts are laid out when they change, never in ``paint``, so that moving and zooming a large design stays cheap.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsSimpleTextItem, QStyleOptionGraphicsItem

from app import theme
from core.shapes import LayerStatus, format_shape

WIDTH, HEIGHT, PORT_R = 190.0, 104.0, 6.0
LINE_H = 19.0
SKIP_LIFT = 190.0  # links spanning a block in the same row or column arc around it by this much
SKIP_SPAN = {"horizontal": 1.5 * (WIDTH + 100), "vertical": 1.5 * (HEIGHT + 86)}
CATEGORY_COLOURS = {
    "Core": "#4e79a7", "Convolution": "#f28e2b", "Pooling": "#59a14f", "Recurrent": "#b07aa1",
    "Normalization": "#76b7b2", "Regularization": "#9c755f", "Reshaping": "#bab0ac", "Merging": "#edc948",
    "Merge": "#edc948", "Activations": "#e15759", "Augmentation": "#ff9da7",
}
ERROR_COLOUR = QColor("#d62728")
HIDDEN_PARAMS = ("_initializer", "_regularizer", "_constraint", "seed", "use_bias", "dtype")


def format_value(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "×".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def key_params(layer: Any, limit: int = 3) -> str:
    """A short summary of a layer's main parameters, e.g. ``filters=32 · 3×3 · relu``.

    The first two parameters of the spec are always shown, the others only when they differ from the default.
    """
    parts = []
    for index, param in enumerate(layer.params):
        if param.kind in ("bool", "str") or param.name.endswith(HIDDEN_PARAMS) or param.name in HIDDEN_PARAMS:
            continue
        value = layer.config.get(param.name)
        default = param.default
        if isinstance(value, tuple) and not isinstance(default, tuple) and default is not None:
            default = (default,) * len(value)
        if value is None or (index >= 2 and value == default):
            continue
        bare = param.kind in ("choice", "ints", "shape")
        parts.append(format_value(value) if bare else f"{param.name}={format_value(value)}")
        if len(parts) == limit:
            break
    return " · ".join(parts)


def format_count(n: int) -> str:
    return f"{n:,}".replace(",", " ")


class PortItem(QGraphicsItem):
    """An input port (left, or top when data flows downwards) or output port (right, or bottom) of a layer block;
    drag from one to another to link."""

    def __init__(self, parent: "LayerItem", is_output: bool):
        super().__init__(parent)
        self.is_output = is_output
        self.place("horizontal")
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CrossCursor)
        self.setZValue(1)
        self._hover = False

    def place(self, direction: str) -> None:
        """Put the port on the side the data flows to or from."""
        if direction == "vertical":
            self.setPos(WIDTH / 2, HEIGHT if self.is_output else 0.0)
        else:
            self.setPos(WIDTH if self.is_output else 0.0, HEIGHT / 2)

    @property
    def layer_item(self) -> "LayerItem":
        return self.parentItem()

    def boundingRect(self) -> QRectF:
        r = PORT_R + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None) -> None:
        painter.setPen(QPen(theme.colour("port_border"), 1.2))
        painter.setBrush(theme.colour("port_hover" if self._hover else "port"))
        r = PORT_R + (2 if self._hover else 0)
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, event: Any) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: Any) -> None:
        self._hover = False
        self.update()


class LayerItem(QGraphicsItem):
    """A layer block: name, type, key parameters, output shape and parameter count, and an error badge."""

    def __init__(self, layer_id: str):
        super().__init__()
        self.layer_id = layer_id
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.input_port = PortItem(self, False)
        self.output_port = PortItem(self, True)
        self.links: list[LinkItem] = []
        self.name = self.type_name = self.summary = self.shape_text = self.params_text = ""
        self.error: str | None = None  # a problem of this layer's own (drawn red, with a badge)
        self.waiting: str | None = None  # the layer waits for a broken layer upstream (drawn grey)
        self.colour = QColor(CATEGORY_COLOURS["Core"])
        self._lines: list[str] = []
        self._status_key: tuple | None = ()
        self.direction = "horizontal"

    def set_layer(self, layer: Any) -> None:
        """Show a layer's name, type and key parameters."""
        self.name, self.type_name, self.summary = layer.name, layer.type_name, key_params(layer)
        self.colour = QColor(CATEGORY_COLOURS.get(layer.category, "#7f7f7f"))
        self.input_port.setVisible(layer.max_inputs > 0)
        self._relayout()

    def set_direction(self, direction: str) -> None:
        """Place the ports for data flowing ``"horizontal"`` (left to right) or ``"vertical"`` (downwards)."""
        self.direction = direction
        self.input_port.place(direction)
        self.output_port.place(direction)
        for link in self.links:
            link.adjust()

    def set_status(self, status: LayerStatus | None) -> None:
        """Show the result of shape inference: output shape and parameter count, or the error."""
        key = None if status is None else (status.output_shape, status.error, status.params, self.name)
        if key is not None and key == self._status_key:
            return
        self._status_key = key
        text = None if status is None else status.error
        waiting = bool(text and text.startswith("waiting for"))
        self.error, self.waiting = (None, text) if waiting else (text, None)
        if status is None:
            self.shape_text, self.params_text = "", ""
        else:
            self.shape_text = format_shape(status.output_shape) if status.ok else ("—" if waiting else "invalid")
            self.params_text = f"{format_count(status.params)} params" if status.ok else ""
        tip = f"<b>{self.name}</b> ({self.type_name})"
        if self.error:
            tip += f"<br><span style='color:#d62728'>⚠ {self.error}</span>"
        elif self.waiting:
            tip += f"<br>{self.waiting}"
        elif status is not None:
            tip += f"<br>output {self.shape_text} · {self.params_text}"
        self.setToolTip(tip)
        self._relayout()

    def _relayout(self) -> None:
        metrics = QFontMetrics(QFont())
        width = int(WIDTH - 20)
        self._lines = [metrics.elidedText(t, Qt.ElideRight, width)
                       for t in (self.name, self.type_name, self.summary, self.shape_text, self.params_text)]
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, WIDTH + 4, HEIGHT + 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        rect = QRectF(0, 0, WIDTH, HEIGHT)
        border = theme.colour("error" if self.error else "border")
        if self.isSelected():
            border = theme.colour("selected")
        painter.setPen(QPen(border, 3 if self.isSelected() or self.error else 1.2))
        painter.setBrush(theme.colour("block_error" if self.error else "block_waiting" if self.waiting else "block"))
        painter.drawRoundedRect(rect, 7, 7)
        painter.setPen(Qt.NoPen)
        painter.setBrush(self.colour)
        painter.drawRoundedRect(QRectF(1.5, 1.5, 7, HEIGHT - 3), 3, 3)
        self._paint_texts(painter)
        if self.error:
            self._paint_badge(painter)

    def _paint_texts(self, painter: QPainter) -> None:
        font = QFont()
        bold = QFont(font)
        bold.setBold(True)
        colours = list(theme.palette()["text"])
        if self.error:
            colours[3] = theme.palette()["error"]
        for row, (text, colour) in enumerate(zip(self._lines, colours)):
            painter.setFont(bold if row == 0 else font)
            painter.setPen(QColor(colour))
            painter.drawText(QRectF(14, 4 + row * LINE_H, WIDTH - 20, LINE_H), Qt.AlignVCenter | Qt.AlignLeft, text)

    def _paint_badge(self, painter: QPainter) -> None:
        centre = QPointF(WIDTH - 14, 14)
        painter.setPen(Qt.NoPen)
        painter.setBrush(ERROR_COLOUR)
        painter.drawEllipse(centre, 9, 9)
        painter.setPen(QPen(QColor("white"), 2.2))
        painter.drawLine(QPointF(centre.x(), centre.y() - 5), QPointF(centre.x(), centre.y() + 1.5))
        painter.drawPoint(QPointF(centre.x(), centre.y() + 4.5))

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.ItemPositionHasChanged:
            for link in self.links:
                link.adjust()
        return super().itemChange(change, value)


class LinkItem(QGraphicsPathItem):
    """A link from a layer's output port to another's input port, labelled with the shape it carries."""

    def __init__(self, link: Any, source: LayerItem, target: LayerItem):
        super().__init__()
        self.link, self.source, self.target = link, source, target
        self.setZValue(-1)
        self.setPen(QPen(theme.colour("link"), 1.8))
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.label = QGraphicsSimpleTextItem(self)
        font = self.label.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        self.label.setFont(font)
        self.label.setBrush(QBrush(theme.colour("label")))
        self._ok = True
        self.highlighted = False  # a library drag is over this link: dropping inserts the layer here
        source.links.append(self)
        target.links.append(self)
        self.adjust()

    def set_shape_text(self, text: str, ok: bool = True) -> None:
        if text == self.label.text() and ok == self._ok:
            return
        self._ok = ok
        self.label.setText(text)
        self.refresh_theme()
        self._place_label()

    def refresh_theme(self) -> None:
        """Take the link's and its label's colours from the palette in use."""
        self.label.setBrush(QBrush(theme.colour("label" if self._ok else "error")))
        self._set_pen(self.isSelected())

    def set_highlighted(self, highlighted: bool) -> None:
        """Draw the link wide (a layer dragged from the library would be inserted on it), or as usual."""
        self.highlighted = highlighted
        self._set_pen(self.isSelected())

    def _set_pen(self, selected: bool) -> None:
        if self.highlighted:
            self.setPen(QPen(theme.colour("drop_target"), 5.0, Qt.SolidLine, Qt.RoundCap))
        elif selected:
            self.setPen(QPen(theme.colour("selected"), 2.6))
        else:
            self.setPen(QPen(theme.colour("link"), 1.8))

    def detach(self) -> None:
        for item in (self.source, self.target):
            if self in item.links:
                item.links.remove(self)

    def adjust(self) -> None:
        start = self.source.output_port.scenePos()
        end = self.target.input_port.scenePos()
        vertical = self.target.direction == "vertical"
        along = (lambda d: QPointF(0, d)) if vertical else (lambda d: QPointF(d, 0))
        across = (lambda d: QPointF(d, 0)) if vertical else (lambda d: QPointF(0, d))
        span = abs(end.y() - start.y()) if vertical else abs(end.x() - start.x())
        offset = abs(end.x() - start.x()) if vertical else abs(end.y() - start.y())
        tip = end - along(PORT_R)
        if span > SKIP_SPAN[self.target.direction] and offset < (WIDTH if vertical else HEIGHT):
            # a skip connection over blocks in the same row: bow out (up, or right) so that it stays visible
            lift = across(SKIP_LIFT if vertical else -SKIP_LIFT)
            c1, c2 = start + along(80) + lift, tip - along(80) + lift
        else:
            bend = max(span / 2, 40.0)
            c1, c2 = start + along(bend), tip - along(bend)
        path = QPainterPath(start)
        path.cubicTo(c1, c2, tip)
        self._mid = (start + c1 * 3 + c2 * 3 + tip) / 8
        back = end - along(PORT_R + 8)
        path.addPolygon([back - across(4), tip, back + across(4)])
        self.setPath(path)
        self._place_label()

    def _place_label(self) -> None:
        mid = self._mid
        rect = self.label.boundingRect()
        if self.target.direction == "vertical":
            self.label.setPos(mid.x() + 6, mid.y() - rect.height() / 2)
        else:
            self.label.setPos(mid.x() - rect.width() / 2, mid.y() - rect.height() - 2)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.ItemSelectedHasChanged:
            self._set_pen(bool(value))
        return super().itemChange(change, value)
