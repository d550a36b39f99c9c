"""A Keras-like model summary table: layers, output shapes, parameter counts."""

from __future__ import annotations

from core.graph import Graph
from core.layers.base import WeightSpec
from core.shapes import format_shape, infer_shapes


def summary_text(graph: Graph, title: str = "model", width: int = 80) -> str:
    """The summary as text. Functional graphs get a "Connected to" column, as in Keras."""
    status = infer_shapes(graph)
    functional = not graph.is_chain()
    cols = [32, 26, 12] + ([width - 70] if functional else [])
    head = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])
    rule = "_" * sum(cols)
    lines = [f'Model: "{title}"', rule, _row(head, cols), "=" * sum(cols)]
    trainable = non_trainable = 0
    for layer_id in graph.topological_order():
        layer = graph.layer(layer_id)
        st = status[layer_id]
        shape = format_shape(st.output_shape) if st.ok else "error"
        specs: list[WeightSpec] = layer.weight_specs(st.input_shapes) if st.ok else []
        for spec in specs:
            size = 1
            for d in spec.shape:
                size *= d
            if spec.trainable:
                trainable += size
            else:
                non_trainable += size
        row = [f"{layer.name} ({layer.type_name})", shape, f"{st.params:,}"]
        if functional:
            row.append(", ".join(graph.layer(s).name for s in graph.inputs_of(layer_id)))
        lines.append(_row(row, cols))
    lines += ["=" * sum(cols), f"Total params: {trainable + non_trainable:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {non_trainable:,}", rule]
    return "\n".join(lines)


def _row(cells: list[str], cols: list[int]) -> str:
    return "".join((" " + c).ljust(w) for c, w in zip(cells, cols)).rstrip()
