"""The model as an ONNX file, for ONNX Runtime and other inference engines (see :mod:`core.io.onnx_export`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.io.exporters.base import Exporter


class OnnxExporter(Exporter):
    name = "onnx"
    label = "ONNX model (.onnx)…"
    suffix = ".onnx"
    description = "ONNX model for ONNX Runtime and other inference engines (needs the onnx package)"

    def write(self, model: Any, path: Path, weights_file: str) -> None:
        from core.io.onnx_export import export_onnx
        export_onnx(model, path)


OnnxExporter.register()
