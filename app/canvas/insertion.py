"""Dropping a layer from the library onto a link: whether the new layer can sit there, tried on a copy first."""

from __future__ import annotations

from app.undo_commands import InsertOnLinkCommand
from core import layout
from core.errors import NeuroCanvasError
from core.graph import Graph, Link
from core.io import design as design_mod
from core.shapes import LayerStatus, infer_shapes


def _own_error(status: LayerStatus | None) -> str | None:
    """A layer's own problem; None when it is fine or only waits for a broken layer upstream."""
    if status is None or status.ok or status.error.startswith("waiting for"):
        return None
    return status.error


def insertion_problem(graph: Graph, type_name: str, link: Link) -> str | None:
    """Why a new ``type_name`` layer cannot go on ``link`` (``source → new → target``), or None when it can.

    The insertion is tried on a copy of the design: it is refused when the new layer, or any layer that was fine
    before, gets a problem of its own (a shape that does not fit, a layer that takes no input)."""
    trial = Graph()
    design_mod.add_design(trial, design_mod.snapshot(graph), keep_ids={i: i for i in graph.layer_ids})
    before = infer_shapes(trial)
    command = InsertOnLinkCommand(trial, type_name, link, pos=(0.0, 0.0))
    try:
        command.redo()
    except NeuroCanvasError as exc:
        return str(exc)
    after = infer_shapes(trial)
    new_error = _own_error(after.get(command.layer_id))
    if new_error:
        return new_error
    for layer_id, status in before.items():
        error = _own_error(after.get(layer_id))
        if status.ok and error:
            return error
    return None


Position = tuple[float, float]


def make_room(graph: Graph, link: Link, drop: Position, direction: str,
              size: Position) -> tuple[Position, dict[str, tuple[Position, Position]]]:
    """Where a block inserted on ``link`` goes (its top-left corner), and the moves that make room for it.

    When the link runs forwards on the canvas (rightwards, or downwards in a top-to-bottom drawing), the block
    sits one step after the link's source, level with the link, and the link's target with everything downstream
    of it moves on along the flow by as much as it needs; otherwise the block goes where it was dropped."""
    axis = 1 if direction == "vertical" else 0
    step = layout.VERTICAL_GAP if axis else layout.COLUMN_GAP
    source = graph.meta(link.source).get("pos", (0.0, 0.0))
    target = graph.meta(link.target).get("pos", (0.0, 0.0))
    corner = [drop[0] - size[0] / 2, drop[1] - size[1] / 2]
    if target[axis] <= source[axis]:
        return (corner[0], corner[1]), {}
    corner[axis] = source[axis] + step
    corner[1 - axis] = (source[1 - axis] + target[1 - axis]) / 2
    shift = corner[axis] + step - target[axis]
    moves: dict[str, tuple[Position, Position]] = {}
    if shift > 0:
        downstream, todo = [], [link.target]
        while todo:
            layer_id = todo.pop()
            if layer_id not in downstream:
                downstream.append(layer_id)
                todo.extend(graph.consumers_of(layer_id))
        for layer_id in downstream:
            old = tuple(graph.meta(layer_id).get("pos", (0.0, 0.0)))
            new = list(old)
            new[axis] += shift
            moves[layer_id] = (old, (new[0], new[1]))
    return (corner[0], corner[1]), moves
