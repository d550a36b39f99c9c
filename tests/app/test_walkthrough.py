"""The guide's walkthrough, as a user does it: the LeNet-style CNN drawn from an empty canvas."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox

from app.undo_commands import InsertDesignCommand
from core import templates
from core.graph import Graph
from core.shapes import check_buildable, total_params

STEPS = [
    ("Conv2D", {"filters": 6, "kernel_size": "5, 5", "padding": "same", "activation": "relu"}),
    ("MaxPooling2D", {}),
    ("Conv2D", {"filters": 16, "kernel_size": "5", "activation": "relu"}),
    ("MaxPooling2D", {}),
    ("Flatten", {}),
    ("Dense", {"units": 120, "activation": "relu"}),
    ("Dense", {"units": 84, "activation": "relu"}),
    ("Dense", {"units": 10, "activation": "softmax"}),
]


def set_field(window, name, value):
    widget = window.inspector.fields[name].widget
    if isinstance(widget, QSpinBox):
        widget.setValue(value)
        widget.editingFinished.emit()
    elif isinstance(widget, QComboBox):
        widget.setCurrentIndex(widget.findData(value))
        widget.activated.emit(widget.currentIndex())
    else:
        assert isinstance(widget, QLineEdit)
        widget.setText(value)
        widget.editingFinished.emit()


def double_click_in_library(window, type_name):
    item = next(i for i in window.palette.type_items() if i.text(0) == type_name)
    window.palette.tree.itemActivated.emit(item, 0)


def test_draw_lenet_from_an_empty_canvas(window):
    double_click_in_library(window, "InputLayer")
    set_field(window, "shape", "28, 28, 1")
    for type_name, values in STEPS:
        double_click_in_library(window, type_name)
        for name, value in values.items():
            set_field(window, name, value)
    graph = window.document.graph
    window.actions_by_name["arrange_h"].trigger()
    window.scene.refresh_status()
    status = check_buildable(graph)
    expected = Graph()
    InsertDesignCommand(expected, templates.get("lenet").design()).redo()
    assert total_params(status) == total_params(check_buildable(expected))
    assert len(graph) == 9 and len(graph.links) == 8 and window.problems.count() == 0
    assert "valid" in window.totals_label.text()
    steps = window.document.undo_stack.count()
    for _ in range(steps):
        window.document.undo_stack.undo()
    assert len(graph) == 0
