"""File → Export writes the same files as the command line's ``export``: one entry per registered exporter."""

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.io import exporters


@pytest.mark.parametrize("fmt", ["onnx", "core-script", "svg", "summary-md"])
def test_export_menu_writes_each_format(window, tmp_path, monkeypatch, fmt):
    window.open_template("mlp")
    suffix = exporters.get(fmt).suffix
    target = tmp_path / f"exported{suffix}"
    asked = {}

    def choose(parent, title, proposed, filters):
        asked.update(title=title, proposed=proposed, filters=filters)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    monkeypatch.setattr(QMessageBox, "information", lambda *args: QMessageBox.Ok)
    window.actions_by_name[f"export_{fmt}"].trigger()
    assert target.is_file() and target.stat().st_size > 0
    assert asked["proposed"].endswith(suffix) and suffix in asked["filters"]
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


def _menu_texts(window):
    return [a.text() for a in window.export_menu.actions() if not a.isSeparator()]


def test_the_menu_lists_exactly_the_registry_then_the_canvas(window):
    labels = [cls.label for cls in exporters.exporters()]
    assert _menu_texts(window) == labels + [window.actions_by_name["export_canvas"].text()]
    assert all(window.actions_by_name[f"export_{name}"].text() == label
               for name, label in zip(exporters.names(), labels))


class _Words(exporters.TextExporter):
    name = "words"
    label = "Layer names (.words)…"
    suffix = ".words"
    description = "the layer names, one a line"

    def text(self, model, weights_file):
        return "\n".join(model.graph.layer(i).name for i in model.graph.topological_order())


def test_a_registered_exporter_gets_a_menu_entry_that_writes_it(qtbot, tmp_path, monkeypatch):
    from app.main_window import MainWindow

    _Words.register()
    try:
        monkeypatch.setattr(MainWindow, "ask_save", lambda self: QMessageBox.Discard)
        win = MainWindow()
        qtbot.addWidget(win)
        assert _Words.label in _menu_texts(win)
        win.open_template("mlp")
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "m.words"), ""))
        win.actions_by_name["export_words"].trigger()
        assert (tmp_path / "m.words").read_text().splitlines()[0] == win.document.graph.layer(
            win.document.graph.topological_order()[0]).name
    finally:
        exporters.unregister("words")
