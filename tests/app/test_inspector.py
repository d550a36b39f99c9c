"""The inspector: a form from the parameter spec; valid edits are one undo step, invalid ones are refused."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QSpinBox

from app.undo_commands import AddLayerCommand


def select_new(window, type_name, config=None):
    command = AddLayerCommand(window.document.graph, type_name, config)
    window.document.undo_stack.push(command)
    window.scene.select_layers([command.layer_id])
    assert window.inspector.layer_id == command.layer_id
    return command.layer_id


def test_form_has_the_right_widget_per_parameter_kind(window):
    select_new(window, "Dense", {"units": 8})
    fields = window.inspector.fields
    assert isinstance(fields["units"].widget, QSpinBox) and fields["units"].widget.minimum() == 1
    assert isinstance(fields["activation"].widget, QComboBox)
    assert isinstance(fields["use_bias"].widget, QCheckBox)
    assert fields["units"].widget.value() == 8


def test_an_edit_changes_the_graph_and_undo_restores_it(window):
    layer_id = select_new(window, "Dense", {"units": 8})
    graph, stack = window.document.graph, window.document.undo_stack
    steps = stack.count()
    spin = window.inspector.fields["units"].widget
    spin.setValue(32)
    spin.editingFinished.emit()
    assert graph.layer(layer_id).config["units"] == 32 and stack.count() == steps + 1
    stack.undo()
    assert graph.layer(layer_id).config["units"] == 8 and spin.value() == 8
    stack.redo()
    assert graph.layer(layer_id).config["units"] == 32 and spin.value() == 32


def test_finishing_without_a_change_pushes_nothing(window):
    select_new(window, "Dense", {"units": 8})
    stack = window.document.undo_stack
    steps = stack.count()
    window.inspector.fields["units"].widget.editingFinished.emit()
    assert stack.count() == steps


def test_choice_and_bool_edits(window):
    layer_id = select_new(window, "Dense", {"units": 4})
    graph = window.document.graph
    combo = window.inspector.fields["activation"].widget
    combo.setCurrentIndex(combo.findData("relu"))
    combo.activated.emit(combo.currentIndex())
    assert graph.layer(layer_id).config["activation"] == "relu"
    window.inspector.fields["use_bias"].widget.setChecked(False)
    assert graph.layer(layer_id).config["use_bias"] is False
    window.document.undo_stack.undo()
    assert graph.layer(layer_id).config["use_bias"] is True


def test_an_invalid_value_is_refused_with_the_reason(window):
    layer_id = select_new(window, "Dropout", {"rate": 0.5})
    graph, stack = window.document.graph, window.document.undo_stack
    steps = stack.count()
    spin = window.inspector.fields["rate"].widget
    assert isinstance(spin, QDoubleSpinBox)
    spin.setValue(1.0)  # the range is [0, 1): 1 itself is refused by the layer's validation
    spin.editingFinished.emit()
    assert graph.layer(layer_id).config["rate"] == 0.5 and stack.count() == steps
    assert "rate" in window.inspector.error_label.text()
    assert "rate" in window.last_message
    assert spin.value() == 0.5


def test_tuple_parameters_are_typed_as_text(window):
    layer_id = select_new(window, "InputLayer", {"shape": (4,)})
    edit = window.inspector.fields["shape"].widget
    assert isinstance(edit, QLineEdit) and edit.text() == "4"
    edit.setText("28, 28, 1")
    edit.editingFinished.emit()
    assert window.document.graph.layer(layer_id).config["shape"] == (28, 28, 1)
    edit.setText("28, zero")
    edit.editingFinished.emit()
    assert window.document.graph.layer(layer_id).config["shape"] == (28, 28, 1)
    assert "shape" in window.inspector.error_label.text()


def test_rename_is_an_undo_step_and_duplicates_are_refused(window):
    first = select_new(window, "Dense")
    second = select_new(window, "Dense")
    graph = window.document.graph
    name_edit = window.inspector.name_edit
    name_edit.setText("hidden")
    name_edit.editingFinished.emit()
    assert graph.layer(second).name == "hidden"
    name_edit.setText(graph.layer(first).name)
    name_edit.editingFinished.emit()
    assert graph.layer(second).name == "hidden" and "already exists" in window.last_message
    window.document.undo_stack.undo()
    assert graph.layer(second).name == "dense_1"


def test_inspector_shows_shapes_and_follows_selection(window):
    inp = select_new(window, "InputLayer", {"shape": (4,)})
    dense = select_new(window, "Dense", {"units": 3})
    window.scene.try_connect(inp, dense)
    window.scene.refresh_status()
    assert "(None, 3)" in window.inspector.shape_label.text()
    assert "15" in window.inspector.shape_label.text()
    window.scene.clearSelection()
    assert window.inspector.layer_id is None


def test_parse_text_reads_tuples_single_values_and_none():
    from app.inspector import parse_text
    from core.layers.registry import Param

    kernel = Param("kernel_size", "ints", 3, length=2)
    assert parse_text(kernel, "5") == 5
    assert parse_text(kernel, "3x3") == (3, 3) and parse_text(kernel, "(2, 4)") == (2, 4)
    assert parse_text(Param("seed", "int", None, nullable=True), "") is None
    assert parse_text(Param("shape", "shape", (1,)), "28, 28, 1") == (28, 28, 1)
    assert parse_text(Param("rate", "float", 0.1), "0.25") == 0.25


def test_the_layer_doc_shows_apostrophes_as_text(window):
    select_new(window, "InputLayer", {"shape": (2,)})
    doc = window.inspector.findChild(QLabel, "layerDoc")
    assert "'" in doc.text() and "&#x27;" not in doc.text()  # "the network's input": no HTML entity shown
    assert doc.textFormat() == Qt.PlainText
