"""The starter designs: ready-made networks with a title and a description, offered by the GUI's template
gallery (the start page) and usable from code (``core.templates.get("lenet").graph()``).

Each template is a chain or a small graph of layers given by Keras type names and configs; it is turned into a
design (:mod:`core.io.design`) when it is opened, so it uses whatever the layer registry holds at that moment.
A template whose layer types are not registered is shown as unavailable. A template made for one of the built-in
samples names it (``sample``); that sample's training recipe is :func:`core.starters.starter`.

To add a starter design, append a :class:`Template` to ``TEMPLATES``: the gallery and the tests pick it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from core import layout
from core.graph import Graph
from core.io.design import FORMAT, add_design, required_types

Spec = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Template:
    """A starter design: ``key`` names it, ``title`` and ``description`` are what the gallery shows."""

    key: str
    title: str
    description: str
    build: Callable[[], dict[str, Any]]
    sample: str | None = None  # the built-in sample the design is made for, if any

    def design(self) -> dict[str, Any]:
        """The design as plain data (layers with canvas positions, links), ready for the canvas or a file."""
        return self.build()

    def graph(self) -> Graph:
        """A new graph holding the design."""
        graph = Graph()
        add_design(graph, self.build())
        return graph

    def missing_types(self) -> list[str]:
        return required_types(self.build())


def chain(*specs: Spec) -> dict[str, Any]:
    """A design in which each layer feeds the next."""
    return graph_design([(f"t{i}", t, c, [f"t{i - 1}"] if i else []) for i, (t, c) in enumerate(specs)])


def graph_design(nodes: list[tuple[str, str, dict[str, Any], list[str]]]) -> dict[str, Any]:
    """A design from ``(id, type, config, source ids)`` nodes, laid out left to right."""
    layers = [{"id": key, "type": type_name, "name": None, "config": config, "meta": {}}
              for key, type_name, config, _ in nodes]
    links = [[source, key, slot] for key, _, _, sources in nodes for slot, source in enumerate(sources)]
    design = {"format": FORMAT, "version": 1, "layers": layers, "links": links}
    _place(design)
    return design


def _place(design: dict[str, Any]) -> None:
    """Give every layer a position (auto-arranged) when its types are all registered."""
    if required_types(design):
        return
    graph = Graph()
    mapping = add_design(graph, design)
    positions = layout.arrange(graph)
    for spec in design["layers"]:
        spec["meta"]["pos"] = positions[mapping[spec["id"]]]


def _input(*shape: int) -> Spec:
    return ("InputLayer", {"shape": shape})


def _dense(units: int, activation: str | None = "relu") -> Spec:
    return ("Dense", {"units": units, "activation": activation})


def _conv(filters: int, size: int = 3, activation: str = "relu", padding: str = "same") -> Spec:
    return ("Conv2D", {"filters": filters, "kernel_size": size, "padding": padding, "activation": activation})


def _residual_block(nodes: list, prefix: str, source: str, filters: int) -> str:
    nodes += [(f"{prefix}a", "Conv2D", _conv(filters)[1], [source]),
              (f"{prefix}b", "Conv2D", _conv(filters, activation=None)[1], [f"{prefix}a"]),
              (f"{prefix}add", "Add", {}, [f"{prefix}b", source]),
              (f"{prefix}relu", "Activation", {"activation": "relu"}, [f"{prefix}add"])]
    return f"{prefix}relu"


def _resnet() -> dict[str, Any]:
    nodes: list = [("in", "InputLayer", {"shape": (32, 32, 3)}, []), ("stem", "Conv2D", _conv(16)[1], ["in"])]
    last = _residual_block(nodes, "r1", "stem", 16)
    last = _residual_block(nodes, "r2", last, 16)
    nodes += [("gap", "GlobalAveragePooling2D", {}, [last]), ("out", "Dense", _dense(10, "softmax")[1], ["gap"])]
    return graph_design(nodes)


def _classifier_2d(classes: int) -> Callable[[], dict[str, Any]]:
    head = _dense(classes, "softmax") if classes > 2 else _dense(1, "sigmoid")
    return lambda: chain(_input(2), _dense(16, "tanh"), _dense(16, "tanh"), head)


def _tabular(features: int, classes: int) -> Callable[[], dict[str, Any]]:
    head = _dense(classes, "softmax") if classes > 2 else _dense(1, "sigmoid")
    return lambda: chain(_input(features), _dense(32), ("Dropout", {"rate": 0.2}), _dense(16), head)


TEMPLATES: list[Template] = [
    Template("perceptron", "Perceptron", "One neuron with a sigmoid: a linear classifier of 2-D points.",
             lambda: chain(_input(2), _dense(1, "sigmoid"))),
    Template("mlp", "MLP", "Multi-layer perceptron for 28×28 images flattened to 784 values, 10 classes.",
             lambda: chain(_input(784), _dense(128), ("Dropout", {"rate": 0.2}), _dense(10, "softmax"))),
    Template("deep_mlp", "Deep MLP", "Five hidden layers of 256 ReLU units with dropout, 10 classes.",
             lambda: chain(_input(784), *[s for _ in range(5) for s in (_dense(256), ("Dropout", {"rate": 0.1}))],
                           _dense(10, "softmax"))),
    Template("lenet", "LeNet-style CNN", "Two convolution + pooling stages and three dense layers (28×28×1).",
             lambda: chain(_input(28, 28, 1), _conv(6, 5), ("MaxPooling2D", {"pool_size": 2}),
                           _conv(16, 5, padding="valid"), ("MaxPooling2D", {"pool_size": 2}), ("Flatten", {}),
                           _dense(120), _dense(84), _dense(10, "softmax"))),
    Template("resnet", "Small ResNet", "Two residual blocks with skip connections (Add), global pooling.",
             _resnet),
    Template("lstm", "LSTM sequence classifier", "An LSTM reads 48 steps of 1 feature; 4 classes.",
             lambda: chain(_input(48, 1), ("LSTM", {"units": 32}), _dense(4, "softmax"))),
    Template("gru", "GRU sequence classifier", "A GRU reads 48 steps of 1 feature; 4 classes.",
             lambda: chain(_input(48, 1), ("GRU", {"units": 32}), _dense(4, "softmax"))),
    Template("autoencoder", "Dense autoencoder", "784 → 128 → 32 → 128 → 784: dimension reduction to 32 values.",
             lambda: chain(_input(784), _dense(128), _dense(32), _dense(128), _dense(784, "sigmoid"))),
    Template("xor", "2-D two classes", "XOR, moons, circles, spirals: 2 → 16 → 16 → 1 (sigmoid).",
             _classifier_2d(2), sample="xor"),
    Template("blobs", "2-D three classes", "Blobs with 3 centres: 2 → 16 → 16 → 3 (softmax).",
             _classifier_2d(3), sample="blobs"),
    Template("regression", "Curve regression", "Sine, polynomial and step samples: 1 → 32 → 32 → 1 (linear).",
             lambda: chain(_input(1), _dense(32, "tanh"), _dense(32, "tanh"), _dense(1, None)), sample="sine"),
    Template("surface", "Surface regression", "The 2-D surface sample: 2 → 32 → 32 → 1 (linear).",
             lambda: chain(_input(2), _dense(32, "tanh"), _dense(32, "tanh"), _dense(1, None)), sample="surface"),
    Template("digits", "Digits (8×8)", "The UCI digits sample: a small CNN on 8×8×1 images, 10 classes.",
             lambda: chain(_input(8, 8, 1), _conv(16), ("MaxPooling2D", {"pool_size": 2}), ("Flatten", {}),
                           _dense(64), _dense(10, "softmax")), sample="digits"),
    Template("shapes", "Shapes (28×28)", "The synthetic shapes sample: a CNN on 28×28×1 images, 4 classes.",
             lambda: chain(_input(28, 28, 1), _conv(8), ("MaxPooling2D", {"pool_size": 2}), _conv(16),
                           ("MaxPooling2D", {"pool_size": 2}), ("Flatten", {}), _dense(32), _dense(4, "softmax")),
             sample="shapes"),
    Template("waveforms", "Waveforms (sequences)", "The waveforms sample: an LSTM over 48 steps, 4 classes.",
             lambda: chain(_input(48, 1), ("LSTM", {"units": 16}), _dense(4, "softmax")), sample="waveforms"),
    Template("iris", "Iris (tabular)", "4 measurements → 3 species.", _tabular(4, 3), sample="iris"),
    Template("wine", "Wine (tabular)", "13 measurements → 3 cultivars.", _tabular(13, 3), sample="wine"),
    Template("breast_cancer", "Breast cancer (tabular)", "30 measurements → benign or malignant.",
             _tabular(30, 2), sample="breast_cancer"),
]


def get(key: str) -> Template:
    """The template named ``key``."""
    for template in TEMPLATES:
        if template.key == key:
            return template
    raise KeyError(f"no template {key!r}")
