"""Every edit of a design as a small ``QUndoCommand`` that calls ``Graph`` methods only.

Compound edits (deleting layers with their links, pasting, auto-arranging, a template) are one command each, so
one undo reverts them whole.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from core.graph import Graph, Link
from core.io import design as design_mod


class AddLayerCommand(QUndoCommand):
    """Add one layer of a registered type at a canvas position."""

    def __init__(self, graph: Graph, type_name: str, config: dict[str, Any] | None = None,
                 pos: tuple[float, float] = (0.0, 0.0), name: str | None = None):
        super().__init__(f"Add {type_name}")
        self.graph, self.type_name, self.config, self.pos, self.name = graph, type_name, config or {}, pos, name
        self.layer_id: str | None = None

    def redo(self) -> None:
        self.layer_id = self.graph.add_layer(self.type_name, dict(self.config), name=self.name,
                                             layer_id=self.layer_id, meta={"pos": tuple(self.pos)})
        self.name = self.graph.layer(self.layer_id).name

    def undo(self) -> None:
        self.graph.remove_layer(self.layer_id)


class AddAfterCommand(QUndoCommand):
    """Add a layer and connect ``source``'s output to it (double-click in the library)."""

    def __init__(self, graph: Graph, type_name: str, source: str, pos: tuple[float, float]):
        super().__init__(f"Add {type_name} after {graph.layer(source).name}")
        self.add = AddLayerCommand(graph, type_name, pos=pos)
        self.graph, self.source = graph, source

    def redo(self) -> None:
        self.add.redo()
        try:
            self.graph.connect(self.source, self.add.layer_id)
        except Exception:
            self.add.undo()
            raise

    def undo(self) -> None:
        self.add.undo()


class InsertOnLinkCommand(QUndoCommand):
    """Add a layer on an existing link ``source → target``: the link becomes ``source → new → target`` (the new
    layer takes the link's input slot of ``target``), as one step (a drop from the library onto a link)."""

    def __init__(self, graph: Graph, type_name: str, link: Link, pos: tuple[float, float]):
        super().__init__(f"Insert {type_name} between {graph.layer(link.source).name} and "
                         f"{graph.layer(link.target).name}")
        self.add = AddLayerCommand(graph, type_name, pos=pos)
        self.graph, self.link = graph, link

    @property
    def layer_id(self) -> str | None:
        return self.add.layer_id

    def redo(self) -> None:
        self.add.redo()
        self.graph.disconnect(self.link)
        self.graph.connect(self.link.source, self.add.layer_id)
        self.graph.connect(self.add.layer_id, self.link.target, self.link.slot)

    def undo(self) -> None:
        self.add.undo()  # removing the new layer removes its two links
        self.graph.connect(self.link.source, self.link.target, self.link.slot)


class RemoveLayerCommand(QUndoCommand):
    """Remove one layer (its links must be gone already: see :func:`remove_layers`).

    Undo puts the layer back at its old position in the layer order, which decides the order of the network's
    outputs and of the Keras layer list.
    """

    def __init__(self, graph: Graph, layer_id: str):
        super().__init__(f"Delete {graph.layer(layer_id).name}")
        self.graph, self.layer_id = graph, layer_id
        self.layer = graph.layer(layer_id)
        self.meta = graph.meta(layer_id)
        self.index = graph.index_of(layer_id)

    def redo(self) -> None:
        self.layer = self.graph.layer(self.layer_id)
        self.meta = self.graph.meta(self.layer_id)
        self.index = self.graph.index_of(self.layer_id)
        self.graph.remove_layer(self.layer_id)

    def undo(self) -> None:
        self.graph.add_layer(self.layer, layer_id=self.layer_id, meta=self.meta, index=self.index)


class ConnectCommand(QUndoCommand):
    """Link ``source``'s output to an input slot of ``target`` (the first free one unless given)."""

    def __init__(self, graph: Graph, source: str, target: str, slot: int | None = None):
        super().__init__(f"Connect {graph.layer(source).name} → {graph.layer(target).name}")
        self.graph, self.source, self.target, self.slot = graph, source, target, slot

    def redo(self) -> None:
        link = self.graph.connect(self.source, self.target, self.slot)
        self.slot = link.slot

    def undo(self) -> None:
        self.graph.disconnect(Link(self.source, self.target, self.slot))


class DisconnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, link: Link):
        super().__init__(f"Disconnect {graph.layer(link.source).name} → {graph.layer(link.target).name}")
        self.graph, self.link = graph, link

    def redo(self) -> None:
        self.graph.disconnect(self.link)

    def undo(self) -> None:
        self.graph.connect(self.link.source, self.link.target, self.link.slot)


class MacroCommand(QUndoCommand):
    """Several commands as one step: redone in order, undone in reverse.

    The children are kept in a Python list rather than given a Qt parent, so their Python side lives as long as
    the macro does.
    """

    def __init__(self, text: str, children: list[QUndoCommand]):
        super().__init__(text)
        self.children = list(children)

    def redo(self) -> None:
        for child in self.children:
            child.redo()

    def undo(self) -> None:
        for child in reversed(self.children):
            child.undo()


def _count(n: int, noun: str) -> str:
    """``"1 link"``, ``"3 links"``; empty for none."""
    return "" if n == 0 else f"{n} {noun}{'' if n == 1 else 's'}"


def remove_layers(graph: Graph, layer_ids: list[str], links: list[Link] = ()) -> MacroCommand:
    """One macro removing some links and some layers with every link touching them."""
    ids = set(layer_ids)
    if len(layer_ids) == 1 and not links:
        text = f"Delete {graph.layer(layer_ids[0]).name}"
    else:
        parts = [_count(len(layer_ids), "layer"), _count(len(links), "link")]
        text = "Delete " + " and ".join(part for part in parts if part)
    doomed = list(dict.fromkeys(list(links) + [l for l in graph.links if l.source in ids or l.target in ids]))
    children = [DisconnectCommand(graph, link) for link in doomed]
    children += [RemoveLayerCommand(graph, layer_id) for layer_id in layer_ids]
    return MacroCommand(text, children)


class SetConfigCommand(QUndoCommand):
    """Change some parameters of a layer (validated by the graph before anything changes)."""

    def __init__(self, graph: Graph, layer_id: str, changes: dict[str, Any]):
        layer = graph.layer(layer_id)
        super().__init__(f"Set {', '.join(changes)} of {layer.name}")
        self.graph, self.layer_id, self.changes = graph, layer_id, dict(changes)
        self.old = {key: layer.config[key] for key in changes}

    def redo(self) -> None:
        self.graph.set_config(self.layer_id, self.changes)

    def undo(self) -> None:
        self.graph.set_config(self.layer_id, self.old)


class RenameCommand(QUndoCommand):
    def __init__(self, graph: Graph, layer_id: str, new_name: str):
        self.old = graph.layer(layer_id).name
        super().__init__(f"Rename {self.old} to {new_name}")
        self.graph, self.layer_id, self.new = graph, layer_id, new_name

    def redo(self) -> None:
        self.graph.rename(self.layer_id, self.new)

    def undo(self) -> None:
        self.graph.rename(self.layer_id, self.old)


class MoveLayersCommand(QUndoCommand):
    """Move layers on the canvas: ``moves`` maps a layer id to ``(old position, new position)``."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                 text: str = ""):
        super().__init__(text or (f"Move {graph.layer(next(iter(moves))).name}" if len(moves) == 1
                                  else f"Move {len(moves)} layers"))
        self.graph, self.moves = graph, dict(moves)

    def redo(self) -> None:
        for layer_id, (_, new) in self.moves.items():
            self.graph.set_meta(layer_id, pos=tuple(new))

    def undo(self) -> None:
        for layer_id, (old, _) in self.moves.items():
            self.graph.set_meta(layer_id, pos=tuple(old))


class InsertDesignCommand(QUndoCommand):
    """Add a whole design (pasted layers, a duplicate, a template) as one step; its layers keep their ids on redo."""

    def __init__(self, graph: Graph, design: dict[str, Any], offset: tuple[float, float] = (0.0, 0.0),
                 text: str = "Paste"):
        super().__init__(text)
        self.graph, self.design, self.offset = graph, design, offset
        self.mapping: dict[str, str] = {}

    def redo(self) -> None:
        self.mapping = design_mod.add_design(self.graph, self.design, self.offset, keep_ids=self.mapping)

    def undo(self) -> None:
        for layer_id in reversed(list(self.mapping.values())):
            self.graph.remove_layer(layer_id)

    @property
    def new_ids(self) -> list[str]:
        return list(self.mapping.values())
