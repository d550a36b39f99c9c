"""Documents: copy/paste, save → close → open, templates, title marker, close prompt, crash recovery."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from app import document
from app.undo_commands import AddLayerCommand, InsertDesignCommand
from app.main_window import MainWindow
from core import templates
from core.io import design
from core.shapes import check_buildable


def build_mlp(window):
    graph, stack = window.document.graph, window.document.undo_stack
    stack.push(InsertDesignCommand(graph, templates.get("mlp").design(), text="Template"))
    return graph


def comparable(graph):
    data = design.snapshot(graph)
    names = {spec["id"]: spec["name"] for spec in data["layers"]}
    layers = sorted((s["name"], s["type"], repr(s["config"]), tuple(s["meta"]["pos"])) for s in data["layers"])
    links = sorted((names[a], names[b], slot) for a, b, slot in data["links"])
    return layers, links


def test_copy_and_paste_within_a_document(window):
    graph = build_mlp(window)
    ids = graph.layer_ids[:2]
    window.scene.select_layers(ids)
    window.actions_by_name["copy"].trigger()
    window.actions_by_name["paste"].trigger()
    assert len(graph) == 6 and len(graph.links) == 4
    new = window.scene.selected_layer_ids()
    assert len(new) == 2 and not set(new) & set(ids)
    assert len({graph.layer(i).name for i in graph.layer_ids}) == 6
    assert graph.meta(new[0])["pos"][0] == graph.meta(ids[0])["pos"][0] + 30
    window.document.undo_stack.undo()
    assert len(graph) == 4 and len(graph.links) == 3
    window.document.undo_stack.redo()
    assert set(graph.layer_ids) >= set(new)


def test_paste_into_another_window(window, qtbot):
    graph = build_mlp(window)
    window.actions_by_name["select_all"].trigger()
    window.actions_by_name["copy"].trigger()
    other = MainWindow()
    qtbot.addWidget(other)
    other.paste()
    assert comparable(other.document.graph)[1] == comparable(graph)[1]
    other.document.undo_stack.setClean()


def test_cut_and_duplicate(window):
    graph = build_mlp(window)
    last = graph.layer_ids[-1]
    window.scene.select_layers([last])
    window.actions_by_name["duplicate"].trigger()
    assert len(graph) == 5
    window.actions_by_name["cut"].trigger()
    assert len(graph) == 4 and last in graph


def test_double_click_in_library_adds_after_the_selected_layer(window):
    graph = window.document.graph
    command = AddLayerCommand(graph, "InputLayer", {"shape": (3,)})
    window.document.undo_stack.push(command)
    window.scene.select_layers([command.layer_id])
    window.palette.layer_activated.emit("Dense")
    assert len(graph) == 2
    new = window.scene.selected_layer_ids()[0]
    assert graph.inputs_of(new) == [command.layer_id]
    assert graph.meta(new)["pos"][0] > graph.meta(command.layer_id)["pos"][0]
    window.document.undo_stack.undo()
    assert len(graph) == 1 and not graph.links


def test_library_search_filters_types(window):
    window.palette.search.setText("conv")
    visible = window.palette.visible_types()
    assert "Conv2D" in visible and "Dense" not in visible
    window.palette.search.clear()
    assert "Dense" in window.palette.visible_types()


@pytest.mark.parametrize("suffix", [".ncd", ".h5"])
def test_save_close_open_restores_the_design(window, qtbot, tmp_path, suffix):
    graph = build_mlp(window)
    window.scene.select_layers([graph.layer_ids[1]])
    window.inspector.fields["units"].widget.setValue(64)
    window.inspector.fields["units"].widget.editingFinished.emit()
    expected = comparable(graph)
    path = str(tmp_path / f"model{suffix}")
    window.document.save(path)
    assert not window.isWindowModified() and window.windowTitle().startswith(f"model{suffix}")
    window.close()
    reopened = MainWindow()
    qtbot.addWidget(reopened)
    assert reopened.open_file(path)
    assert comparable(reopened.document.graph) == expected
    assert len(reopened.scene.items_by_id) == 4 and len(reopened.scene.links) == 3


def test_title_shows_the_modified_marker(window):
    assert not window.isWindowModified()
    build_mlp(window)
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


def test_closing_unsaved_work_asks_first(window, monkeypatch):
    build_mlp(window)
    monkeypatch.setattr(MainWindow, "ask_save", lambda self: QMessageBox.Cancel)
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(MainWindow, "ask_save", lambda self: QMessageBox.Discard)
    assert window.close()


def test_window_layout_is_remembered(window, qtbot):
    window.inspector_dock.hide()
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.inspector_dock.isHidden()


def test_autosave_is_offered_back_after_a_crash(window, qtbot, monkeypatch):
    from app import documents_io

    graph = build_mlp(window)
    expected = comparable(graph)
    window.document.autosave()
    assert document.recovery_files() == [window.document.recovery_path]
    # a crash: the window goes away without closing its document
    fresh = MainWindow()
    qtbot.addWidget(fresh)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.Yes)
    assert documents_io.offer_recovery(fresh)
    assert comparable(fresh.document.graph) == expected and fresh.isWindowModified()
    assert document.recovery_files() == []


@pytest.mark.parametrize("template", templates.TEMPLATES, ids=lambda t: t.key)
def test_every_template_opens_valid(window, template):
    assert template.missing_types() == [], f"{template.key} needs unregistered layer types"
    window.open_template(template.key)
    graph = window.document.graph
    assert len(graph) >= 2 and window.document.undo_stack.count() == 1
    check_buildable(graph)
    assert window.problems.count() == 0
    assert all(not item.error and not item.waiting for item in window.scene.items_by_id.values())
    window.document.undo_stack.undo()
    assert len(graph) == 0


def test_opening_a_keras_file_lays_it_out(window):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "fixtures" / "keras3_cnn.h5"
    assert window.open_file(str(path))
    graph = window.document.graph
    assert len(graph) >= 3 and not window.isWindowModified()
    xs = [graph.meta(i)["pos"][0] for i in graph.topological_order()]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    check_buildable(graph)


def test_main_opens_the_window_with_a_file(tmp_path, monkeypatch, qapp):
    from app import __main__ as entry
    from app.main_window import WINDOWS

    path = tmp_path / "design.ncd"
    source = document.Document()
    source.undo_stack.push(InsertDesignCommand(source.graph, templates.get("perceptron").design()))
    source.save(str(path))
    monkeypatch.setattr(type(qapp), "exec", lambda self: 0)
    assert entry.main([str(path)]) == 0
    window = WINDOWS.pop()
    assert window.document.path == str(path) and len(window.document.graph) == 2
    assert window.pages.currentWidget() is window.view
    window.close()


def test_recovery_files_of_another_running_process_are_not_offered(temporary_settings):
    import os
    import subprocess
    import sys

    from app import settings

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = settings.recovery_dir() / f"{other.pid}-abc{document.DESIGN_SUFFIX}"
        live.write_text("{}")
        dead = settings.recovery_dir() / f"999999999-def{document.DESIGN_SUFFIX}"
        dead.write_text("{}")
        assert document.recovery_files() == [dead]
    finally:
        other.kill()
        other.wait()
    assert os.getpid() != other.pid


def test_weights_of_an_opened_model_survive_saving(window, tmp_path):
    from pathlib import Path

    import numpy as np

    source = Path(__file__).resolve().parents[1] / "fixtures" / "keras2_mlp.h5"
    assert window.open_file(str(source))
    before = window.document.model.get_weights()
    target = str(tmp_path / "copy.h5")
    window.document.save(target)
    reopened = document.Document.open(target)
    after = reopened.model.get_weights()
    assert len(before) == len(after) > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
