"""The training panel, the command line and the Keras script export choose the same loss for the same data set
and network, because all three ask core.tasks."""

from __future__ import annotations

import re

import pytest

from app.undo_commands import InsertDesignCommand
from core.api import load_model, save_model
from core.cli import main
from core.io.codegen import keras_script
from core.io.design import snapshot
from tests.app.test_training_panel import choose_sample
from tests.core.test_tasks import CASES, network


def _panel_loss(window, graph, sample: str) -> str:
    doc = window.document
    doc.undo_stack.push(InsertDesignCommand(doc.graph, snapshot(graph), text="Design"))
    panel = window.training_area
    choose_sample(panel, sample)
    panel.check()
    return panel.form.loss.currentText()


def _command_line_loss(graph, sample: str, folder) -> str:
    save_model(graph, folder / "design.h5")
    assert main(["train", str(folder / "design.h5"), "--data", sample, "--epochs", "1", "--quiet", "--out",
                 str(folder / "trained.h5")]) == 0
    return load_model(folder / "trained.h5").loss.name


def _export_loss(window) -> str:
    found = re.search(r"loss=[\"']([a-z_]+)[\"']", keras_script(window.document.model))
    return found.group(1) if found else ""


@pytest.mark.parametrize("net, sample, expected", CASES, ids=[case[1] for case in CASES])
def test_gui_command_line_and_export_agree(window, net, sample, expected, tmp_path):
    gui = _panel_loss(window, network(net), sample)
    assert (gui, _command_line_loss(network(net), sample, tmp_path), _export_loss(window)) == (expected,) * 3
