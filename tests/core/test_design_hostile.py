"""A ``.ncd`` design file is someone else's text: every malformed one is refused with a ModelFileError that says
why, before anything is added, and nothing but a regular file of a sane size is read."""

from __future__ import annotations

import json
import os

import pytest

from core.errors import ModelFileError
from core.graph import Graph
from core.io import design as design_mod


def _good():
    graph = Graph()
    a = graph.add_layer("InputLayer", {"shape": (2,)}, meta={"pos": (0.0, 0.0)})
    b = graph.add_layer("Dense", {"units": 3})
    graph.connect(a, b, 0)
    return design_mod.snapshot(graph)


def _write(tmp_path, data, name="d.ncd"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _mutations():
    yield "not an object", [1, 2]
    yield "no marker", {"layers": []}
    for key, value in (("layers", "x"), ("links", {"a": 1})):
        yield f"{key} of the wrong kind", {**_good(), key: value}
    good = _good()
    first = good["layers"][0]
    for key, value in (("id", 3), ("type", None), ("name", 5), ("config", [1]), ("meta", "m")):
        yield f"layer {key} {value!r}", {**good, "layers": [{**first, key: value}, *good["layers"][1:]]}
    for pos in (["a", 0], [1], [float("inf"), 0], [True, 0], [1e300, 0]):
        yield f"position {pos}", {**good, "layers": [{**first, "meta": {"pos": pos}}, *good["layers"][1:]]}
    source, target = good["layers"][0]["id"], good["layers"][1]["id"]
    for link in ([source, "nobody", 0], [source, target, -1], [source, target, "0"], [source, target], 7,
                 [source, target, 10**9]):
        yield f"link {link}", {**good, "links": [link]}
    yield "unknown layer type", {**good, "layers": [{**first, "type": "NoSuchLayer"}]}
    yield "config refused", {**good, "layers": [first, {**good["layers"][1], "config": {"units": -4}}]}
    yield "unknown option", {**good, "layers": [first, {**good["layers"][1], "config": {"colour": 1}}]}
    yield "a link cycle", {**good, "links": [*good["links"], [target, target, 0]]}


@pytest.mark.parametrize("what,data", list(_mutations()), ids=[w for w, _ in _mutations()])
def test_malformed_designs_are_refused_with_a_reason(tmp_path, what, data):
    with pytest.raises(ModelFileError, match="cannot read"):
        design_mod.read_design(_write(tmp_path, data))


def test_deep_nesting_binary_and_huge_files_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ModelFileError, match="nested too deeply"):
        design_mod.read_design(_write(tmp_path, "[" * 200_000 + "]" * 200_000))
    (tmp_path / "bin.ncd").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelFileError):
        design_mod.read_design(tmp_path / "bin.ncd")
    monkeypatch.setattr(design_mod, "MAX_BYTES", 100)
    with pytest.raises(ModelFileError, match="at most 100"):
        design_mod.read_design(_write(tmp_path, _good()))


def test_a_fifo_or_a_device_is_not_read(tmp_path):
    fifo = tmp_path / "pipe.ncd"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match="not a regular file"):
        design_mod.read_design(fifo)  # returns at once: nobody writes to the pipe
    with pytest.raises(ModelFileError, match="not a regular file"):
        design_mod.read_design("/dev/zero")


def test_a_long_value_is_quoted_short(tmp_path):
    good = _good()
    good["layers"][1]["config"] = {"units": "9" * 100_000}
    with pytest.raises(ModelFileError) as caught:
        design_mod.read_design(_write(tmp_path, good))
    assert len(str(caught.value)) < 1000


def test_a_good_design_still_round_trips_and_writes_atomically(tmp_path, monkeypatch):
    graph = design_mod.read_design(_write(tmp_path, _good()))
    assert len(graph) == 2 and len(graph.links) == 1
    design_mod.write_design(graph, tmp_path / "out.ncd")
    before = (tmp_path / "out.ncd").read_text()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ModelFileError):
        design_mod.write_design(graph, tmp_path / "out.ncd")
    assert (tmp_path / "out.ncd").read_text() == before and not list(tmp_path.glob(".*.tmp"))
