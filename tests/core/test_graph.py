"""Graph edits, cycle refusal, topological order, events, shape inference and its error texts."""

import pytest

from core import Dense, Flatten, InputLayer
from core.errors import ConfigError, CycleError, GraphError, ShapeError
from core.graph import Graph, Link
from core.layers import registry
from core.shapes import check_buildable, format_shape, infer_shapes, total_params


def chain(*layers):
    return Graph.chain(layers)


def test_add_connect_topological_order_and_names():
    g = Graph()
    a = g.add_layer("InputLayer", {"shape": (4,)})
    b = g.add_layer(Dense(3))
    c = g.add_layer(Dense(2))
    g.connect(b, c)
    g.connect(a, b)
    assert g.topological_order() == [a, b, c]
    assert [g.layer(i).name for i in (a, b, c)] == ["input_layer", "dense", "dense_1"]
    assert g.inputs_of(c) == [b] and g.consumers_of(a) == [b]
    assert g.input_layers() == [a] and g.output_layers() == [c]
    assert g.is_chain()


def test_cycle_is_refused_before_anything_changes():
    g = chain(InputLayer(shape=(4,)), Dense(3), Dense(3))
    a, b, c = g.layer_ids
    before = g.links
    with pytest.raises(CycleError, match="cycle"):
        g.connect(c, b, 1)
    with pytest.raises(CycleError):
        g.connect(b, b)
    assert g.links == before


def test_second_input_to_single_input_layer_is_refused_with_hint():
    g = chain(InputLayer(shape=(4,)), Dense(3))
    other = g.add_layer(InputLayer(shape=(4,)))
    with pytest.raises(GraphError, match="merge layer"):
        g.connect(other, g.layer_ids[1])
    with pytest.raises(GraphError, match="takes no inputs"):
        g.connect(g.layer_ids[1], other)


def test_events_and_remove_takes_links_along():
    g = chain(InputLayer(shape=(4,)), Dense(3), Dense(2))
    seen = []
    for name in ("layer_added", "layer_removed", "link_added", "link_removed", "config_changed", "layer_renamed"):
        getattr(g.events, name).connect(lambda *args, name=name: seen.append((name, args)))
    mid = g.layer_ids[1]
    g.set_config(mid, {"units": 5})
    g.rename(mid, "hidden")
    g.remove_layer(mid)
    kinds = [k for k, _ in seen]
    assert kinds == ["config_changed", "layer_renamed", "link_removed", "link_removed", "layer_removed"]
    assert g.links == []


def test_set_config_validates_and_keeps_old_on_error():
    g = chain(InputLayer(shape=(4,)), Dense(3))
    d = g.layer_ids[1]
    with pytest.raises(ConfigError, match=r"Dense: parameter 'units' must be an integer ≥ 1 and ≤ 1000000, got -2"):
        g.set_config(d, {"units": -2})
    with pytest.raises(ConfigError, match="activation"):
        g.set_config(d, {"activation": "swishy"})
    with pytest.raises(ConfigError, match="unknown parameter"):
        g.set_config(d, {"unit": 3})
    assert g.layer(d).config["units"] == 3


def test_duplicate_names_refused_and_unique_names_generated():
    g = Graph()
    g.add_layer(Dense(3, name="out"))
    with pytest.raises(GraphError, match="already exists"):
        g.add_layer(Dense(3, name="out"))
    assert g.unique_name("out") == "out_1"


def test_shape_inference_error_says_how_to_fix():
    g = chain(InputLayer(shape=(28, 28, 1)), Dense(10))
    status = infer_shapes(g)
    err = status[g.layer_ids[1]].error
    assert "Dense expects a flat input (None, features) but gets (None, 28, 28, 1): add a Flatten layer" in err
    with pytest.raises(ShapeError, match="Flatten"):
        check_buildable(g)


def test_shapes_and_param_counts():
    g = chain(InputLayer(shape=(28, 28, 1)), Flatten(), Dense(64), Dense(10))
    status = infer_shapes(g)
    ids = g.layer_ids
    assert [format_shape(status[i].output_shape) for i in ids] == [
        "(None, 28, 28, 1)", "(None, 784)", "(None, 64)", "(None, 10)"]
    assert [status[i].params for i in ids] == [0, 0, 784 * 64 + 64, 650]
    assert total_params(status) == 784 * 64 + 64 + 650


def test_unconnected_layer_and_downstream_are_reported():
    g = Graph()
    d1 = g.add_layer(Dense(3))
    d2 = g.add_layer(Dense(2))
    g.connect(d1, d2)
    status = infer_shapes(g)
    assert "needs an input" in status[d1].error and "connect" in status[d1].error
    assert "waiting for a valid input from 'dense'" == status[d2].error
    with pytest.raises(GraphError, match="no InputLayer"):
        check_buildable(g)


def test_registry_lists_categories_and_docs():
    cats = registry.by_category()
    assert "Dense" in cats["Core"]
    assert "Fully connected" in registry.doc("Dense")
    with pytest.raises(ConfigError, match="unknown layer type"):
        registry.get("Densee")


def test_keras_style_positional_and_tuple_params():
    d = Dense(8, "relu")
    assert d.config["units"] == 8 and d.config["activation"] == "relu"
    with pytest.raises(ConfigError, match="given twice"):
        Dense(8, units=4)
    assert Link("a", "b") == Link("a", "b", 0)


def test_a_layer_can_be_added_at_a_position_in_the_layer_order():
    g = chain(InputLayer(shape=(4,)), Dense(3), Dense(2))
    a, b, c = g.layer_ids
    seen = []
    g.events.layer_added.connect(seen.append)
    first = g.add_layer(Dense(5), index=0)
    middle = g.add_layer(Dense(6), index=2, meta={"pos": (1.0, 2.0)})
    last = g.add_layer(Dense(7), index=len(g))
    assert g.layer_ids == [first, a, middle, b, c, last]
    assert [g.index_of(i) for i in (first, middle, last)] == [0, 2, 5]
    assert seen == [first, middle, last]
    assert g.meta(middle) == {"pos": (1.0, 2.0)}
    assert g.output_layers() == [first, middle, c, last]


def test_a_position_outside_the_layer_order_is_refused_before_anything_changes():
    g = chain(InputLayer(shape=(4,)), Dense(3))
    before = g.layer_ids
    for index in (-1, 3):
        with pytest.raises(GraphError, match=f"no position {index}"):
            g.add_layer(Dense(2), index=index)
    assert g.layer_ids == before


def test_removing_a_layer_and_adding_it_back_at_its_index_restores_the_order():
    g = Graph()
    inp = g.add_layer(InputLayer(shape=(4,)))
    heads = [g.add_layer(Dense(units)) for units in (2, 3, 4)]
    for head in heads:
        g.connect(inp, head)
    order, outputs = g.topological_order(), g.output_layers()
    layer, index = g.layer(heads[1]), g.index_of(heads[1])
    g.remove_layer(heads[1])
    g.add_layer(layer, layer_id=heads[1], index=index)
    g.connect(inp, heads[1])
    assert g.layer_ids == [inp, *heads]
    assert g.topological_order() == order and g.output_layers() == outputs
