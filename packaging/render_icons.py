"""Render the application icon's PNG sizes from its SVG with Qt's own SVG renderer.

Run after editing the SVG: ``QT_QPA_PLATFORM=offscreen python packaging/render_icons.py``. The PNGs are committed
(``resources/icons/app/<size>.png``) so that building a wheel needs no Qt; ``tests/test_packaging.py`` checks
that they match the SVG. A desktop install copies them to ``hicolor/<size>x<size>/apps/`` (see README.md here).
"""

from __future__ import annotations

import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app"
SVG = ICON_DIR / "org.neurocanvas.NeuroCanvas.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int, svg: Path = SVG):
    """The icon as a ``size``×``size`` ARGB QImage (transparent outside the tile)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG file Qt can draw: fix the file (Qt reads SVG Tiny 1.2)")
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtGui import QGuiApplication

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else ICON_DIR
    folder.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication(["render_icons"])
    for size in SIZES:
        if not render(size).save(str(folder / f"{size}.png")):
            print(f"render_icons: cannot write {folder / f'{size}.png'}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
