"""The NeuroCanvas design format: plain-data snapshots of (part of) a graph, for the clipboard, the starter
designs and the JSON design file (``.ncd``: layers, configs, links and canvas positions, no weights).

A design is a dict ``{"layers": [{"id", "type", "name", "config", "meta"}], "links": [[source, target, slot]]}``
with JSON-friendly values (tuples become lists). :func:`snapshot` takes one from a graph and
:func:`add_design` puts one back, renaming layers whose names are taken; :func:`read_design` and
:func:`write_design` read and write the ``.ncd`` file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from core.errors import ModelFileError
from core.graph import Graph
from core.layers import registry

FORMAT = "neurocanvas-design"
SUFFIX = ".ncd"


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, so the value survives JSON."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(graph: Graph, layer_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """The layers ``layer_ids`` (all by default, in graph order) and the links among them."""
    wanted = set(graph.layer_ids if layer_ids is None else layer_ids)
    ids = [i for i in graph.layer_ids if i in wanted]
    layers = []
    for layer_id in ids:
        layer = graph.layer(layer_id)
        layers.append({"id": layer_id, "type": layer.type_name, "name": layer.name,
                       "config": _plain(layer.get_config()), "meta": _plain(graph.meta(layer_id))})
    links = [[l.source, l.target, l.slot] for l in graph.links if l.source in wanted and l.target in wanted]
    return {"format": FORMAT, "version": 1, "layers": layers, "links": links}


def required_types(design: dict[str, Any]) -> list[str]:
    """The layer types a design uses that the registry does not know (empty when it can be opened)."""
    known = set(registry.all_types())
    return sorted({spec["type"] for spec in design["layers"]} - known)


MAX_BYTES = 64 << 20  # a design of 10,000 layers is a few megabytes


def check_design(design: Any) -> None:
    """Refuse, with a ValueError that says where, a design whose parts are not of the kinds :func:`add_design`
    takes (a design file, the clipboard and a recovery file are all someone else's text)."""
    if not isinstance(design, dict):
        raise ValueError("a design is an object with 'layers' and 'links'")
    layers, links = design.get("layers"), design.get("links", [])
    if not isinstance(layers, list) or not isinstance(links, list):
        raise ValueError("a design's 'layers' and 'links' must be lists")
    ids = set()
    for k, spec in enumerate(layers):
        if not isinstance(spec, dict) or not isinstance(spec.get("id"), str) or not isinstance(spec.get("type"), str):
            raise ValueError(f"layer {k} of the design needs a text 'id' and 'type'")
        if not isinstance(spec.get("name"), (str, type(None))):
            raise ValueError(f"layer {k} of the design has a name that is not text")
        for key in ("config", "meta"):
            if not isinstance(spec.get(key) or {}, dict):
                raise ValueError(f"layer {k} of the design has a '{key}' that is not an object")
        pos = (spec.get("meta") or {}).get("pos")
        if pos is not None and not (isinstance(pos, (list, tuple)) and len(pos) == 2
                                    and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                            and abs(v) < 1e9 for v in pos)):
            raise ValueError(f"layer {k} of the design has a canvas position that is not two numbers")
        ids.add(spec["id"])
    for k, link in enumerate(links):
        if not (isinstance(link, (list, tuple)) and len(link) == 3 and link[0] in ids and link[1] in ids
                and isinstance(link[2], int) and not isinstance(link[2], bool) and 0 <= link[2] < 1024):
            raise ValueError(f"link {k} of the design is not [source id, target id, input slot] of its layers")


def add_design(graph: Graph, design: dict[str, Any], offset: tuple[float, float] = (0.0, 0.0),
               keep_ids: dict[str, str] | None = None) -> dict[str, str]:
    """Add every layer and link of ``design`` to ``graph``; returns ``{design id: new graph id}``.

    ``keep_ids`` (a previous result) makes a redo reuse the ids and names of the first run. A design of the
    wrong shape is refused (:func:`check_design`) before anything is added.
    """
    check_design(design)
    mapping: dict[str, str] = {}
    for spec in design["layers"]:
        meta = dict(spec.get("meta") or {})
        if "pos" in meta:
            meta["pos"] = (float(meta["pos"][0]) + offset[0], float(meta["pos"][1]) + offset[1])
        want_id = (keep_ids or {}).get(spec["id"])
        name = spec.get("name")
        if name is None or _name_taken(graph, name):
            name = graph.unique_name(name or registry.get(spec["type"]).base_name())
        mapping[spec["id"]] = graph.add_layer(spec["type"], dict(spec.get("config") or {}), name=name,
                                              layer_id=want_id, meta=meta)
    for source, target, slot in design["links"]:
        graph.connect(mapping[source], mapping[target], slot)
    return mapping


def _name_taken(graph: Graph, name: str) -> bool:
    try:
        graph.id_of(name)
    except Exception:
        return False
    return True


def to_json(design: dict[str, Any]) -> str:
    return json.dumps(design, indent=1)


def from_json(text: str) -> dict[str, Any]:
    """Parse a design; a ValueError says what is wrong with the text."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("this is not a NeuroCanvas design (missing the 'neurocanvas-design' marker)")
    return data


def read_design(path: str | os.PathLike) -> Graph:
    """The graph of a ``.ncd`` design file; a ModelFileError says why it cannot be read."""
    from core.errors import NeuroCanvasError
    try:
        design = from_json(_read_text(path))
        graph = Graph()
        add_design(graph, design)
    except RecursionError:
        raise ModelFileError(f"cannot read {os.fspath(path)}: its JSON is nested too deeply") from None
    except (OSError, ValueError, KeyError, TypeError, NeuroCanvasError) as exc:
        raise ModelFileError(f"cannot read {os.fspath(path)}: {_short(exc)}") from None
    return graph


def _read_text(path: str | os.PathLike) -> str:
    """A regular file's text, at most :data:`MAX_BYTES` (a FIFO or a device is refused, not read forever)."""
    import stat
    with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        if info.st_size > MAX_BYTES:
            raise ValueError(f"it is {info.st_size:,} bytes; a design file is at most {MAX_BYTES:,}")
        return f.read(MAX_BYTES + 1).decode("utf-8")


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[:limit] + "…"


def write_design(graph: Graph, path: str | os.PathLike) -> None:
    """Write ``graph`` as a ``.ncd`` design file (layers, configs, links and canvas positions; no weights)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:  # atomically: a failed write leaves the previous file as it was
        tmp.write_text(to_json(snapshot(graph)), encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelFileError(f"cannot write {os.fspath(path)}: {exc}") from exc
