"""Edit operations on the canvas selection: delete, copy, cut, paste, duplicate, add after, auto-arrange.

Each builds one undo command (a macro where several graph edits are involved). Copies go to the system clipboard
as a JSON design, so they can be pasted into another window.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from app.canvas.items import HEIGHT, WIDTH
from app.canvas.scene import CanvasScene
from app.undo_commands import (AddAfterCommand, AddLayerCommand, InsertDesignCommand, MoveLayersCommand,
                          remove_layers)
from app.mime import DESIGN_MIME
from core import layout
from core.io import design as design_mod
from core.layers import registry

PASTE_OFFSET = 30.0


def delete_selection(scene: CanvasScene) -> bool:
    """Remove the selected layers (with their links) and the selected links, as one step."""
    ids, links = scene.selected_layer_ids(), scene.selected_links()
    if not ids and not links:
        return False
    scene.push(remove_layers(scene.graph, ids, [l for l in links if l.source not in ids and l.target not in ids]))
    return True


def copy_selection(scene: CanvasScene) -> bool:
    ids = scene.selected_layer_ids()
    if not ids:
        return False
    data = QMimeData()
    text = design_mod.to_json(design_mod.snapshot(scene.graph, ids))
    data.setData(DESIGN_MIME, text.encode("utf-8"))
    data.setText(text)
    QGuiApplication.clipboard().setMimeData(data)
    return True


def cut_selection(scene: CanvasScene) -> bool:
    return copy_selection(scene) and delete_selection(scene)


def can_paste() -> bool:
    data = QGuiApplication.clipboard().mimeData()
    return data is not None and data.hasFormat(DESIGN_MIME)


def paste(scene: CanvasScene) -> list[str]:
    """Add the clipboard's layers (shifted a little) and select them; returns their ids."""
    if not can_paste():
        return []
    text = bytes(QGuiApplication.clipboard().mimeData().data(DESIGN_MIME)).decode("utf-8")
    return insert(scene, design_mod.from_json(text), "Paste")


def duplicate_selection(scene: CanvasScene) -> list[str]:
    ids = scene.selected_layer_ids()
    if not ids:
        return []
    return insert(scene, design_mod.snapshot(scene.graph, ids), "Duplicate")


def insert(scene: CanvasScene, design: dict, text: str) -> list[str]:
    missing = design_mod.required_types(design)
    if missing:
        scene.connection_refused.emit(f"cannot {text.lower()}: unknown layer types {', '.join(missing)}")
        return []
    command = InsertDesignCommand(scene.graph, design, (PASTE_OFFSET, PASTE_OFFSET), text)
    scene.push(command)
    if scene.locked:
        return []
    scene.select_layers(command.new_ids)
    return command.new_ids


def add_after_selection(scene: CanvasScene, type_name: str, fallback_pos: tuple[float, float]) -> str | None:
    """Add ``type_name`` to the right of the selected layer, connected to it (or at ``fallback_pos``)."""
    ids = scene.selected_layer_ids()
    if not scene.editable():
        return None
    takes_input = registry.get(type_name).max_inputs > 0
    if len(ids) == 1 and takes_input:
        pos = scene.graph.meta(ids[0]).get("pos", (0.0, 0.0))
        command = AddAfterCommand(scene.graph, type_name, ids[0], (pos[0] + layout.COLUMN_GAP, pos[1]))
        scene.push(command)
        new_id = command.add.layer_id
    else:
        command = AddLayerCommand(scene.graph, type_name,
                                  pos=(fallback_pos[0] - WIDTH / 2, fallback_pos[1] - HEIGHT / 2))
        scene.push(command)
        new_id = command.layer_id
    scene.select_layers([new_id])
    return new_id


def auto_arrange(scene: CanvasScene, direction: str = "horizontal") -> bool:
    """Lay every layer out in columns (or rows) by depth, as one undo step."""
    graph = scene.graph
    moves = {}
    for layer_id, new in layout.arrange(graph, direction).items():
        old = tuple(graph.meta(layer_id).get("pos", (0.0, 0.0)))
        if tuple(new) != old:
            moves[layer_id] = (old, new)
    if not moves:
        return False
    scene.push(MoveLayersCommand(graph, moves, "Auto-arrange"))
    return True
