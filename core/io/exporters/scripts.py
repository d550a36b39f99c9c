"""Python scripts that rebuild the model and load its ``.h5`` weights (see :mod:`core.io.codegen`)."""

from __future__ import annotations

from typing import Any

from core.io.exporters.base import TextExporter


class KerasScriptExporter(TextExporter):
    name = "keras-script"
    label = "Keras script (.py)…"
    suffix = ".py"
    stem_suffix = "_keras"
    description = "Python script rebuilding the model in Keras and loading its .h5 weights"
    writes_script = True

    def text(self, model: Any, weights_file: str) -> str:
        from core.io.codegen import keras_script
        return keras_script(model, weights_file)


class CoreScriptExporter(TextExporter):
    name = "core-script"
    label = "NeuroCanvas script (.py)…"
    suffix = ".py"
    stem_suffix = "_core"
    description = "Python script rebuilding the model with the NeuroCanvas core API"
    writes_script = True

    def text(self, model: Any, weights_file: str) -> str:
        from core.io.codegen import core_script
        return core_script(model, weights_file)


KerasScriptExporter.register()
CoreScriptExporter.register()
