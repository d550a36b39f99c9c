"""The trained model is the document: train → save → reopen shows the same history, settings and views, and
Continue goes on from the saved weights and optimiser state; a CLI-trained file shows its history; Start never
re-initialises trained weights without asking; autosave recovery brings trained weights back."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from app import document as document_mod
from app import documents_io
from core import load_model
from core.cli import main
from tests.app.test_training_panel import TIMEOUT, choose_sample, use_template


def _train(window, qtbot, epochs=3, sample="spirals"):
    panel = window.training_area
    use_template(window, "xor")
    choose_sample(panel, sample)
    panel.form.sample_params.findChildren(object)  # the sample's parameters are built
    panel.form.epochs.setValue(epochs)
    panel.form.batch_size.setValue(24)
    panel.form.seed.setValue(7)
    panel.form.optimizer.setCurrentText("sgd")
    panel.form.learning_rate.setValue(0.05)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()
    return panel


def _reopen(window, qtbot, path):
    assert documents_io.open_file(window, str(path))
    panel = window.training_area
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=TIMEOUT)  # the views are recomputed in the background
    return panel


def _weights(window):
    return [np.array(w) for w in window.document.model.get_weights()]


def test_train_save_reopen_shows_the_same_history_settings_and_views(window, qtbot, tmp_path):
    panel = _train(window, qtbot)
    assert window.isWindowModified()  # training marks the document modified
    history = window.document.model.history
    panel.form.epochs.setValue(11)  # the settings chosen for the next run are saved too
    assert documents_io._write(window, str(tmp_path / "trained.h5"))
    assert not window.isWindowModified()
    trained = _weights(window)
    window.set_document(document_mod.Document(parent=window))  # another document: nothing of the run stays
    assert panel.plots.runs == [] and not panel.can_continue()
    assert panel.form.epochs.value() == 11  # (an untitled document keeps the form as it is)
    panel.form.epochs.setValue(2)
    panel.form.optimizer.setCurrentText("adam")
    choose_sample(panel, "xor")
    panel = _reopen(window, qtbot, tmp_path / "trained.h5")
    model = window.document.model
    assert model.history.epoch == history.epoch and model.history.history == history.history
    assert len(model.history.batches) == len(history.batches) > 0
    form = panel.form
    assert form.sample.currentData()["name"] == "spirals" and form.optimizer.currentText() == "sgd"
    assert form.learning_rate.value() == pytest.approx(0.05) and form.batch_size.value() == 24
    assert form.seed.value() == 7 and form.epochs.value() == 11
    assert len(panel.plots.runs) == 1 and len(panel.plots.current.epoch_loss) == 3
    assert len(panel.plots.current.batch_loss) == len(history.batches)
    for a, b in zip(_weights(window), trained):
        np.testing.assert_array_equal(a, b)
    assert panel.confusion.isVisible() or panel.confusion.findChildren(object)  # the view exists
    assert panel.can_continue() and window.training_actions.actions["train_start"].text() == "&Continue"
    assert not window.isWindowModified()  # reopening and recomputing the views changes nothing


def test_continue_after_reopening_goes_on_from_the_saved_loss(window, qtbot, tmp_path):
    panel = _train(window, qtbot, epochs=6)
    saved_loss = window.document.model.history.history["loss"][-1]
    first_loss = window.document.model.history.history["loss"][0]
    iterations = window.document.model.optimizer.iterations
    assert documents_io._write(window, str(tmp_path / "trained.h5"))
    panel = _reopen(window, qtbot, tmp_path / "trained.h5")
    assert window.document.model.optimizer.iterations == iterations  # the optimiser state came back
    panel.form.epochs.setValue(1)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert window.training_actions.start_or_continue()  # F5: continue, no question
    history = window.document.model.history
    assert history.epoch == list(range(7))
    next_loss = history.history["loss"][-1]
    assert abs(next_loss - saved_loss) < abs(first_loss - saved_loss)  # from the trained weights, not fresh ones
    assert [(r.first_epoch, r.epochs, r.fresh) for r in window.document.model.runs] == [(0, 6, True), (6, 1, False)]
    assert window.isWindowModified()


def test_a_cli_trained_file_shows_its_history_and_continues(window, qtbot, tmp_path, monkeypatch):
    from core import templates
    from core.api import save_model
    from core.graph import Graph
    from core.io.design import add_design
    graph = Graph()
    add_design(graph, templates.get("xor").design())
    save_model(graph, tmp_path / "d.h5")
    monkeypatch.chdir(tmp_path)
    assert main(["train", "d.h5", "--data", "spirals", "--epochs", "4", "--batch-size", "32", "--quiet"]) == 0
    panel = _reopen(window, qtbot, tmp_path / "d.h5")
    assert len(panel.plots.runs) == 1 and len(panel.plots.current.epoch_loss) == 4
    assert panel.form.sample.currentData()["name"] == "spirals" and panel.form.batch_size.value() == 32
    assert panel.can_continue()


def test_start_on_a_trained_model_asks_before_fresh_weights(window, qtbot, tmp_path, monkeypatch):
    _train(window, qtbot)
    assert documents_io._write(window, str(tmp_path / "trained.h5"))
    panel = _reopen(window, qtbot, tmp_path / "trained.h5")
    trained = _weights(window)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.Cancel)
    panel.buttons["start"].click()
    assert asked and panel.state == "idle"
    for a, b in zip(_weights(window), trained):
        np.testing.assert_array_equal(a, b)
    assert len(window.document.model.history.epoch) == 3


def test_quitting_with_unsaved_training_results_asks(window, qtbot, monkeypatch):
    from app.main_window import MainWindow
    _train(window, qtbot, epochs=1)
    asked = []
    monkeypatch.setattr(MainWindow, "ask_save", lambda self: asked.append(self.document.trained_since_saved)
                        or QMessageBox.Cancel)
    assert not window.close()
    assert asked == [True] and window.isVisible()


def test_autosave_recovery_restores_trained_weights_and_runs(window, qtbot, tmp_path):
    _train(window, qtbot)
    model = window.document.model
    trained, epochs = _weights(window), list(model.history.epoch)
    doc = window.document
    assert doc.recovery_path.exists() and doc.recovery_model_path.exists()  # written when the run ended
    files = document_mod.recovery_files()
    assert doc.recovery_path in files
    # as after a crash: the next session finds the recovery files and restores them
    recovered = document_mod.recover(doc.recovery_path)
    assert recovered.modified and recovered.trained_since_saved
    assert recovered.model.history.epoch == epochs and len(recovered.model.runs) == 1
    for a, b in zip(recovered.model.get_weights(), trained):
        np.testing.assert_array_equal(a, b)
    assert not doc.recovery_path.exists() and not doc.recovery_model_path.exists()


def test_a_template_selects_its_sample(window):
    panel = window.training_area
    choose_sample(panel, "spirals")
    documents_io.open_template(window, "digits")
    assert panel.form.sample.currentData()["name"] == "digits"


def test_a_refused_start_clears_once_its_cause_is_fixed(window):
    panel = window.training_area
    choose_sample(panel, "spirals")
    assert not panel.start()  # nothing drawn yet
    assert "Cannot start training" in panel.message.text()
    use_template(window, "xor")
    window.scene.refresh_status()
    assert "Cannot start training" not in panel.message.text() and "Ready" in panel.message.text()


def test_settings_from_a_strangers_file_are_checked_field_by_field(qtbot):
    from app.training.settings_form import SettingsForm
    form = SettingsForm()
    qtbot.addWidget(form)
    before = form.settings()
    problems = form.apply({"data": {"sample": "no such sample", "params": {"n": -5}}, "validation_split": 7,
                           "loss": "'); import os", "optimizer": {"name": "rm -rf", "learning_rate": "big"},
                           "epochs": -3, "batch_size": 10**12, "seed": True, "backend": None,
                           "augmentation": "yes", "schedule": 3})
    assert problems and "no such sample" in problems[0]
    after = form.settings()
    for key in ("validation_split", "loss", "optimizer", "epochs", "batch_size", "seed", "backend"):
        assert after[key] == before[key], key
    assert form.apply({"data": {"file": "/no/such/file.csv"}})[0].startswith("its data file cannot be read")
    assert form.apply({"data": {"sample": "spirals", "params": {"n": 123, "turns": "x"}}, "epochs": 77}) == []
    assert form.sample_values()["n"] == 123 and form.epochs.value() == 77


def test_opening_a_broken_design_shows_why_and_keeps_the_open_document(window, tmp_path, monkeypatch):
    use_template(window, "xor")
    before = len(window.document.graph)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr(type(window), "maybe_save", lambda self: True)
    for name, text in (("deep.ncd", "[" * 100_000), ("types.ncd", '{"format": "neurocanvas-design", '
                                                                   '"layers": [{"id": 1}], "links": []}')):
        (tmp_path / name).write_text(text)
        assert not documents_io.open_file(window, str(tmp_path / name))
    assert len(shown) == 2 and all(len(t) < 700 for t in shown)
    assert len(window.document.graph) == before
