"""Undoing a deletion is an exact inverse: layer order (outputs, Keras layer list), links and their slots,
configs, names and canvas positions come back as they were, and redo removes the same things again."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from app.undo_commands import remove_layers
from core import Concatenate, Dense, InputLayer
from core.graph import Graph
from core.io.keras_model import model_config_from_graph


def build_multi_output(g: Graph) -> dict[str, str]:
    """input → trunk → (a, concat(b, trunk), c): three outputs, one merge fed in two slots; returns the ids."""
    ids = {"input": g.add_layer(InputLayer(shape=(4,)), meta={"pos": (0.0, 0.0)})}
    for i, (key, layer) in enumerate([("trunk", Dense(8)), ("a", Dense(2, activation="relu")), ("b", Dense(3)),
                                      ("concat", Concatenate()), ("c", Dense(4))]):
        ids[key] = g.add_layer(layer, meta={"pos": (100.0 * i, 10.0 * i)})
    for source, target in [("input", "trunk"), ("trunk", "a"), ("trunk", "b"), ("b", "concat"),
                           ("trunk", "concat"), ("trunk", "c")]:
        g.connect(ids[source], ids[target])
    return ids


def multi_output_graph() -> tuple[Graph, dict[str, str]]:
    graph = Graph()
    return graph, build_multi_output(graph)


def state(graph: Graph) -> dict:
    ids = graph.layer_ids
    return {"ids": ids, "links": graph.links, "outputs": graph.output_layers(),
            "keras": model_config_from_graph(graph, "model"),
            "layers": {i: (graph.layer(i).name, graph.layer(i).config) for i in ids},
            "meta": {i: graph.meta(i) for i in ids}}


@pytest.mark.parametrize("doomed", [["a"], ["b"], ["trunk"], ["a", "c"], ["c", "b", "a"]])
def test_undo_of_deleting_layers_restores_the_design_exactly(qapp, doomed):
    graph, ids = multi_output_graph()
    before = state(graph)
    stack = QUndoStack()
    stack.push(remove_layers(graph, [ids[k] for k in doomed]))
    after = state(graph)
    assert not any(ids[k] in graph for k in doomed)
    for _ in range(2):
        stack.undo()
        assert state(graph) == before
        stack.redo()
        assert state(graph) == after


def test_undo_of_deleting_layers_and_a_link_in_one_step(qapp):
    graph, ids = multi_output_graph()
    before = state(graph)
    link = next(l for l in graph.links if l.target == ids["concat"] and l.source == ids["trunk"])
    stack = QUndoStack()
    stack.push(remove_layers(graph, [ids["a"], ids["b"]], [link]))
    assert link not in graph.links and ids["concat"] in graph
    stack.undo()
    assert state(graph) == before
    assert graph.inputs_of(ids["concat"]) == [ids["b"], ids["trunk"]]


@pytest.mark.parametrize("action", ["delete", "cut"])
def test_deleting_or_cutting_on_the_canvas_undoes_in_place(window, action):
    graph = window.document.graph
    ids = build_multi_output(graph)
    scene = window.scene
    before, items, links = state(graph), set(scene.items_by_id), set(scene.links)
    scene.select_layers([ids["b"], ids["a"]])
    window.actions_by_name[action].trigger()
    assert ids["a"] not in graph and ids["b"] not in graph and ids["a"] not in scene.items_by_id
    window.document.undo_stack.undo()
    assert state(graph) == before
    assert set(scene.items_by_id) == items and set(scene.links) == links
    assert scene.items_by_id[ids["a"]].pos().x() == graph.meta(ids["a"])["pos"][0]


def test_the_history_names_what_a_deletion_removed_in_words(qapp):
    graph, ids = multi_output_graph()
    link = next(l for l in graph.links if l.target == ids["concat"] and l.source == ids["trunk"])
    assert remove_layers(graph, [], [link]).text() == "Delete 1 link"  # was "Delete 0 layer(s) and 1 link(s)"
    assert remove_layers(graph, [ids["a"], ids["b"]], [link]).text() == "Delete 2 layers and 1 link"
    assert remove_layers(graph, [ids["a"], ids["b"]]).text() == "Delete 2 layers"
    assert remove_layers(graph, [ids["a"]]).text() == f"Delete {graph.layer(ids['a']).name}"
