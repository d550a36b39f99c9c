"""The task rules: which loss and metrics suit a data set and a network's output, the targets a loss reads, and
every reason a design, a data set and a loss cannot train together (each with its fix).

The GUI's training panel, the command line and the code export all ask this module, so the same data set and
network get the same loss everywhere. The facts it reads (classification or regression, the form of the targets,
the output activations a loss suits) are class attributes of the losses in :mod:`core.losses`; adding a loss
there is all it takes for the rules here to know it.

A data set here is anything with ``name``, ``task``, ``num_classes``, ``input_shape`` and ``output_shape`` (a
:class:`core.data.Dataset`); ``task`` may also be None where no data set is known (the code export), and the
output activation then decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core import losses
from core.errors import NeuroCanvasError
from core.graph import Graph
from core.shapes import check_buildable, format_shape

# The classification losses offered first, in order of preference: what Keras users expect, and what trains best
# with the engine (both are computed from the output's logits).
PREFERRED = ("sparse_categorical_crossentropy", "binary_crossentropy")
REGRESSION_DEFAULT = "mean_squared_error"
PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


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
        return self.output_activation in PROBABILITY_ACTIVATIONS


def network_io(graph: Graph) -> NetworkIO:
    """The design's input and output shapes; a NeuroCanvasError that says what to fix when it cannot train."""
    status = check_buildable(graph)
    inputs, outputs = graph.input_layers(), graph.output_layers()
    if len(inputs) != 1 or len(outputs) != 1:
        raise NeuroCanvasError(f"training on a data set needs a network with one input and one output; this one "
                               f"has {len(inputs)} input(s) and {len(outputs)} output(s): train it from a script "
                               "with model.fit([...], [...])")
    layer = graph.layer(outputs[0])
    activation = layer.config.get("activation") or "linear"
    if layer.type_name in ("Activation", "Softmax"):
        activation = layer.config.get("activation", "softmax")
    return NetworkIO(tuple(status[inputs[0]].output_shape), tuple(status[outputs[0]].output_shape),
                     str(activation), layer.name)


# -- suggestions ---------------------------------------------------------------------------------------------------
def suits(loss: "str | losses.Loss", io: NetworkIO) -> bool:
    """Whether ``loss`` fits the output as it is: its activation, and one unit for a binary loss."""
    loss = losses.get(loss)
    if loss.output_activations and io.output_activation not in loss.output_activations:
        return False
    return loss.targets != "binary" or io.units == 1


def suggest_loss(io: NetworkIO, task: str | None = None) -> str:
    """The loss for the output and the task: sparse categorical cross-entropy on integer labels for a softmax
    output, binary cross-entropy for one sigmoid unit, mean squared error for regression.

    Sequence tasks with a softmax or sigmoid output are read as classification; with ``task`` None (no data set
    known) the output activation decides.
    """
    if task is None:
        task = "classification" if io.activation_is_probability() else "regression"
    if task != "classification" and not (task.startswith("sequence") and io.activation_is_probability()):
        return REGRESSION_DEFAULT
    return next((name for name in PREFERRED if suits(name, io)), PREFERRED[0])


def suggest_metrics(task: str | None) -> list[str]:
    """Accuracy for classification, mean absolute error otherwise."""
    return ["accuracy"] if task == "classification" else ["mae"]


# -- targets -------------------------------------------------------------------------------------------------------
def prepare_targets(y: Any, data: Any, loss: "str | losses.Loss", io: NetworkIO) -> np.ndarray:
    """Targets in the form ``loss`` reads: integer labels (sparse losses), one 0/1 column (binary losses), one-hot
    rows (categorical and regression losses on class labels), or float values shaped as the output."""
    y = np.asarray(y)
    if data.task != "classification":
        return y.astype(np.float32).reshape((len(y),) + tuple(io.output_shape))
    kind = losses.get(loss).targets
    if kind == "labels":
        return y.astype(np.int64).reshape(-1)
    if kind == "binary":
        return y.astype(np.float32).reshape(-1, 1)
    return np.eye(data.num_classes, dtype=np.float32)[y.reshape(-1).astype(np.int64)]


# -- what prevents training ----------------------------------------------------------------------------------------
def problems(graph: Graph, data: Any, loss: "str | losses.Loss") -> list[str]:
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
    return found + output_problems(io, data, losses.get(loss))


def output_problems(io: NetworkIO, data: Any, loss: losses.Loss) -> list[str]:
    """What keeps the output, the targets and the loss from fitting together (empty when they fit)."""
    if data.task != "classification":
        return _value_problems(io, data, loss)
    out, classes = format_shape(io.output_shape), data.num_classes
    if loss.task == "regression":
        if io.units != classes:
            return [f"'{loss.name}' on {classes} classes compares one-hot targets with the output: the output "
                    f"'{io.output_name}' gives {out}; give it {classes} units, or use a cross-entropy loss."]
        return []
    if loss.targets == "binary":
        if classes != 2 or io.units != 1:
            return [f"'{loss.name}' needs two classes and one output unit (sigmoid); the data has {classes} classes "
                    f"and '{io.output_name}' gives {out}: use sparse_categorical_crossentropy with a softmax "
                    f"output of {classes} units."]
    elif io.units != classes or len(io.output_shape) != 1:
        fix = ("use binary_crossentropy for one sigmoid unit" if io.units == 1 and classes == 2
               else f"give '{io.output_name}' {classes} units")
        return [f"The data set '{data.name}' has {classes} classes but the output '{io.output_name}' gives "
                f"{out}: {fix}."]
    if loss.output_activations and io.output_activation not in loss.output_activations:
        wanted = " or ".join(loss.output_activations)
        return [f"'{loss.name}' expects probabilities but '{io.output_name}' has a {io.output_activation} "
                f"activation: set its activation to {wanted}."]
    return []


def _value_problems(io: NetworkIO, data: Any, loss: losses.Loss) -> list[str]:
    if loss.task == "classification":
        return [f"'{loss.name}' is for class labels but '{data.name}' is a {data.task} data set: use "
                "mean_squared_error or mean_absolute_error."]
    target = tuple(data.output_shape)
    if int(np.prod(target)) != int(np.prod(io.output_shape)):
        return [f"The targets of '{data.name}' have shape {format_shape(target)} but the output "
                f"'{io.output_name}' gives {format_shape(io.output_shape)}: make the last layer output "
                f"{int(np.prod(target))} value(s)."]
    return []
