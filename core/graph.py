"""The layer graph: layers and directed links, a DAG.

``Graph`` is the one representation of a network that the canvas, the Python API, the file formats and the engine
share. It refuses an illegal edit before changing anything (``CycleError``, ``GraphError``) and announces every
change through plain-Python events, so views follow the model without Qt in here.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import Any, Iterable

from core.errors import CycleError, GraphError
from core.events import Event
from core.layers import registry
from core.layers.base import Layer


@dataclass(frozen=True, order=True)
class Link:
    """``source``'s output feeds input ``slot`` of ``target`` (ids, not names)."""

    source: str
    target: str
    slot: int = 0


class GraphEvents:
    """The events a graph emits. Each passes the layer id (or the Link) concerned."""

    def __init__(self) -> None:
        self.layer_added = Event()  # (layer_id)
        self.layer_removed = Event()  # (layer_id)
        self.link_added = Event()  # (link)
        self.link_removed = Event()  # (link)
        self.config_changed = Event()  # (layer_id)
        self.layer_renamed = Event()  # (layer_id, old_name, new_name)
        self.meta_changed = Event()  # (layer_id)


class Graph:
    """A DAG of layers. Layer ids are stable across renames; names are unique, as Keras requires."""

    def __init__(self) -> None:
        self._layers: dict[str, Layer] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._links: set[Link] = set()
        # Indexes of the above, so that no query scans every layer or link (a network of 10,000 layers loads in
        # seconds): links by target and by source, ids by name, and positions (rebuilt after an insertion).
        self._into: dict[str, list[Link]] = {}
        self._out_of: dict[str, list[Link]] = {}
        self._by_name: dict[str, str] = {}
        self._position: dict[str, int] | None = {}
        self._next_suffix: dict[str, int] = {}  # where unique_name's search for a free ``base_N`` starts
        self._ids = itertools.count(1)
        self.events = GraphEvents()

    # -- queries -------------------------------------------------------------------------------------------
    @property
    def layer_ids(self) -> list[str]:
        return list(self._layers)

    @property
    def links(self) -> list[Link]:
        index = self._positions()
        return sorted(self._links, key=lambda l: (index[l.target], l.slot))

    def layer(self, layer_id: str) -> Layer:
        try:
            return self._layers[layer_id]
        except KeyError:
            raise GraphError(f"no layer with id {layer_id!r} in this network") from None

    def index_of(self, layer_id: str) -> int:
        """Position of ``layer_id`` in the layer order (what ``add_layer(..., index=)`` puts back)."""
        self.layer(layer_id)
        return self._positions()[layer_id]

    def __contains__(self, layer_id: str) -> bool:
        return layer_id in self._layers

    def __len__(self) -> int:
        return len(self._layers)

    def id_of(self, name: str) -> str:
        layer_id = self._by_name.get(name)
        if layer_id is not None and self._layers[layer_id].name == name:
            return layer_id
        raise GraphError(f"no layer named {name!r} in this network")

    def meta(self, layer_id: str) -> dict[str, Any]:
        """Free-form data of a layer kept with the design (e.g. its canvas position); a copy."""
        self.layer(layer_id)
        return dict(self._meta[layer_id])

    def inputs_of(self, layer_id: str) -> list[str]:
        """Source ids feeding ``layer_id``, by slot."""
        return [l.source for l in sorted(self._into.get(layer_id, ()), key=lambda l: l.slot)]

    def consumers_of(self, layer_id: str) -> list[str]:
        index = self._positions()
        return [l.target for l in sorted(self._out_of.get(layer_id, ()), key=lambda l: (index[l.target], l.slot))]

    def input_layers(self) -> list[str]:
        return [i for i, layer in self._layers.items() if layer.type_name == "InputLayer"]

    def output_layers(self) -> list[str]:
        """Layers nothing consumes (the network's outputs), in insertion order."""
        return [i for i, layer in self._layers.items() if not self._out_of.get(i) and layer.type_name != "InputLayer"]

    def topological_order(self) -> list[str]:
        """Every layer id, each after all its sources; ties keep insertion order (Keras's layer order)."""
        index = self._positions()
        indegree = {i: len(self._into.get(i, ())) for i in self._layers}
        ready = [index[i] for i, d in indegree.items() if d == 0]
        ids = list(self._layers)
        order: list[str] = []
        heapq.heapify(ready)
        while ready:
            current = ids[heapq.heappop(ready)]
            order.append(current)
            for link in self._out_of.get(current, ()):
                indegree[link.target] -= 1
                if indegree[link.target] == 0:
                    heapq.heappush(ready, index[link.target])
        return order

    def _positions(self) -> dict[str, int]:
        """Insertion position of every layer id (ties in the topological order keep this order); kept between
        calls, rebuilt after an insertion or a removal before the end."""
        if self._position is None:
            self._position = {layer_id: i for i, layer_id in enumerate(self._layers)}
        return self._position

    # -- edits ---------------------------------------------------------------------------------------------
    def add_layer(self, layer: Layer | str, config: dict[str, Any] | None = None, *, name: str | None = None,
                  layer_id: str | None = None, meta: dict[str, Any] | None = None,
                  index: int | None = None) -> str:
        """Add a layer (an instance, or a type name plus config); returns its id.

        The layer goes last in the layer order, or at position ``index`` (as ``list.insert``): the order decides
        ties in ``topological_order`` and the order of ``output_layers``, so undoing a removal puts it back.
        """
        if index is not None and not 0 <= index <= len(self._layers):
            raise GraphError(f"no position {index} in a network of {len(self._layers)} layers")
        if isinstance(layer, str):
            layer = registry.get(layer).from_config(config or {}, name=name)
        elif config:
            raise GraphError("give a config only with a layer type name")
        if layer.name is not None and self._layers.get(self._by_name.get(layer.name, "")) is layer:
            raise GraphError(f"layer {layer.name!r} is already in this network: create a new layer instead")
        if name is not None:
            layer.name = name
        if layer.name is None:
            layer.name = self.unique_name(layer.base_name())
        elif self._name_taken(layer.name):
            raise GraphError(f"a layer named {layer.name!r} already exists: choose another name")
        if layer_id is None or layer_id in self._layers:
            layer_id = self._new_id()
        self._insert(layer_id, layer, dict(meta or {}), len(self._layers) if index is None else index)
        self.events.layer_added.emit(layer_id)
        return layer_id

    def remove_layer(self, layer_id: str) -> None:
        """Remove a layer and every link to or from it (each link removal is announced first)."""
        layer = self.layer(layer_id)
        index = self._positions()
        for link in sorted({*self._into.get(layer_id, ()), *self._out_of.get(layer_id, ())},
                           key=lambda l: (index[l.target], l.slot)):
            self.disconnect(link)
        del self._layers[layer_id]
        del self._meta[layer_id]
        self._into.pop(layer_id, None)
        self._out_of.pop(layer_id, None)
        if self._by_name.get(layer.name) == layer_id:
            del self._by_name[layer.name]
        self._position, self._next_suffix = None, {}  # later layers move up; a freed name may be taken again
        self.events.layer_removed.emit(layer_id)

    def check_connect(self, source: str, target: str, slot: int | None = None) -> Link:
        """The link ``connect`` would add, or the error it would raise; changes nothing."""
        src, dst = self.layer(source), self.layer(target)
        if dst.max_inputs == 0:
            raise GraphError(f"{dst.type_name} '{dst.name}' is a network input and takes no inputs")
        if source == target:
            raise CycleError(f"'{src.name}' cannot feed itself")
        if self._reaches(target, source):
            raise CycleError(f"connecting '{src.name}' to '{dst.name}' would make a cycle: "
                             f"'{dst.name}' already feeds '{src.name}'")
        taken = self._into.get(target, [])
        if any(l.source == source for l in taken):
            raise GraphError(f"'{src.name}' already feeds '{dst.name}'")
        if slot is None:
            used = {l.slot for l in taken}
            slot = next(i for i in itertools.count() if i not in used)
        if slot < 0 or slot >= dst.max_inputs:
            if taken and dst.max_inputs == 1:
                raise GraphError(f"{dst.type_name} '{dst.name}' takes one input and is already fed by "
                                 f"'{self._layers[taken[0].source].name}': disconnect that link first, or combine "
                                 "the inputs with a merge layer (Add, Concatenate)")
            raise GraphError(f"{dst.type_name} '{dst.name}' has no input slot {slot}")
        if any(l.slot == slot for l in taken):
            raise GraphError(f"input {slot} of '{dst.name}' is already connected")
        return Link(source, target, slot)

    def connect(self, source: str, target: str, slot: int | None = None) -> Link:
        """Link ``source``'s output to an input slot of ``target`` (the first free one by default)."""
        link = self.check_connect(source, target, slot)
        self._links.add(link)
        self._into.setdefault(link.target, []).append(link)
        self._out_of.setdefault(link.source, []).append(link)
        self.events.link_added.emit(link)
        return link

    def disconnect(self, link: Link) -> None:
        if link not in self._links:
            raise GraphError(f"there is no link {link}")
        self._links.remove(link)
        self._into[link.target].remove(link)
        self._out_of[link.source].remove(link)
        self.events.link_removed.emit(link)

    def rename(self, layer_id: str, new_name: str) -> None:
        layer = self.layer(layer_id)
        if not new_name or not isinstance(new_name, str):
            raise GraphError("a layer name cannot be empty")
        if new_name != layer.name and self._name_taken(new_name):
            raise GraphError(f"a layer named {new_name!r} already exists: choose another name")
        old, layer.name = layer.name, new_name
        if self._by_name.get(old) == layer_id:
            del self._by_name[old]
        self._by_name[new_name] = layer_id
        self._next_suffix = {}
        self.events.layer_renamed.emit(layer_id, old, new_name)

    def set_config(self, layer_id: str, changes: dict[str, Any]) -> None:
        """Change some parameters of a layer; the whole new config is validated before anything changes."""
        old = self.layer(layer_id)
        self._layers[layer_id] = old.with_config(changes)
        self.events.config_changed.emit(layer_id)

    def set_meta(self, layer_id: str, **values: Any) -> None:
        self.layer(layer_id)
        self._meta[layer_id].update(values)
        self.events.meta_changed.emit(layer_id)

    # -- helpers -------------------------------------------------------------------------------------------
    def unique_name(self, base: str) -> str:
        """``base`` if free, else the first free of ``base_1``, ``base_2``, ... as Keras names layers."""
        if not self._name_taken(base):
            return base
        # The search goes on from where the last one for this base ended (names below it were taken then, and a
        # removal or rename, which could free one, starts every search from 1 again).
        start = self._next_suffix.get(base, 1)
        suffix = next(i for i in itertools.count(start) if not self._name_taken(f"{base}_{i}"))
        self._next_suffix[base] = suffix + 1
        return f"{base}_{suffix}"

    def _name_taken(self, name: str) -> bool:
        layer_id = self._by_name.get(name)
        return layer_id is not None and self._layers[layer_id].name == name

    def _insert(self, layer_id: str, layer: Layer, meta: dict[str, Any], index: int) -> None:
        if index == len(self._layers):
            self._layers[layer_id] = layer
            if self._position is not None:
                self._position[layer_id] = index
        else:
            items = list(self._layers.items())
            items.insert(index, (layer_id, layer))
            self._layers = dict(items)
            self._position = None
        self._meta[layer_id] = meta
        self._by_name[layer.name] = layer_id

    def _new_id(self) -> str:
        return next(f"L{i}" for i in self._ids if f"L{i}" not in self._layers)

    def _reaches(self, start: str, goal: str) -> bool:
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(l.target for l in self._out_of.get(node, ()))
        return False

    # -- building ------------------------------------------------------------------------------------------
    @classmethod
    def chain(cls, layers: Iterable[Layer]) -> "Graph":
        """A graph in which each layer feeds the next."""
        graph = cls()
        previous = None
        for layer in layers:
            current = graph.add_layer(layer)
            if previous is not None:
                graph.connect(previous, current)
            previous = current
        return graph

    def is_chain(self) -> bool:
        """True when the layers form one line from a single input (a Keras Sequential model)."""
        order = self.topological_order()
        return (len(self.input_layers()) == 1 and len(self._links) == len(order) - 1
                and all(self.inputs_of(b) == [a] for a, b in zip(order, order[1:])))
