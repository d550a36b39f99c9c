"""Every export of a model in one place, so the File > Export menu and ``neurocanvas export`` do the same thing.

:data:`FORMATS` maps a format name to its file suffix and a description; :func:`export` writes one. The text
exports are here (:func:`history_csv`, :func:`summary_markdown`); the others live in their own modules
(ONNX in :mod:`core.io.onnx_export`, scripts in :mod:`core.io.codegen`, pictures in :mod:`core.io.diagram`).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from core.errors import NeuroCanvasError
from core.io.summary import summary_text

FORMATS: dict[str, tuple[str, str]] = {
    "onnx": (".onnx", "ONNX model for ONNX Runtime and other inference engines (needs the onnx package)"),
    "keras-script": (".py", "Python script rebuilding the model in Keras and loading its .h5 weights"),
    "core-script": (".py", "Python script rebuilding the model with the NeuroCanvas core API"),
    "svg": (".svg", "diagram of the design (vector image)"),
    "png": (".png", "diagram of the design (bitmap image)"),
    "history-csv": (".csv", "training history: one row per epoch, one column per metric"),
    "summary-txt": (".txt", "layer table with output shapes and parameter counts (as Keras prints it)"),
    "summary-md": (".md", "layer table in Markdown"),
}


def history_csv(history: Any) -> str:
    """The per-epoch history (a :class:`core.training.History`) as CSV: ``epoch`` then one column per metric."""
    logs = dict(getattr(history, "history", None) or {})
    epochs = list(getattr(history, "epoch", None) or [])
    if not logs or not epochs:
        raise NeuroCanvasError("the model has no training history to export: train it first (the history is "
                               "saved in the .h5 file with the weights)")
    keys = list(logs)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for row, epoch in enumerate(epochs):
        writer.writerow([epoch + 1] + [_number(logs[k][row]) if row < len(logs[k]) else "" for k in keys])
    return out.getvalue()


def _number(value: float) -> str:
    return repr(float(value))


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


def default_path(model_path: str | os.PathLike, fmt: str) -> Path:
    """Where an export of the model file goes by default: beside it, same stem, the format's suffix."""
    path = Path(model_path)
    stem = path.stem + ("_keras" if fmt == "keras-script" else "_core" if fmt == "core-script" else "")
    stem += "_history" if fmt == "history-csv" else "_summary" if fmt.startswith("summary") else ""
    return path.with_name(stem + FORMATS[fmt][0])


def export(model: Any, path: str | os.PathLike, fmt: str, weights_file: str | None = None) -> Path:
    """Write ``model`` (a :class:`core.api.Model`) to ``path`` in format ``fmt`` (a key of :data:`FORMATS`).

    ``weights_file`` is the ``.h5`` file the scripts load their weights from (by default the model's stem with
    ``.h5``, in the script's folder). Returns the path written.
    """
    if fmt not in FORMATS:
        raise NeuroCanvasError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    path = Path(path)
    if fmt == "onnx":
        from core.io.onnx_export import export_onnx
        export_onnx(model, path)
    elif fmt == "png":
        from core.io.diagram import write_png
        write_png(model.graph, path)
    else:
        path.write_text(_text(model, fmt, weights_file or f"{model.name}.h5"), encoding="utf-8")
    return path


def _text(model: Any, fmt: str, weights_file: str) -> str:
    if fmt in ("keras-script", "core-script"):
        from core.io.codegen import core_script, keras_script
        return (keras_script if fmt == "keras-script" else core_script)(model, weights_file)
    if fmt == "svg":
        from core.io.diagram import diagram_svg
        return diagram_svg(model.graph, model.name)
    if fmt == "history-csv":
        return history_csv(getattr(model, "history", None))
    if fmt == "summary-md":
        return summary_markdown(model.graph, model.name)
    return summary_text(model.graph, model.name) + "\n"
