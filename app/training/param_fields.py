"""Form fields made from a parameter spec (:class:`core.params.Param`): the kind of box, its range, its tooltip
and how its value reads back all come from the spec, so a form never guesses a range the model would refuse."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QSpinBox, QWidget

from core.params import Param

LIMIT = 1e6  # the box's bound where the spec has none
OFF = "off"  # what a nullable number shows at its lowest value, which reads back as None


def param_box(param: Param, value: Any) -> QWidget:
    """A check box for a bool, a spin box within the spec's range for a number (``value`` None: "off")."""
    if param.kind == "bool":
        box = QCheckBox()
        box.setChecked(bool(value))
    elif param.kind == "int":
        box = QSpinBox()
        low = -2**31 + 1 if param.min is None else int(param.min) + int(param.min_open)
        box.setRange(low, 2**31 - 1 if param.max is None else int(param.max) - int(param.max_open))
    else:
        box = _float_box(param, value)
    if param.nullable and param.kind in ("int", "float"):
        box.setMinimum(min(box.minimum(), 0))
        box.setSpecialValueText(OFF)
    if isinstance(box, (QSpinBox, QDoubleSpinBox)):
        box.setValue(box.minimum() if value is None else value)
    box.setToolTip(f"{param.help} ({param.describe()})" if param.help else param.describe())
    return box


def _float_box(param: Param, value: Any) -> QDoubleSpinBox:
    decimals = 8 if value and abs(value) < 1e-3 else 4
    tick = 10.0 ** -decimals
    low = -LIMIT if param.min is None else param.min + (tick if param.min_open else 0.0)
    high = LIMIT if param.max is None else param.max - (tick if param.max_open else 0.0)
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(0.01)
    return box


def box_value(param: Param, box: QWidget) -> Any:
    """The value a box made by :func:`param_box` holds (None for a nullable number left "off")."""
    if isinstance(box, QCheckBox):
        return box.isChecked()
    if param.nullable and box.value() == box.minimum():
        return None
    return box.value()
