"""Light and dark colours for what the style sheets cannot reach: the canvas's painted items and the SVG icons.

:func:`app.__main__.apply_style` calls :func:`set_scheme` with the system's colour scheme; :func:`refresh` then
redraws every widget that has a ``refresh_theme()`` method and recolours the themed icons of every action.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

ICON_STROKE = "#2d3e50"  # the stroke every SVG icon in resources/icons is drawn with
ICON_FILL = "#fff"  # the fill of the little port circles of some icons
ICON_PROPERTY = "themedIcon"  # an action's SVG path, so that refresh() can recolour it

LIGHT = {
    "canvas": "#ffffff", "block": "#fbfbfb", "block_waiting": "#f2f2f2", "block_error": "#fff4f4",
    "border": "#555555", "selected": "#1f77b4", "error": "#d62728",
    "text": ("#111111", "#666666", "#333333", "#1f5f9f", "#555555"),
    "link": "#666666", "label": "#1f5f9f", "port": "#ffffff", "port_border": "#333333", "port_hover": "#ffd966",
    "drop_target": "#e8790c",
    "icon": ICON_STROKE, "icon_fill": ICON_FILL,
}
DARK = {
    "canvas": "#1e2126", "block": "#2b2f36", "block_waiting": "#24272d", "block_error": "#4a1f1f",
    "border": "#8a9099", "selected": "#4aa3ff", "error": "#ff6b64",
    "text": ("#f0f2f5", "#aab0b8", "#cfd3d8", "#7cc0ff", "#aab0b8"),
    "link": "#9aa0a8", "label": "#7cc0ff", "port": "#2b2f36", "port_border": "#cfd3d8", "port_hover": "#b38f00",
    "drop_target": "#ffa64d",
    "icon": "#d5dae0", "icon_fill": "#2b2f36",
}
WIDGETS_DARK = {  # the widgets' palette in dark mode, for styles and platforms that keep a light one
    QPalette.Window: "#2b2f36", QPalette.WindowText: "#e6e8eb", QPalette.Base: "#1e2126",
    QPalette.AlternateBase: "#262a30", QPalette.Text: "#e6e8eb", QPalette.Button: "#33383f",
    QPalette.ButtonText: "#e6e8eb", QPalette.ToolTipBase: "#33383f", QPalette.ToolTipText: "#e6e8eb",
    QPalette.Highlight: "#2f6db5", QPalette.HighlightedText: "#ffffff", QPalette.Link: "#7cc0ff",
    QPalette.PlaceholderText: "#8a9099", QPalette.BrightText: "#ff6b64", QPalette.Light: "#4a5059",
    QPalette.Midlight: "#3d424a", QPalette.Mid: "#2a2e34", QPalette.Dark: "#1a1c20", QPalette.Shadow: "#000000",
}
_current = {"dark": False}


def set_scheme(scheme: Qt.ColorScheme | None = None) -> None:
    """Use the dark palette for ``Qt.ColorScheme.Dark``, else the light one (default: the system's scheme now)."""
    if scheme is None:
        scheme = QGuiApplication.styleHints().colorScheme()
    _current["dark"] = scheme == Qt.ColorScheme.Dark


def is_dark() -> bool:
    return _current["dark"]


def palette() -> dict:
    """The colours in use: :data:`DARK` or :data:`LIGHT`."""
    return DARK if _current["dark"] else LIGHT


def colour(role: str) -> QColor:
    """One colour of the palette in use, e.g. ``colour("link")``."""
    return QColor(palette()[role])


def svg_icon(path: Path) -> QIcon:
    """An SVG icon drawn in the palette's icon colour (an empty icon if the file is missing).

    The icons are drawn with a dark stroke for light backgrounds; in the dark palette the stroke is swapped for a
    light one before the SVG is rendered, at the sizes toolbars and trees ask for."""
    if not path.exists():
        return QIcon()
    colours = palette()
    text = path.read_text(encoding="utf-8").replace(ICON_STROKE, colours["icon"])
    text = text.replace(f'"{ICON_FILL}"', f'"{colours["icon_fill"]}"')
    renderer = QSvgRenderer(QByteArray(text.encode("utf-8")))
    icon = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(QPixmap.fromImage(image))
    return icon


def set_action_icon(action, path: Path) -> None:
    """Give ``action`` the themed icon of ``path``, recoloured again by :func:`refresh`."""
    action.setProperty(ICON_PROPERTY, str(path))
    action.setIcon(svg_icon(path))


def widget_palette() -> QPalette:
    """The widgets' palette: :data:`WIDGETS_DARK` in dark mode (disabled texts dimmed), else the default one."""
    result = QPalette()
    if _current["dark"]:
        for role, value in WIDGETS_DARK.items():
            result.setColor(role, QColor(value))
        for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
            result.setColor(QPalette.Disabled, role, QColor("#6f737a"))
    return result


def refresh(app: QApplication) -> None:
    """Redraw in the palette in use: the widgets' palette, their ``refresh_theme()`` and the actions' icons."""
    app.setPalette(widget_palette())
    for widget in app.allWidgets():
        if hasattr(widget, "refresh_theme"):
            widget.refresh_theme()
    for top in app.topLevelWidgets():
        for action in top.findChildren(QAction):
            path = action.property(ICON_PROPERTY)
            if path:
                action.setIcon(svg_icon(Path(path)))
