"""An empty canvas says what to do first; the hint goes with the first layer and comes back with undo."""

from __future__ import annotations

from PySide6.QtCore import QPointF

from app.canvas.view import EMPTY_HINT


def _grey_pixels(view) -> int:
    """Pixels that are neither the canvas's background: the hint's text on an empty canvas."""
    image = view.viewport().grab().toImage()
    background = image.pixelColor(2, 2)
    w, h = image.width(), image.height()
    return sum(image.pixelColor(x, y) != background for x in range(w // 4, 3 * w // 4, 2)
               for y in range(h // 2 - 30, h // 2 + 30, 2))


def test_the_empty_canvas_hint_shows_until_a_layer_is_added(window, qtbot):
    view, scene = window.view, window.scene
    assert "Drag layers here" in EMPTY_HINT
    assert view.shows_hint and _grey_pixels(view) > 20
    scene.add_layer("Dense", QPointF(-2000, -2000))  # far away, so the centre of the view stays blank
    view.centerOn(0, 0)
    qtbot.wait(50)
    assert not view.shows_hint and _grey_pixels(view) == 0
    window.document.undo_stack.undo()
    qtbot.wait(50)
    assert view.shows_hint and _grey_pixels(view) > 20
