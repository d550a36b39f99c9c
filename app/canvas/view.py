"""The canvas view: zoom (wheel, pinch, keys), pan (middle button or space + drag), fit, and drops from the
library."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsView

from app import theme
from app.mime import LAYER_MIME

MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
DROP_REACH = 18  # screen pixels: a library drag this close to a link (across) is over it
EMPTY_HINT = ("Drag layers here from the library on the left,\nthen link them port to port "
              "(or start from a template: File → New)")


class CanvasView(QGraphicsView):
    """Shows a :class:`~app.canvas.scene.CanvasScene`; dropping a library entry adds that layer (onto a link: between
    the link's two ends, the link under the cursor highlighted while dragging)."""

    def __init__(self, scene: Any, parent: Any = None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.DontSavePainterState)
        self.setAcceptDrops(True)
        self.viewport().grabGesture(Qt.PinchGesture)
        self.setBackgroundBrush(theme.colour("canvas"))
        self._pan_from: QPointF | None = None
        self._space = False
        self._was_empty = True
        scene.changed.connect(self._on_scene_changed)

    def refresh_theme(self) -> None:
        """Redraw the canvas and its items in the palette in use (called by :func:`app.theme.refresh`)."""
        self.setBackgroundBrush(theme.colour("canvas"))
        for item in self.scene().items():
            if hasattr(item, "refresh_theme"):
                item.refresh_theme()
            else:
                item.update()

    # -- the empty-canvas hint -----------------------------------------------------------------------------
    @property
    def shows_hint(self) -> bool:
        """Whether the canvas is empty, so that the hint on what to do first is drawn."""
        return not self.scene().items_by_id

    def _on_scene_changed(self, _regions: Any) -> None:
        if self.shows_hint != self._was_empty:  # the hint appears or goes: repaint all of it
            self._was_empty = self.shows_hint
            self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawForeground(painter, rect)
        if not self.shows_hint:
            return
        painter.save()
        painter.resetTransform()  # viewport coordinates: the hint stays centred whatever the zoom
        painter.setPen(QColor(theme.palette()["text"][1]))  # the secondary text colour
        painter.drawText(QRectF(self.viewport().rect()), Qt.AlignCenter, EMPTY_HINT)
        painter.restore()

    # -- zoom ----------------------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        factor = max(MIN_ZOOM / self.zoom, min(MAX_ZOOM / self.zoom, factor))
        self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def reset_zoom(self) -> None:
        self.resetTransform()

    def fit(self) -> None:
        """Show every layer, no larger than 100 %."""
        self.scene().update_scene_rect()
        rect = self.scene().itemsBoundingRect().adjusted(-40, -40, 40, 40)
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.zoom > 1.0:
            self.resetTransform()
            self.centerOn(rect.center())

    def wheelEvent(self, event: Any) -> None:
        if event.modifiers() & Qt.ShiftModifier:
            super().wheelEvent(event)
            return
        self.zoom_by(1.0015 ** event.angleDelta().y())

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.NativeGesture and event.gestureType() == Qt.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value())
            return True
        if event.type() == QEvent.Gesture:
            pinch = event.gesture(Qt.PinchGesture)
            if pinch is not None:
                self.zoom_by(pinch.scaleFactor())
                return True
        return super().viewportEvent(event)

    # -- pan -----------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: Any) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.MiddleButton or (self._space and event.button() == Qt.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        super().mouseReleaseEvent(event)

    # -- drops from the library ----------------------------------------------------------------------------
    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            self.scene().show_drop_target(self.mapToScene(event.position().toPoint()), DROP_REACH / self.zoom)
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event: Any) -> None:
        self.scene().show_drop_target(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: Any) -> None:
        if not event.mimeData().hasFormat(LAYER_MIME):
            super().dropEvent(event)
            return
        type_name = bytes(event.mimeData().data(LAYER_MIME)).decode("utf-8")
        self.scene().drop_layer(type_name, self.mapToScene(event.position().toPoint()), DROP_REACH / self.zoom)
        event.acceptProposedAction()
        self.setFocus()
