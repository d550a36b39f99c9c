"""Shape inference over a whole graph.

Every layer gets either its output shape or an error text that says what is wrong and how to fix it, plus its
parameter count. Errors do not stop inference: layers downstream of a broken one are marked as waiting for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import ConfigError, GraphError, ShapeError
from core.formatting import format_shape  # re-exported: its home was here
from core.graph import Graph
from core.layers.base import Shape


__all__ = ["LayerStatus", "format_shape", "infer_shapes", "total_params", "check_buildable"]


@dataclass
class LayerStatus:
    """The result of shape inference for one layer."""

    output_shape: Shape | None = None
    error: str | None = None
    input_shapes: list[Shape] = field(default_factory=list)
    params: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


def infer_shapes(graph: Graph) -> dict[str, LayerStatus]:
    """A :class:`LayerStatus` for every layer of ``graph``, by id."""
    status: dict[str, LayerStatus] = {}
    for layer_id in graph.topological_order():
        layer = graph.layer(layer_id)
        sources = graph.inputs_of(layer_id)
        if len(sources) < layer.min_inputs:
            needed = "an input" if layer.min_inputs == 1 else f"at least {layer.min_inputs} inputs"
            status[layer_id] = LayerStatus(error=f"{layer.type_name} '{layer.name}' needs {needed}: connect "
                                                 "a layer's output to its input port")
            continue
        broken = [graph.layer(s).name for s in sources if not status[s].ok]
        if broken:
            status[layer_id] = LayerStatus(error=f"waiting for a valid input from '{broken[0]}'")
            continue
        shapes = [status[s].output_shape for s in sources]
        try:
            out = layer.output_shape(shapes)
            params = layer.param_count(shapes)
        except (ShapeError, ConfigError) as exc:
            status[layer_id] = LayerStatus(error=str(exc), input_shapes=shapes)
            continue
        status[layer_id] = LayerStatus(output_shape=tuple(out), input_shapes=shapes, params=params)
    return status


def total_params(status: dict[str, LayerStatus]) -> int:
    return sum(s.params for s in status.values())


def check_buildable(graph: Graph) -> dict[str, LayerStatus]:
    """Shape inference that raises one error listing every problem when the graph cannot be built."""
    if not graph.input_layers():
        raise GraphError("the network has no InputLayer: add one and connect it to the first layer")
    if not graph.output_layers():
        raise GraphError("the network has no output layer: connect a layer after the input")
    status = infer_shapes(graph)
    problems = [s.error for s in status.values() if not s.ok and not s.error.startswith("waiting for")]
    if problems:
        raise ShapeError("the network cannot be built:\n- " + "\n- ".join(problems))
    return status
