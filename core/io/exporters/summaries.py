"""The layer table (layer, type, output shape, parameters, inputs) as plain text or Markdown."""

from __future__ import annotations

from typing import Any

from core.io.exporters.base import TextExporter


def summary_markdown(graph: Any, title: str = "model") -> str:
    """The summary as a Markdown table (layer, type, output shape, parameters, inputs) with the totals."""
    from core.shapes import format_shape, infer_shapes
    status = infer_shapes(graph)
    lines = [f"# Model: {title}", "", "| Layer | Type | Output shape | Parameters | Inputs |",
             "|---|---|---|---:|---|"]
    trainable = frozen = 0
    for layer_id in graph.topological_order():
        layer, st = graph.layer(layer_id), status[layer_id]
        for spec in (layer.weight_specs(st.input_shapes) if st.ok else []):
            size = 1
            for d in spec.shape:
                size *= d
            trainable, frozen = (trainable + size, frozen) if spec.trainable else (trainable, frozen + size)
        sources = ", ".join(graph.layer(s).name for s in graph.inputs_of(layer_id)) or "—"
        shape = format_shape(st.output_shape) if st.ok else "error"
        lines.append(f"| {_cell(layer.name)} | {layer.type_name} | `{shape}` | {st.params:,} | {_cell(sources)} |")
    lines += ["", f"**Total parameters:** {trainable + frozen:,} (trainable {trainable:,}, "
                  f"non-trainable {frozen:,})", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


class SummaryTextExporter(TextExporter):
    name = "summary-txt"
    label = "Summary as text (.txt)…"
    suffix = ".txt"
    stem_suffix = "_summary"
    description = "layer table with output shapes and parameter counts (as Keras prints it)"

    def text(self, model: Any, weights_file: str) -> str:
        from core.io.summary import summary_text
        return summary_text(model.graph, model.name) + "\n"


class SummaryMarkdownExporter(TextExporter):
    name = "summary-md"
    label = "Summary as Markdown (.md)…"
    suffix = ".md"
    stem_suffix = "_summary"
    description = "layer table in Markdown"

    def text(self, model: Any, weights_file: str) -> str:
        return summary_markdown(model.graph, model.name)


SummaryTextExporter.register()
SummaryMarkdownExporter.register()
