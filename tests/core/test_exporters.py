"""The exporter registry: every registered format writes its file from a small trained model, the command line
offers exactly the registered formats, and the registry refuses malformed or clashing classes."""

from __future__ import annotations

import numpy as np
import pytest

from core.cli import build_parser
from core.errors import NeuroCanvasError
from core.io import exporters
from tests.core import export_templates as tpl


@pytest.fixture(scope="module")
def trained():
    m = tpl.model("perceptron")
    m.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    m.fit(x, (x[:, :1] > 0).astype(np.float32), epochs=2, batch_size=8, verbose=0)
    return m


@pytest.mark.parametrize("name", exporters.names())
def test_every_registered_exporter_writes_its_file(trained, tmp_path, name):
    exporter = exporters.get(name)
    path = exporter.export(trained, tmp_path / f"model{exporter.suffix}", weights_file="model.h5")
    assert path == tmp_path / f"model{exporter.suffix}" and path.stat().st_size > 50
    assert exporter.label.endswith(f"({exporter.suffix})…") and exporter.description


def test_the_built_in_formats_are_registered_in_menu_order():
    assert exporters.names() == ["onnx", "keras-script", "core-script", "pytorch", "svg", "png", "history-csv",
                                 "summary-txt", "summary-md"]


def _export_choices(parser):
    sub = next(a for a in parser._actions if a.dest == "command")
    return next(a for a in sub.choices["export"]._actions if a.dest == "format").choices


def test_the_command_line_offers_exactly_the_registry():
    assert _export_choices(build_parser()) == exporters.names()


def test_a_format_without_history_says_to_train_and_writes_nothing(tmp_path):
    untrained = tpl.model("perceptron")
    with pytest.raises(NeuroCanvasError, match="train it first"):
        exporters.get("history-csv").export(untrained, tmp_path / "h.csv")
    assert not (tmp_path / "h.csv").exists()


def test_default_paths_sit_beside_the_model():
    assert exporters.get("keras-script").default_path("runs/net.h5").as_posix() == "runs/net_keras.py"
    assert exporters.get("summary-md").default_path("net.h5").name == "net_summary.md"
    assert exporters.get("onnx").default_path("net.h5").name == "net.onnx"


def test_unknown_formats_are_named_with_the_choices():
    with pytest.raises(NeuroCanvasError, match="unknown export format 'jpeg': choose one of onnx, keras-script"):
        exporters.get("jpeg")


class _Names(exporters.TextExporter):
    name = "names"
    label = "Layer names (.txt)…"
    suffix = ".txt"
    description = "layer names"

    def text(self, model, weights_file):
        return ",".join(model.graph.layer(i).name for i in model.graph.topological_order())


def test_a_registered_format_reaches_the_command_line_and_exports(trained, tmp_path):
    _Names.register()
    try:
        assert _export_choices(build_parser())[-1] == "names"
        from core.io.exports import export
        assert export(trained, tmp_path / "n.txt", "names").read_text().count(",") == len(trained.graph) - 1
    finally:
        exporters.unregister("names")
    assert "names" not in exporters.names()


def test_the_registry_refuses_clashing_or_incomplete_classes():
    clash = type("Clash", (_Names,), {"name": "onnx"})
    with pytest.raises(ValueError, match="already registered by OnnxExporter"):
        clash.register()
    with pytest.raises(ValueError, match="must set label"):
        type("NoLabel", (_Names,), {"name": "x", "label": ""}).register()
    with pytest.raises(ValueError, match="must start with a dot"):
        type("BadSuffix", (_Names,), {"name": "x", "suffix": "txt"}).register()
    with pytest.raises(NotImplementedError, match="must implement write"):
        exporters.Exporter().write(None, None, "")
