"""Automatic layout of a graph into columns (left to right) or rows (top to bottom). Qt-free."""

from __future__ import annotations

from core.graph import Graph

COLUMN_GAP = 290.0
ROW_GAP = 150.0
VERTICAL_GAP = 190.0


def ranks(graph: Graph) -> dict[str, int]:
    """Each layer's depth: the length of the longest path reaching it from a layer with no inputs."""
    rank: dict[str, int] = {}
    for layer_id in graph.topological_order():
        sources = graph.inputs_of(layer_id)
        rank[layer_id] = max((rank[s] + 1 for s in sources), default=0)
    return rank


def arrange(graph: Graph, direction: str = "horizontal") -> dict[str, tuple[float, float]]:
    """A position for every layer: one column (or row) per depth, each column ordered by its sources' order.

    Args:
        graph: the network to lay out.
        direction: ``"horizontal"`` (data flows left to right) or ``"vertical"`` (top to bottom).
    """
    rank = ranks(graph)
    columns: dict[int, list[str]] = {}
    for layer_id in graph.topological_order():
        columns.setdefault(rank[layer_id], []).append(layer_id)
    index: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {}
    for depth in sorted(columns):
        column = columns[depth]
        column.sort(key=lambda i: _barycentre(graph, i, index))
        for row, layer_id in enumerate(column):
            index[layer_id] = row
            along, across = depth * COLUMN_GAP, (row - (len(column) - 1) / 2) * ROW_GAP
            if direction == "vertical":
                positions[layer_id] = (across * 1.6, depth * VERTICAL_GAP)
            else:
                positions[layer_id] = (along, across)
    return positions


def _barycentre(graph: Graph, layer_id: str, index: dict[str, float]) -> float:
    rows = [index[s] for s in graph.inputs_of(layer_id) if s in index]
    return sum(rows) / len(rows) if rows else 0.0


def direction_of(graph: Graph) -> str:
    """``"vertical"`` when most links point downwards more than sideways on the canvas, else ``"horizontal"``."""
    votes = 0
    for link in graph.links:
        a = graph.meta(link.source).get("pos", (0.0, 0.0))
        b = graph.meta(link.target).get("pos", (0.0, 0.0))
        dx, dy = b[0] - a[0], b[1] - a[1]
        votes += 1 if dy > abs(dx) else -1
    return "vertical" if votes > 0 else "horizontal"
