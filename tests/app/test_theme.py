"""Category icons in the library, and the canvas and icons following the light or dark colour scheme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette

from app import theme
from app.__main__ import apply_style
from app.canvas.items import HEIGHT, LINE_H, WIDTH
from app.palette import CATEGORY_ICONS
from core.layers import registry


def luminance(colour: QColor) -> float:
    return 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()


@pytest.fixture
def restore_light(qapp):
    """Whatever a test switches to, the next one starts light and without a style sheet."""
    yield
    theme.set_scheme(Qt.ColorScheme.Light)
    qapp.setStyleSheet("")
    theme.refresh(qapp)


def block_colours(item) -> tuple[float, float]:
    """Luminance of a rendered block's background, and of its name text most unlike that background."""
    image = QImage(int(WIDTH), int(HEIGHT), QImage.Format_ARGB32)
    image.fill(Qt.magenta)
    painter = QPainter(image)
    item.scene().render(painter, QRectF(0, 0, WIDTH, HEIGHT), item.sceneBoundingRect().adjusted(2, 2, -2, -2))
    painter.end()
    background = luminance(image.pixelColor(int(WIDTH) - 12, int(HEIGHT) - 8))
    name_row = [luminance(image.pixelColor(x, y)) for x in range(16, int(WIDTH) - 30)
                for y in range(4, int(4 + LINE_H))]
    return background, max(name_row, key=lambda v: abs(v - background))


def icon_stroke(icon) -> float:
    """The luminance of an icon's brightest opaque pixel when the icon is dark-stroked, else of its darkest."""
    image = icon.pixmap(24, 24).toImage()
    values = [luminance(image.pixelColor(x, y)) for x in range(image.width()) for y in range(image.height())
              if image.pixelColor(x, y).alpha() > 200]
    assert values, "the icon is empty"
    return max(values) if theme.is_dark() else min(values)


def test_every_category_has_an_icon_shown_beside_its_heading(window):
    categories = set(registry.by_category())
    assert categories and all((CATEGORY_ICONS / f"{c.lower()}.svg").is_file() for c in categories)
    tree = window.palette.tree
    headings = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert {h.text(0) for h in headings} == categories
    assert all(not h.icon(0).isNull() and not h.icon(0).pixmap(16, 16).isNull() for h in headings)


def test_dark_scheme_draws_light_text_on_dark_blocks_and_back(window, qapp, restore_light):
    window.open_template("mlp")
    item = next(iter(window.scene.items_by_id.values()))
    new_icon = window.actions_by_name["new"]

    background, text = block_colours(item)
    assert background > 0.8 and text < 0.3

    apply_style(qapp, Qt.ColorScheme.Dark)
    background, text = block_colours(item)
    assert background < 0.3 and text > 0.7
    assert luminance(window.view.backgroundBrush().color()) < 0.3
    assert luminance(qapp.palette().color(QPalette.Window)) < 0.3  # toolbars and docks too
    assert icon_stroke(new_icon.icon()) > 0.6
    assert icon_stroke(window.palette.tree.topLevelItem(0).icon(0)) > 0.6

    apply_style(qapp, Qt.ColorScheme.Light)
    background, text = block_colours(item)
    assert background > 0.8 and text < 0.3
    assert luminance(window.view.backgroundBrush().color()) > 0.8
    assert luminance(qapp.palette().color(QPalette.Window)) > 0.7
    assert icon_stroke(new_icon.icon()) < 0.4
