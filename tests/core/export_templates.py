"""The general starter designs of :mod:`core.templates` (perceptron, MLP, deep MLP, LeNet, LSTM and GRU sequence
classifiers, dense autoencoder) for the export tests, plus a small ResNet whose blocks carry BatchNormalization
as well as Add. :func:`perturbed` gives a model non-trivial weights and moving statistics, so that a test
compares something other than the initialisers.
"""

from __future__ import annotations

import numpy as np

from core import templates
from core.api import Model, Sequential
from core.graph import Graph


def _chain(*specs) -> Graph:
    graph, previous = Graph(), None
    for type_name, config in specs:
        current = graph.add_layer(type_name, config)
        if previous is not None:
            graph.connect(previous, current)
        previous = current
    return graph


def _dense(units, activation="relu"):
    return ("Dense", {"units": units, "activation": activation})


def _conv(filters, size=3, activation="relu", padding="same"):
    return ("Conv2D", {"filters": filters, "kernel_size": size, "padding": padding, "activation": activation})


def _resnet() -> Graph:
    g = Graph()
    last = g.add_layer("Conv2D", _conv(8)[1], name="stem")
    g.connect(g.add_layer("InputLayer", {"shape": (16, 16, 3)}, name="image"), last)
    for block in ("r1", "r2"):
        a = g.add_layer("Conv2D", _conv(8, activation=None)[1], name=f"{block}a")
        bn = g.add_layer("BatchNormalization", {}, name=f"{block}bn")
        relu = g.add_layer("Activation", {"activation": "relu"}, name=f"{block}relu")
        b = g.add_layer("Conv2D", _conv(8, activation=None)[1], name=f"{block}b")
        add = g.add_layer("Add", {}, name=f"{block}add")
        out = g.add_layer("Activation", {"activation": "relu"}, name=f"{block}out")
        for src, dst in ((last, a), (a, bn), (bn, relu), (relu, b), (b, add), (last, add), (add, out)):
            g.connect(src, dst)
        last = out
    gap = g.add_layer("GlobalAveragePooling2D", {}, name="gap")
    head = g.add_layer("Dense", _dense(10, "softmax")[1], name="classes")
    g.connect(last, gap)
    g.connect(gap, head)
    return g


TEMPLATES = {key: templates.get(key).graph
             for key in ("perceptron", "mlp", "deep_mlp", "lenet", "lstm", "gru", "autoencoder")}
TEMPLATES["resnet"] = _resnet


def model(name: str) -> Model:
    """The template ``name`` as a model (Sequential for a chain, as the designer makes it)."""
    graph = TEMPLATES[name]()
    return (Sequential if graph.is_chain() else Model).from_graph(graph, name=name)


def perturbed(m: Model, seed: int = 0) -> Model:
    """``m`` with every weight moved off its initial value and positive moving variances."""
    rng = np.random.default_rng(seed)
    net = m.network
    for layer_id in net.order:
        for spec, w in zip(net.specs[layer_id], net.weights[layer_id]):
            w += rng.normal(0.0, 0.1, w.shape).astype(w.dtype)
            if spec.name == "moving_variance":
                np.abs(w, out=w)
                w += 0.5
    return m


def inputs(m: Model, n: int = 5, seed: int = 1) -> list[np.ndarray]:
    """Random inputs for every input of ``m``, ``n`` samples each."""
    rng = np.random.default_rng(seed)
    net = m.network
    return [rng.normal(size=(n, *net.output_shapes[i])).astype(np.float32) for i in net.input_ids]


def single_layer_model(type_name: str, config: dict, shapes: list, seed: int, name: str | None = None) -> Model:
    """A model of one layer of ``type_name`` fed by one InputLayer per shape in ``shapes``, with perturbed
    weights (every exporter's per-layer cases)."""
    g = Graph()
    inputs = [g.add_layer("InputLayer", {"shape": s}) for s in shapes]
    layer = g.add_layer(type_name, config)
    for i in inputs:
        g.connect(i, layer)
    return perturbed(Model.from_graph(g, name=name), seed)
