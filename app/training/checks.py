"""What can train with what: the loss that suits a network's output, and every reason a design, a data set and a
loss cannot train together, found before training starts (each with the fix).

GUI-free, so the rules are tested on their own; the training panel shows the reasons as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import NeuroCanvasError
from core.graph import Graph
from core.shapes import check_buildable, format_shape

CLASSIFICATION_LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
                         "hinge")
REGRESSION_LOSSES = ("mean_squared_error", "mean_absolute_error", "root_mean_squared_error", "sum_of_squares",
                     "absolute_error")


@dataclass(frozen=True)
class NetworkIO:
    """The one input and one output of a design, as training sees them."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    output_activation: str
    output_name: str

    @property
    def units(self) -> int:
        return int(self.output_shape[-1]) if self.output_shape else 1

    def activation_is_probability(self) -> bool:
        return self.output_activation in ("softmax", "sigmoid")


def network_io(graph: Graph) -> NetworkIO:
    """The design's input and output shapes; a NeuroCanvasError that says what to fix when it cannot train."""
    status = check_buildable(graph)
    inputs, outputs = graph.input_layers(), graph.output_layers()
    if len(inputs) != 1 or len(outputs) != 1:
        raise NeuroCanvasError(f"the training panel trains networks with one input and one output; this one has "
                               f"{len(inputs)} input(s) and {len(outputs)} output(s): train it from a script "
                               "with model.fit([...], [...])")
    layer = graph.layer(outputs[0])
    activation = layer.config.get("activation") or "linear"
    if layer.type_name in ("Activation", "Softmax"):
        activation = layer.config.get("activation", "softmax")
    return NetworkIO(tuple(status[inputs[0]].output_shape), tuple(status[outputs[0]].output_shape),
                     str(activation), layer.name)


def suggest_loss(io: NetworkIO, task: str) -> str:
    """The loss that suits the output layer and the task (softmax → categorical cross-entropy on the integer
    labels, one sigmoid unit → binary cross-entropy, anything else → mean squared error)."""
    if task == "classification" or (task.startswith("sequence") and io.activation_is_probability()):
        if io.output_activation == "sigmoid" and io.units == 1:
            return "binary_crossentropy"
        return "sparse_categorical_crossentropy"
    return "mean_squared_error"


def suggest_metrics(task: str) -> list[str]:
    return ["accuracy"] if task == "classification" else ["mae"]


def problems(graph: Graph, data: Any, loss: str) -> list[str]:
    """Every reason ``graph`` cannot train on ``data`` (a core Dataset) with ``loss``, each with its fix."""
    try:
        io = network_io(graph)
    except NeuroCanvasError as exc:
        return [f"The network cannot train: {exc}"]
    found = []
    if tuple(data.input_shape) != io.input_shape:
        found.append(f"The data set '{data.name}' gives samples of shape {format_shape(data.input_shape)} but the "
                     f"InputLayer expects {format_shape(io.input_shape)}: set the InputLayer's shape to "
                     f"{', '.join(map(str, data.input_shape))} or choose another data set.")
    found += _output_problems(io, data, loss)
    return found


def _output_problems(io: NetworkIO, data: Any, loss: str) -> list[str]:
    out = format_shape(io.output_shape)
    if data.task == "classification":
        classes = data.num_classes
        if loss in REGRESSION_LOSSES:
            if io.units != classes:
                return [f"'{loss}' on {classes} classes compares one-hot targets with the output: the output "
                        f"'{io.output_name}' gives {out}; give it {classes} units, or use a cross-entropy loss."]
            return []
        if loss == "binary_crossentropy" or loss == "hinge":
            if classes != 2 or io.units != 1:
                return [f"'{loss}' needs two classes and one output unit (sigmoid); the data has {classes} classes "
                        f"and '{io.output_name}' gives {out}: use sparse_categorical_crossentropy with a softmax "
                        f"output of {classes} units."]
            return []
        if io.units != classes or len(io.output_shape) != 1:
            fix = ("use binary_crossentropy for one sigmoid unit" if io.units == 1 and classes == 2
                   else f"give '{io.output_name}' {classes} units")
            return [f"The data set '{data.name}' has {classes} classes but the output '{io.output_name}' gives "
                    f"{out}: {fix}."]
        if io.output_activation != "softmax":
            return [f"'{loss}' expects probabilities but '{io.output_name}' has a {io.output_activation} "
                    "activation: set its activation to softmax."]
        return []
    if loss in CLASSIFICATION_LOSSES:
        return [f"'{loss}' is for class labels but '{data.name}' is a {data.task} data set: use "
                "mean_squared_error or mean_absolute_error."]
    target = tuple(data.output_shape)
    if int(np.prod(target)) != int(np.prod(io.output_shape)):
        return [f"The targets of '{data.name}' have shape {format_shape(target)} but the output '{io.output_name}' "
                f"gives {out}: make the last layer output {int(np.prod(target))} value(s)."]
    return []


def prepare_targets(y: np.ndarray, data: Any, loss: str, io: NetworkIO) -> np.ndarray:
    """Targets in the form ``loss`` reads: integer labels, one-hot rows, one probability column, or values
    shaped as the output."""
    y = np.asarray(y)
    if data.task == "classification":
        if loss == "sparse_categorical_crossentropy":
            return y.astype(np.int64)
        if loss in ("binary_crossentropy", "hinge"):
            return y.astype(np.float32).reshape(-1, 1)
        return np.eye(data.num_classes, dtype=np.float32)[y]
    return y.astype(np.float32).reshape((len(y),) + io.output_shape)
