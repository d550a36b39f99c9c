"""The inspector: a form generated from the selected layer's parameter spec.

Each parameter gets the widget its kind calls for (spin box with the allowed range, combo box, check box, text
for tuples and optional values). An edit is checked with the layer's own validation before it is applied: an
invalid value is refused with the reason and the field shows the current value again. A valid change is pushed
as one undo step when editing finishes, and only if the value changed.
"""

from __future__ import annotations

import html
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QScrollArea,
                               QSpinBox, QVBoxLayout, QWidget)

from app.canvas.items import format_count
from app.undo_commands import RenameCommand, SetConfigCommand
from app.widgets import guard_wheel
from app.palette import plain_doc
from core.errors import NeuroCanvasError
from core.layers.registry import Param
from core.shapes import LayerStatus, format_shape

INT_LIMIT = 2_000_000_000


def parse_text(param: Param, text: str) -> Any:
    """The value typed for a text-edited parameter: ``None``, a number, a tuple (``3, 3`` or ``(3, 3)``)."""
    text = text.strip()
    if text in ("", "None", "none") and param.nullable:
        return None
    if param.kind == "str":
        return text
    stripped = text.strip("()[] ")
    parts = [p for p in stripped.replace("×", ",").replace("x", ",").split(",") if p.strip()]
    try:
        numbers = [float(p) if param.kind == "float" else int(p) for p in parts]
    except ValueError:
        return text  # validation refuses it with the reason
    if param.kind in ("int", "float", "ints") and len(numbers) == 1:
        return numbers[0]  # an ``ints`` parameter repeats a single value (kernel size 5 → 5×5)
    return tuple(numbers)


def refused_size(param: Param, layer: Any) -> str | None:
    """Why ``layer`` (with ``param`` just set) has a size below 1, or None when every size is positive.

    A ``shape`` may hold one -1, which a layer with an input works out from it (Reshape); a layer without an
    input (the network's input) has nothing to work it out from, so there every size must be at least 1.
    """
    if param.kind != "shape" or layer.max_inputs != 0:
        return None
    value = tuple(layer.config[param.name])
    if all(size >= 1 for size in value):
        return None
    return (f"{layer.type_name}: every size of '{param.name}' must be a whole number ≥ 1, got "
            f"{show_value(value)} (-1 is only for a Reshape, which works it out from its input)")


def show_value(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


class ParamField:
    """One editor widget bound to one parameter; ``finished(value)`` is called when editing ends."""

    def __init__(self, param: Param, finished: Callable[[Param, Any], None]):
        self.param, self._finished = param, finished
        self.widget = self._make()
        self.widget.setToolTip(f"{html.escape(param.help)}<br><i>{html.escape(param.describe())}</i>")

    def _make(self) -> QWidget:
        p = self.param
        if p.kind == "bool":
            widget = QCheckBox()
            widget.toggled.connect(lambda _=None: self._finished(p, self.value()))
        elif p.kind == "choice":
            widget = QComboBox()
            for choice in p.choices:
                widget.addItem(show_value(choice), choice)
            widget.activated.connect(lambda _=None: self._finished(p, self.value()))
        elif p.kind == "int" and not p.nullable:
            widget = QSpinBox()
            widget.setRange(int(max(p.min if p.min is not None else -INT_LIMIT, -INT_LIMIT)),
                            int(min(p.max if p.max is not None else INT_LIMIT, INT_LIMIT)))
            widget.setKeyboardTracking(False)
            widget.editingFinished.connect(lambda: self._finished(p, self.value()))
        elif p.kind == "float" and not p.nullable:
            widget = QDoubleSpinBox()
            widget.setDecimals(6)
            widget.setRange(p.min if p.min is not None else -1e9, p.max if p.max is not None else 1e9)
            widget.setSingleStep(0.05 if p.max is not None and p.max <= 1 else 0.1)
            widget.setKeyboardTracking(False)
            widget.editingFinished.connect(lambda: self._finished(p, self.value()))
        else:
            widget = QLineEdit()
            widget.editingFinished.connect(lambda: self._finished(p, self.value()))
        return widget

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        return parse_text(self.param, w.text())

    def set_value(self, value: Any) -> None:
        w = self.widget
        w.blockSignals(True)
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        else:
            w.setText(show_value(value))
        w.blockSignals(False)


class Inspector(QScrollArea):
    """Shows and edits one layer of a graph; edits go to an undo stack."""

    edit_refused = Signal(str)

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.graph = self.undo_stack = None
        self.layer_id: str | None = None
        self.fields: dict[str, ParamField] = {}
        self.name_edit: QLineEdit | None = None
        self.error_label = QLabel()
        self._show_empty()

    def set_document(self, graph: Any, undo_stack: Any) -> None:
        self.detach()
        self.graph, self.undo_stack = graph, undo_stack
        graph.events.config_changed.connect(self._on_graph_changed)
        graph.events.layer_renamed.connect(self._on_graph_changed)
        graph.events.layer_removed.connect(self._on_graph_layer_removed)
        self.set_layer(None)

    def detach(self) -> None:
        """Stop following the current graph."""
        if self.graph is not None:
            self.graph.events.config_changed.disconnect(self._on_graph_changed)
            self.graph.events.layer_renamed.disconnect(self._on_graph_changed)
            self.graph.events.layer_removed.disconnect(self._on_graph_layer_removed)
        self.graph = None

    # -- building the form ---------------------------------------------------------------------------------
    def _show_empty(self) -> None:
        label = QLabel("Select a layer on the canvas to see and edit its parameters.")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignTop)
        label.setMargin(8)
        self.setWidget(label)
        self.fields, self.name_edit = {}, None

    def set_layer(self, layer_id: str | None, status: LayerStatus | None = None) -> None:
        """Show ``layer_id``'s parameters (or a hint when none is selected)."""
        self.layer_id = layer_id
        if layer_id is None or self.graph is None or layer_id not in self.graph:
            self.layer_id = None
            self._show_empty()
            return
        layer = self.graph.layer(layer_id)
        page = QWidget()
        box = QVBoxLayout(page)
        box.addWidget(QLabel(f"<b>{layer.type_name}</b>"))
        doc = QLabel(plain_doc(layer.type_name))
        doc.setTextFormat(Qt.PlainText)  # the doc is text: an apostrophe must not become an HTML entity
        doc.setWordWrap(True)
        doc.setObjectName("layerDoc")  # coloured by the light and dark style sheets
        box.addWidget(doc)
        box.addLayout(self._build_form(layer))
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("layerError")
        self.shape_label = QLabel()
        self.shape_label.setWordWrap(True)
        box.addWidget(self.error_label)
        box.addWidget(self.shape_label)
        box.addStretch(1)
        self.setWidget(page)
        guard_wheel(page)  # scrolling the inspector never edits a field it passes over
        self._load_values()
        self.show_status(status)

    def _build_form(self, layer: Any) -> QFormLayout:
        """The name field and one field per parameter, labelled with the parameter's Keras name."""
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.editingFinished.connect(self._on_name_edited)
        form.addRow("name", self.name_edit)
        self.fields = {}
        for param in layer.params:
            field = ParamField(param, self._on_field_finished)
            self.fields[param.name] = field
            label = QLabel(param.name)
            label.setToolTip(param.help)
            form.addRow(label, field.widget)
        return form

    def _load_values(self) -> None:
        layer = self.graph.layer(self.layer_id)
        self.name_edit.setText(layer.name)
        for name, field in self.fields.items():
            field.set_value(layer.config.get(name))

    def show_status(self, status: LayerStatus | None) -> None:
        """Show the layer's input and output shapes and parameter count, or its error."""
        if self.layer_id is None or status is None:
            return
        if status.ok:
            inputs = ", ".join(format_shape(s) for s in status.input_shapes) or "—"
            text = (f"input {inputs}<br>output <b>{format_shape(status.output_shape)}</b><br>"
                    f"{format_count(status.params)} parameters")
        else:
            text = f"<span style='color:#d62728'>⚠ {html.escape(status.error)}</span>"
        self.shape_label.setText(text)

    # -- edits ---------------------------------------------------------------------------------------------
    def _on_field_finished(self, param: Param, value: Any) -> None:
        if self.layer_id is None:
            return
        layer = self.graph.layer(self.layer_id)
        try:
            new = layer.with_config({param.name: value})
        except (NeuroCanvasError, ValueError, TypeError) as exc:
            self._refuse(str(exc))
            return
        reason = refused_size(param, new)
        if reason:
            self._refuse(reason)
            return
        self.error_label.clear()
        if new.config[param.name] != layer.config[param.name]:
            self.undo_stack.push(SetConfigCommand(self.graph, self.layer_id, {param.name: new.config[param.name]}))
        self._load_values()

    def _on_name_edited(self) -> None:
        if self.layer_id is None or self.name_edit is None:
            return
        new_name = self.name_edit.text().strip()
        layer_id = self.layer_id
        if new_name == self.graph.layer(layer_id).name:
            return
        taken = new_name and any(self.graph.layer(i).name == new_name for i in self.graph.layer_ids)
        if not new_name or taken:
            self._refuse("a layer name cannot be empty" if not new_name
                         else f"a layer named {new_name!r} already exists: choose another name")
            return
        self.error_label.clear()
        self.undo_stack.push(RenameCommand(self.graph, layer_id, new_name))

    def _refuse(self, reason: str) -> None:
        self.error_label.setText("⚠ " + reason)
        self.edit_refused.emit(reason)
        self._load_values()

    def _on_graph_changed(self, layer_id: str, *args: Any) -> None:
        if layer_id == self.layer_id and self.fields is not None:
            self._load_values()

    def _on_graph_layer_removed(self, layer_id: str) -> None:
        if layer_id == self.layer_id:
            self.set_layer(None)
