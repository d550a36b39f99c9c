"""The PyTorch script of a model (see :mod:`core.io.torch_codegen`)."""

from __future__ import annotations

from typing import Any

from core.io.exporters.base import TextExporter


class PyTorchScriptExporter(TextExporter):
    name = "pytorch"
    label = "PyTorch script (.py)…"
    suffix = ".py"
    stem_suffix = "_torch"
    description = ("PyTorch nn.Module script loading the model's .h5 weights, training under torchrun, and writing "
                   "the trained weights back for NeuroCanvas")
    writes_script = True

    def missing(self, model: Any) -> str | None:
        from core.io.torch_layers import problems_of
        problems = problems_of(model.network)
        if problems:
            return "this design cannot be written as a PyTorch script: " + "; ".join(problems)
        return super().missing(model)

    def text(self, model: Any, weights_file: str) -> str:
        from core.io.torch_codegen import torch_script
        return torch_script(model, weights_file)


PyTorchScriptExporter.register()
