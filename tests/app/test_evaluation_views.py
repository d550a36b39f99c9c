"""The evaluation views on their own: confusion matrix, predictions gallery and table, decision boundary,
training-health warnings, augmentation preview and the optimiser playground."""

from __future__ import annotations

import numpy as np
import pytest

import app  # noqa: F401  (before any widget: the binding work-around)
from app.evaluation.augment_view import AugmentationPreview
from app.evaluation.boundary import BoundaryView, class_image, grid_for
from app.evaluation.confusion import ConfusionView
from app.evaluation.health import HealthView, diagnose
from app.evaluation.playground import SURFACES, OptimizerPlayground, Racer
from app.evaluation.predictions import PredictionsView
from app.training.settings_form import SettingsForm
from app.training.worker import HealthRecord
from core.data import load_sample
from core.kernels import get_backend


@pytest.fixture(scope="module")
def digits():
    return load_sample("digits")


def fake_outputs(labels, classes, wrong_every=5):
    """Probabilities that pick the true class except for every ``wrong_every``-th sample."""
    pred = np.array(labels)
    pred[::wrong_every] = (pred[::wrong_every] + 1) % classes
    out = np.full((len(labels), classes), 0.1 / (classes - 1), np.float32)
    out[np.arange(len(labels)), pred] = 0.9
    return out, pred


def test_confusion_matrix_with_precision_and_recall(qtbot, digits):
    view = ConfusionView()
    qtbot.addWidget(view)
    labels = digits.y[:200]
    outputs, pred = fake_outputs(labels, 10)
    view.set_result(outputs, labels, digits, "validation")
    assert view.matrix.sum() == 200 and np.trace(view.matrix) == int(np.sum(pred == labels))
    assert view.table.columnCount() == 12
    recall_0 = np.mean(pred[labels == 0] == 0)
    assert view.table.item(0, 11).text() == f"{recall_0:.0%}"
    assert "accuracy 80.0%" in view.heading.text()


def test_gallery_filters_and_sorts(qtbot, digits):
    view = PredictionsView()
    qtbot.addWidget(view)
    view.show()
    labels = digits.y[:100]
    outputs, pred = fake_outputs(labels, 10)
    outputs[3] = 0.1  # a flat, unsure prediction
    outputs[3, labels[3]] = 0.15
    view.set_result(digits.x[:100], outputs, labels, digits)
    assert view.pages.currentWidget() is view.gallery and view.gallery.count() == 100
    assert view.selected_rows()[0] == 3  # least confident first
    view.filter.setCurrentIndex(view.filter.findText("wrong only"))
    assert view.gallery.count() == int(np.sum(pred != labels))
    view.filter.setCurrentIndex(view.filter.findText("class 7"))
    assert view.gallery.count() == int(np.sum(labels == 7))


def test_table_for_tabular_data(qtbot):
    iris = load_sample("iris")
    view = PredictionsView()
    qtbot.addWidget(view)
    outputs, _ = fake_outputs(iris.y, 3)
    view.set_result(iris.x, outputs, iris.y, iris)
    assert view.table.rowCount() == 0  # not on screen: built when shown
    view.show()
    assert view.pages.currentWidget() is view.table
    assert view.table.rowCount() == len(iris.y) and view.table.columnCount() == 4 + 3


def test_decision_boundary_colours_classes(qtbot):
    data = load_sample("blobs")
    grid = grid_for(data.x, size=20)
    assert grid.points.shape == (400, 2)
    outputs = np.zeros((400, 3), np.float32)
    outputs[:, 2] = 1.0
    image = class_image(outputs, 20)
    assert image.shape == (20, 20, 3) and np.all(image[..., 1] > image[..., 0])  # green: class 2
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_data(data.x, data.y, data, grid)
    view.set_outputs(outputs)
    assert view.updates == 1 and view.image.image is not None


def record(step, grads, weights, dead=()):
    return HealthRecord(step, ("dense", "dense_1"), grads, weights, dead)


def test_health_warnings():
    calm = [record(i, (0.5, 0.3), (4.0, 2.0), (("dense", 1, 16),)) for i in range(4)]
    assert diagnose(calm) == []
    vanishing = [record(i, (1e-12, 0.3), (4.0, 2.0)) for i in range(4)]
    assert any("Vanishing gradients in 'dense'" in w for w in diagnose(vanishing))
    exploding = [record(i, (0.5, 1e6), (4.0, 2.0)) for i in range(4)]
    assert any("Exploding gradients in 'dense_1'" in w for w in diagnose(exploding))
    dead = [record(i, (0.5, 0.3), (4.0, 2.0), (("dense", 12, 16),)) for i in range(4)]
    assert any("Dead ReLU units in 'dense': 12 of 16" in w for w in diagnose(dead))


def test_health_view_plots_and_explains_stop(qtbot):
    view = HealthView()
    qtbot.addWidget(view)
    view.show()
    for i in range(4):
        view.add(record(i, (0.5, 1e6), (4.0, 2.0)))
    view.redraw()
    assert set(view.curves) == {"dense", "dense_1"}
    assert view.warnings.count() == 1
    view.explain_stop("the loss became NaN at epoch 1, batch 4")
    assert "'dense_1'" in view.stop_note.text()


def test_augmentation_preview_redraws(qtbot, digits):
    form = SettingsForm()
    preview = AugmentationPreview(form)
    qtbot.addWidget(form)
    qtbot.addWidget(preview)
    preview.set_image(digits.x[0])
    first = preview.grid.copy()
    assert first.shape == (24, 24, 1)
    assert np.array_equal(first[:8, :8], digits.x[0])  # the original, top left
    preview.redraw_new()
    assert not np.array_equal(first, preview.grid)
    assert not preview.picture.pixmap().isNull()


def test_playground_optimisers_race(qtbot):
    k = get_backend("cpu")
    surface = SURFACES["Rosenbrock"]
    sgd, momentum = Racer("SGD", surface, 1e-3, 0), Racer("Momentum", surface, 1e-3, 0)
    for _ in range(300):
        sgd.step(k)
        momentum.step(k)
    distance = [np.hypot(*(r.w - (1.0, 1.0))) for r in (sgd, momentum)]
    assert distance[1] < distance[0]  # momentum runs along the valley faster
    view = OptimizerPlayground()
    qtbot.addWidget(view)
    view.surface_box.setCurrentText("Saddle")
    view.start()
    qtbot.waitUntil(lambda: all(len(r.path) > 20 for r in view.racers), timeout=30_000)
    view.timer.stop()
    assert len(view.racers) == 6 and all(len(line.xData) > 20 for line in view.lines)
