"""File → Export writes the same files as the command line's ``export``, through core.io.exports."""

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.io.exports import FORMATS


@pytest.mark.parametrize("fmt", ["onnx", "core-script", "svg", "summary-md"])
def test_export_menu_writes_each_format(window, tmp_path, monkeypatch, fmt):
    window.open_template("mlp")
    target = tmp_path / f"exported{FORMATS[fmt][0]}"
    asked = {}

    def choose(parent, title, proposed, filters):
        asked.update(title=title, proposed=proposed, filters=filters)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    monkeypatch.setattr(QMessageBox, "information", lambda *args: QMessageBox.Ok)
    window.actions_by_name[f"export_{fmt}"].trigger()
    assert target.is_file() and target.stat().st_size > 0
    assert asked["proposed"].endswith(FORMATS[fmt][0]) and FORMATS[fmt][0] in asked["filters"]
    assert "Exported" in window.statusBar().currentMessage()


def test_export_of_an_invalid_design_explains_why(window, tmp_path, monkeypatch):
    from app.undo_commands import AddLayerCommand

    window.document.undo_stack.push(AddLayerCommand(window.document.graph, "Dense", {"units": 3}, pos=(0.0, 0.0)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "x.onnx"), ""))
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    window.actions_by_name["export_onnx"].trigger()
    assert shown and "InputLayer" in shown[0]
    assert not (tmp_path / "x.onnx").exists()
