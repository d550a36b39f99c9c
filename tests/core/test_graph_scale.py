"""Long networks: graph queries read indexes instead of scanning every link, so building, shape inference and
saving stay linear in the number of layers; the indexes agree with the links after every kind of edit."""

from __future__ import annotations

import numpy as np
import pytest

import core
from core.api import Sequential, load_model, save_model
from core.engine import build
from core.graph import Graph
from core.layers.core import InputLayer
from core.shapes import infer_shapes


class CountingSet(set):
    """A set that counts how often all of it is walked."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def _chain(n: int, counting: bool = False) -> Graph:
    graph = Graph()
    if counting:
        CountingSet.walks = 0
        graph._links = CountingSet()
    previous = graph.add_layer(InputLayer(shape=(3,)))
    for _ in range(n):
        current = graph.add_layer("Dense", {"units": 3})
        graph.connect(previous, current)
        previous = current
    return graph


def test_building_a_long_chain_walks_the_links_a_bounded_number_of_times():
    graph = _chain(2000, counting=True)
    status = infer_shapes(graph)
    assert all(s.ok for s in status.values())
    assert graph.is_chain() and len(graph.output_layers()) == 1
    network = build(graph)
    assert len(network.order) == 2001
    assert CountingSet.walks <= 5  # was one walk per connect, per inputs_of and per output query: thousands


def test_ten_thousand_layers_build_and_infer_shapes():
    graph = _chain(10_000)
    order = graph.topological_order()
    assert len(order) == 10_001 and order == graph.layer_ids
    assert graph.layer(order[-1]).name == "dense_9999"  # Keras's names, found without trying every suffix
    assert infer_shapes(graph)[order[-1]].output_shape == (3,)
    assert graph.is_chain()


def test_a_long_chain_saves_and_loads(tmp_path):
    model = Sequential.from_graph(_chain(300))
    save_model(model, tmp_path / "long.h5")
    loaded = load_model(tmp_path / "long.h5")
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))


def _brute_force(graph: Graph) -> dict:
    """What every query must answer, computed from the links alone."""
    links, ids = graph.links, graph.layer_ids
    return {"inputs": {i: [l.source for l in sorted((l for l in links if l.target == i), key=lambda l: l.slot)]
                       for i in ids},
            "consumers": {i: [l.target for l in links if l.source == i] for i in ids},
            "outputs": [i for i in ids if not any(l.source == i for l in links)
                        and graph.layer(i).type_name != "InputLayer"],
            "names": {graph.layer(i).name: i for i in ids}}


def _answers(graph: Graph) -> dict:
    ids = graph.layer_ids
    return {"inputs": {i: graph.inputs_of(i) for i in ids}, "consumers": {i: graph.consumers_of(i) for i in ids},
            "outputs": graph.output_layers(), "names": {graph.layer(i).name: graph.id_of(graph.layer(i).name)
                                                        for i in ids}}


def test_the_indexes_follow_every_edit():
    graph = Graph()
    inp = graph.add_layer(InputLayer(shape=(4,)))
    a, b = graph.add_layer("Dense", {"units": 4}), graph.add_layer("Dense", {"units": 4})
    merge = graph.add_layer("Add")
    for source, target in ((inp, a), (inp, b), (a, merge), (b, merge)):
        graph.connect(source, target)
    assert _answers(graph) == _brute_force(graph)
    graph.rename(a, "left")
    assert graph.id_of("left") == a and _answers(graph) == _brute_force(graph)
    with pytest.raises(core.GraphError):
        graph.id_of("dense")
    graph.disconnect(next(l for l in graph.links if l.source == b))
    assert _answers(graph) == _brute_force(graph)
    middle = graph.add_layer("Dense", {"units": 4}, index=1)  # an insertion moves the later positions
    assert graph.index_of(middle) == 1 and graph.index_of(merge) == 4
    graph.connect(middle, merge)
    assert _answers(graph) == _brute_force(graph)
    index = graph.index_of(b)
    graph.remove_layer(b)
    assert b not in graph and _answers(graph) == _brute_force(graph)
    assert graph.index_of(merge) == 3
    graph.set_config(middle, {"units": 4, "activation": "relu"})
    assert _answers(graph) == _brute_force(graph)
    assert index == 3


def test_unique_names_reuse_a_freed_name_as_before():
    graph = _chain(3)
    names = [graph.layer(i).name for i in graph.layer_ids]
    assert names == ["input_layer", "dense", "dense_1", "dense_2"]
    graph.remove_layer(graph.id_of("dense_1"))
    assert graph.layer(graph.add_layer("Dense", {"units": 3})).name == "dense_1"
    assert graph.layer(graph.add_layer("Dense", {"units": 3})).name == "dense_3"
    graph.rename(graph.id_of("dense_2"), "renamed")
    assert graph.layer(graph.add_layer("Dense", {"units": 3})).name == "dense_2"
    with pytest.raises(core.GraphError, match="already exists"):
        graph.add_layer("Dense", {"units": 3}, name="renamed")
    layer = graph.layer(graph.id_of("dense"))
    with pytest.raises(core.GraphError, match="already in this network"):
        graph.add_layer(layer)
