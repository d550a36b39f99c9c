"""Dropping a layer from the library onto a link: whether the new layer can sit there, tried on a copy first."""

from __future__ import annotations

from app.undo_commands import InsertOnLinkCommand
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
