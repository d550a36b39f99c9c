"""The design as a picture: :func:`diagram_svg` (written here, no dependency) and :func:`write_png` (drawn with
Pillow, already a dependency of the data loaders, so the picture needs no GUI).

Layers are placed by a simple layered layout: each layer's row is the length of the longest path from an input
to it, so every link points down; layers of a row are spread left to right in graph order. Each box shows the
layer's name, type and output shape, coloured by the layer's category as in the designer's library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from core.errors import NeuroCanvasError
from core.graph import Graph
from core.shapes import format_shape, infer_shapes

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN, SKIP_OUT = 200, 58, 28, 36, 20, 40
COLOURS = {"Core": "#dbe9f6", "Convolution": "#dff0d8", "Pooling": "#e8f5e9", "Recurrent": "#fdebd0",
           "Normalization": "#efe2f4", "Merge": "#fcf3cf", "Reshaping": "#eaeded", "Regularization": "#f9e0e0",
           "Augmentation": "#e0f2f1"}
INPUT_COLOUR, OTHER_COLOUR, STROKE, TEXT, MUTED = "#fdfefe", "#f4f6f7", "#566573", "#1b2631", "#5d6d7e"


@dataclass(frozen=True)
class Box:
    """One layer's box: top-left corner, the three text lines and the fill colour."""

    x: float
    y: float
    title: str
    kind: str
    shape: str
    fill: str


def layout(graph: Graph) -> tuple[dict[str, Box], list[tuple[str, str]], tuple[int, int]]:
    """``({layer id: Box}, [(source id, target id)], (width, height))`` of the layered drawing."""
    order = graph.topological_order()
    depth: dict[str, int] = {}
    for layer_id in order:
        depth[layer_id] = max((depth[s] + 1 for s in graph.inputs_of(layer_id)), default=0)
    rows: dict[int, list[str]] = {}
    for layer_id in order:
        rows.setdefault(depth[layer_id], []).append(layer_id)
    widest = max((len(r) for r in rows.values()), default=1)
    width = 2 * MARGIN + widest * BOX_W + (widest - 1) * GAP_X
    height = 2 * MARGIN + len(rows) * BOX_H + max(len(rows) - 1, 0) * GAP_Y
    status = infer_shapes(graph)
    boxes = {}
    for row, ids in rows.items():
        row_w = len(ids) * BOX_W + (len(ids) - 1) * GAP_X
        for k, layer_id in enumerate(ids):
            layer, st = graph.layer(layer_id), status[layer_id]
            fill = INPUT_COLOUR if layer.type_name == "InputLayer" else COLOURS.get(layer.category, OTHER_COLOUR)
            shape = format_shape(st.output_shape) if st.ok else "shape error"
            boxes[layer_id] = Box((width - row_w) / 2 + k * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y),
                                  layer.name, layer.type_name, shape, fill)
    links = [(link.source, link.target) for link in graph.links]
    if any(depth[t] - depth[s] > 1 for s, t in links):
        width += SKIP_OUT  # room for the arcs of skip connections on the right
    return boxes, links, (int(width), int(height))


def link_curve(a: Box, b: Box) -> tuple[tuple[float, float], ...]:
    """The four control points of the cubic Bézier from box ``a`` to box ``b``: straight down between adjacent
    rows, an arc on the right (past the boxes in between) for a link that skips rows."""
    if b.y - a.y <= BOX_H + GAP_Y + 1:
        x1, y1, x2, y2 = a.x + BOX_W / 2, a.y + BOX_H, b.x + BOX_W / 2, b.y
        mid = (y1 + y2) / 2
        return (x1, y1), (x1, mid), (x2, mid), (x2, y2)
    y1, y2 = a.y + BOX_H / 2, b.y + BOX_H / 2
    side = max(a.x, b.x) + BOX_W + SKIP_OUT * 1.3
    return (a.x + BOX_W, y1), (side, y1), (side, y2), (b.x + BOX_W, y2)


def _clip(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def diagram_svg(graph: Graph, title: str = "model") -> str:
    """The design as a standalone SVG document."""
    boxes, links, (width, height) = layout(graph)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
           f"<title>{escape(title)}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{STROKE}"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    for source, target in links:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = link_curve(boxes[source], boxes[target])
        out.append(f'<path class="link" d="M{x0:g},{y0:g} C{x1:g},{y1:g} {x2:g},{y2:g} {x3:g},{y3:g}" '
                   f'fill="none" stroke="{STROKE}" stroke-width="1.4" marker-end="url(#arrow)"/>')
    for layer_id, box in boxes.items():
        cx = box.x + BOX_W / 2
        out += [f'<g class="layer" id="{escape(layer_id)}">',
                f'<rect x="{box.x:g}" y="{box.y:g}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{box.fill}" '
                f'stroke="{STROKE}" stroke-width="1.2"/>',
                f'<text x="{cx:g}" y="{box.y + 18:g}" text-anchor="middle" font-size="13" font-weight="bold" '
                f'fill="{TEXT}">{escape(_clip(box.title))}</text>',
                f'<text x="{cx:g}" y="{box.y + 34:g}" text-anchor="middle" font-size="11" '
                f'fill="{TEXT}">{escape(box.kind)}</text>',
                f'<text x="{cx:g}" y="{box.y + 49:g}" text-anchor="middle" font-size="11" '
                f'fill="{MUTED}">{escape(_clip(box.shape, 32))}</text>', "</g>"]
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_png(graph: Graph, path: str | os.PathLike, scale: float = 2.0) -> None:
    """Draw the same picture as :func:`diagram_svg` into a PNG file at ``scale`` times its size (sharp on
    high-density screens)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise NeuroCanvasError("PNG export needs Pillow: pip install Pillow (or export SVG)") from None
    boxes, links, (width, height) = layout(graph)
    image = Image.new("RGB", (int(width * scale), int(height * scale)), "white")
    draw = ImageDraw.Draw(image)
    fonts = {size: _font(ImageFont, size * scale) for size in (11, 13)}
    for source, target in links:
        points = _curve(*link_curve(boxes[source], boxes[target]))
        draw.line([(x * scale, y * scale) for x, y in points], fill=STROKE, width=max(1, round(1.4 * scale)))
        draw.polygon([(x * scale, y * scale) for x, y in _arrow_head(points[-2], points[-1])], fill=STROKE)
    for box in boxes.values():
        corners = [box.x * scale, box.y * scale, (box.x + BOX_W) * scale, (box.y + BOX_H) * scale]
        draw.rounded_rectangle(corners, radius=8 * scale, fill=box.fill, outline=STROKE,
                               width=max(1, round(1.2 * scale)))
        cx = (box.x + BOX_W / 2) * scale
        for text, dy, size, colour in ((_clip(box.title), 18, 13, TEXT), (box.kind, 34, 11, TEXT),
                                       (_clip(box.shape, 32), 49, 11, MUTED)):
            draw.text((cx, (box.y + dy) * scale), text, fill=colour, font=fonts[size], anchor="ms")
    image.save(os.fspath(path), format="PNG")


def _font(image_font: Any, size: float) -> Any:
    try:
        return image_font.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the fixed bitmap font
        return image_font.load_default()


def _curve(p0, p1, p2, p3, steps: int = 20) -> list[tuple[float, float]]:
    """Points along the cubic Bézier with control points ``p0..p3``."""
    pts = []
    for k in range(steps + 1):
        t = k / steps
        u = 1 - t
        w = (u ** 3, 3 * u * u * t, 3 * u * t * t, t ** 3)
        pts.append((sum(c * p[0] for c, p in zip(w, (p0, p1, p2, p3))),
                    sum(c * p[1] for c, p in zip(w, (p0, p1, p2, p3)))))
    return pts


def _arrow_head(before: tuple[float, float], tip: tuple[float, float], size: float = 7.0) -> list:
    """A triangle at ``tip`` pointing along the segment from ``before``."""
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / norm, dy / norm
    back = (tip[0] - ux * size, tip[1] - uy * size)
    return [tip, (back[0] - uy * size * 0.55, back[1] + ux * size * 0.55),
            (back[0] + uy * size * 0.55, back[1] - ux * size * 0.55)]
