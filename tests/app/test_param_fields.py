"""Form fields from the parameter spec: ranges with open and closed bounds, "off" for None, values read back."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QSpinBox

from app.training.param_fields import box_value, param_box
from core.params import Param


def test_a_half_open_range_keeps_the_box_inside_it(qtbot):
    momentum = Param("momentum", "float", 0.0, "velocity kept", min=0.0, max=1.0, max_open=True)
    box = param_box(momentum, 0.9)
    qtbot.addWidget(box)
    assert isinstance(box, QDoubleSpinBox) and box.minimum() == 0.0 and 0.999 < box.maximum() < 1.0
    box.setValue(5.0)
    assert momentum.validate("SGD", box_value(momentum, box)) < 1.0
    assert "velocity kept" in box.toolTip() and "< 1" in box.toolTip()


def test_a_positive_number_cannot_reach_zero_and_small_values_keep_their_digits(qtbot):
    epsilon = Param("epsilon", "float", 1e-7, min=0.0, min_open=True)
    box = param_box(epsilon, 1e-7)
    qtbot.addWidget(box)
    assert box.decimals() == 8 and 0.0 < box.minimum() <= 1e-7 and box.value() == 1e-7
    box.setValue(0.0)
    assert epsilon.validate("Adam", box_value(epsilon, box)) > 0


def test_a_nullable_number_reads_none_when_off(qtbot):
    clip = Param("clipnorm", "float", None, min=0.0, min_open=True, nullable=True)
    box = param_box(clip, None)
    qtbot.addWidget(box)
    assert box.value() == box.minimum() == 0.0 and box.specialValueText() == "off"
    assert box_value(clip, box) is None
    box.setValue(2.5)
    assert box_value(clip, box) == 2.5


def test_bools_and_ints(qtbot):
    flag, count = Param("nesterov", "bool", False), Param("steps", "int", 3, min=0, min_open=True, max=10)
    check, spin = param_box(flag, True), param_box(count, 3)
    qtbot.addWidget(check)
    qtbot.addWidget(spin)
    assert isinstance(check, QCheckBox) and box_value(flag, check) is True
    assert isinstance(spin, QSpinBox) and (spin.minimum(), spin.maximum(), box_value(count, spin)) == (1, 10, 3)
