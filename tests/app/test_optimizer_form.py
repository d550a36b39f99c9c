"""The training form's optimiser fields come from each optimiser's Param spec: no box offers a value the
optimiser would refuse, and the values read back build the optimiser."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDoubleSpinBox

from app.training.settings_form import SettingsForm
from core import optimizers


@pytest.fixture
def form(qtbot):
    form = SettingsForm()
    qtbot.addWidget(form)
    return form


@pytest.mark.parametrize("name", optimizers.names())
def test_every_box_stays_inside_the_optimisers_range(form, name):
    form.optimizer.setCurrentText(name)
    spec = {p.name: p for p in type(optimizers.get(name)).param_spec()}
    assert form.optimizer_boxes
    for key, box in form.optimizer_boxes.items():
        if isinstance(box, QDoubleSpinBox):
            lowest = box.minimum() if not spec[key].nullable else box.minimum() + box.singleStep()
            for value in (lowest, box.maximum()):
                spec[key].validate(name, value)  # raises if the box offers a value the optimiser refuses
    form.optimizer_instance()  # the defaults read back build it


def test_the_ranges_are_the_real_ones(form):
    form.optimizer.setCurrentText("adam")
    boxes = form.optimizer_boxes
    assert boxes["beta_1"].maximum() < 1.0 and boxes["beta_2"].maximum() < 1.0 and boxes["epsilon"].minimum() > 0
    assert boxes["epsilon"].value() == pytest.approx(1e-7)
    form.optimizer.setCurrentText("sgd")
    form.optimizer_boxes["momentum"].setValue(2.0)  # clamped by the box
    assert form.optimizer_instance().momentum < 1.0
    assert form.optimizer_instance().clipnorm is None  # "off"
    form.optimizer_boxes["clipnorm"].setValue(1.5)
    assert form.optimizer_instance().clipnorm == 1.5
