"""Pictures of the design: boxes for the layers with their output shapes, arrows for the links
(see :mod:`core.io.diagram`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.io.exporters.base import Exporter, TextExporter


class SvgExporter(TextExporter):
    name = "svg"
    label = "Diagram as SVG (.svg)…"
    suffix = ".svg"
    description = "diagram of the design (vector image)"

    def text(self, model: Any, weights_file: str) -> str:
        from core.io.diagram import diagram_svg
        return diagram_svg(model.graph, model.name)


class PngExporter(Exporter):
    name = "png"
    label = "Diagram as PNG (.png)…"
    suffix = ".png"
    description = "diagram of the design (bitmap image)"

    def write(self, model: Any, path: Path, weights_file: str) -> None:
        from core.io.diagram import write_png
        write_png(model.graph, path)


SvgExporter.register()
PngExporter.register()
