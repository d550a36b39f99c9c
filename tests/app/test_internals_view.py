"""The Inside view: a drawing chosen by the output's rank, live looks computed by the worker while a run goes, the
final weights' look after it and for a reviewed model, the canvas selection choosing the layer, and the confusion
matrix's cells listing exactly their samples and sending one to the Inside view."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

import core
from app.evaluation import internals
from app.evaluation.confusion import cell_samples, predicted_labels
from app.evaluation.images import feature_grid, heat_rgb
from app.evaluation.internals import drawing_for
from app.training.worker import InsideRecord, InsideRequest, Job, TrainingWorker
from core.inspect import Look, look

TIMEOUT = 120_000  # ms: generous, the machine may be loaded


def test_the_drawing_follows_the_outputs_rank():
    assert drawing_for(np.zeros((4, 4, 3)), is_output=False) == "maps"
    assert drawing_for(np.zeros((2, 4, 4, 3)), is_output=False) == "maps"
    assert drawing_for(np.zeros((7, 5)), is_output=False) == "strip"
    assert drawing_for(np.zeros(9), is_output=False) == "bars"
    assert drawing_for(np.zeros(()), is_output=False) == "bars"
    assert drawing_for(np.zeros(10), is_output=True) == "probabilities"


def test_feature_maps_tile_into_one_grid_each_scaled_on_its_own():
    maps = np.stack([np.full((3, 2), 5.0), np.arange(6.0).reshape(3, 2) * 100, np.zeros((3, 2))], axis=-1)
    grid = feature_grid(maps)
    assert grid.shape == (3 * 2 + 1, 2 * 2 + 1)  # 2 columns × 2 rows of 3×2 maps, 1 pixel apart
    np.testing.assert_allclose(grid[:3, 3:], np.arange(6.0).reshape(3, 2) / 5)
    assert np.isnan(grid[3]).all() and np.isnan(grid[4:, 3:]).all()  # the gap, and the empty fourth tile
    assert heat_rgb(np.array([[0.0, 1.0]])).tolist() == [[[0, 0, 0], [255, 255, 255]]]


def test_a_cells_list_holds_exactly_the_samples_of_that_cell():
    labels = np.array([0, 1, 2, 1, 1, 0, 2, 1])
    predicted = np.array([0, 2, 2, 2, 1, 2, 2, 2])
    confidence = np.array([0.9, 0.5, 0.8, 0.7, 0.6, 0.4, 0.3, 0.7])
    assert cell_samples(labels, predicted, confidence, 1, 2).tolist() == [3, 7, 1]  # most confident first
    assert cell_samples(labels, predicted, confidence, 0, 2).tolist() == [5]
    assert cell_samples(labels, predicted, confidence, 2, 0).tolist() == []


def small_trainer(side=6):
    model = core.Sequential([core.InputLayer(shape=(side, side, 1)), core.Conv2D(3, 3, padding="same",
                             activation="relu"), core.Flatten(), core.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", seed=0)
    return model.trainer


def test_a_review_job_sends_the_look_of_the_current_weights(qtbot):
    trainer = small_trainer()
    x = np.random.default_rng(0).uniform(size=(5, 6, 6, 1)).astype(np.float32)
    conv = trainer.network.order[1]
    worker = TrainingWorker(trainer, Job(x, np.zeros(5, np.int64), 0, 4, review=True,
                                         inside=InsideRequest(x, 3, conv)))
    packets = []
    worker.records.connect(packets.append)
    with qtbot.waitSignal(worker.finished, timeout=TIMEOUT):
        worker.start()
    records = [r for p in packets for r in p if isinstance(r, InsideRecord)]
    assert len(records) == 1 and records[0].index == 3
    expected = look(trainer.network, x[3], conv)
    np.testing.assert_allclose(records[0].look.output, expected.output, rtol=1e-6)
    assert records[0].look.output.shape == (6, 6, 3) and records[0].look.cam is not None


@pytest.fixture
def digits(window):
    window.open_template("digits")
    return window


def test_the_inside_view_follows_a_digits_run_and_then_looks_itself(digits, qtbot, monkeypatch):
    panel, gui = digits.training_area, threading.current_thread()
    inside, confusion = panel.inside, panel.confusion
    calls = []

    def watched(*args, **kwargs):  # the view's own looks: never while a run goes, always on the GUI thread
        calls.append((inside.running, threading.current_thread() is gui))
        return look(*args, **kwargs)

    monkeypatch.setattr(internals, "look", watched)
    seen = []
    monkeypatch.setattr(inside, "show_look", lambda i, s, draw=inside.show_look: (seen.append((i, s)), draw(i, s)))
    panel.form.epochs.setValue(2)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()
    net = panel.context.network
    assert seen, "no look arrived from the worker"
    index, final = inside.shown
    assert index == 0 and final.layer_id == net.output_ids[0] and final.probabilities.shape == (10,)
    np.testing.assert_allclose(final.probabilities, net.predict([panel.context.eval_x[:1]])[0][0], rtol=1e-5,
                               atol=1e-6)  # the final weights' look
    assert final.saliency.shape == (8, 8) and final.cam.shape == (8, 8)
    assert not inside.picture_row.isHidden()
    assert calls == []  # the worker's looks came in records; the view looked at nothing itself

    conv = net.order[1]
    assert net.layers[conv].type_name == "Conv2D"
    digits.scene.select_layers([conv])  # the canvas selection chooses the layer
    assert inside.layer.currentData() == conv
    assert inside.shown[1].layer_id == conv and inside.shown[1].output.shape == (8, 8, 16)
    assert calls == [(False, True)]
    assert inside.image.isVisible()
    inside.sample.setValue(4)
    assert inside.shown[0] == 4

    labels = np.asarray(panel.context.eval_labels)
    predicted = predicted_labels(net.predict([panel.context.eval_x])[0])
    true_class = int(labels[0])
    wrong = np.flatnonzero((labels == true_class) & (predicted != true_class))
    for j in {true_class, int(predicted[wrong[0]]) if len(wrong) else (true_class + 1) % 10}:
        listed = confusion.show_cell(true_class, j)
        assert sorted(listed.tolist()) == np.flatnonzero((labels == true_class) & (predicted == j)).tolist()
        assert confusion.cell_list.count() == len(listed)
    listed = confusion.show_cell(true_class, true_class)
    item = confusion.cell_list.item(len(listed) - 1)
    confusion.cell_list.itemClicked.emit(item)  # choosing a sample shows it in the Inside view
    assert inside.sample.value() == int(item.data(Qt.UserRole)) == listed[-1]
    assert panel.tabs.tabText(panel.tabs.currentIndex()) == "Inside"


def test_the_view_draws_a_sequence_as_a_strip_and_a_vector_as_bars(qtbot):
    view = internals.InsideView()
    qtbot.addWidget(view)
    probabilities = np.array([0.2, 0.8])
    view.show_look(0, Look("lstm", np.arange(15.0).reshape(5, 3), probabilities, 1))
    assert view.image.isVisible() and view.image.image.shape[:2] == (3, 5)  # features as rows, time along x
    assert "time × features" in view.summary.text()
    view.show_look(0, Look("dense", np.arange(7.0), probabilities, 1))
    assert not view.image.isVisible() and len(view.bars.opts["height"]) == 7
    assert view.picture_row.isHidden()
