"""The training panel driven as a user would: choose a sample, start, watch records arrive, pause, step, resume,
stop, train again (the curves overlay), continue, close the window mid-run; impossible combinations refused."""

from __future__ import annotations

import pytest

from app.undo_commands import InsertDesignCommand
from core import templates

TIMEOUT = 60_000  # ms: generous, the machine may be loaded


def use_template(window, key: str) -> None:
    doc = window.document
    doc.undo_stack.push(InsertDesignCommand(doc.graph, templates.get(key).design(), text="Template"))


def choose_sample(panel, name: str) -> None:
    names = [panel.form.sample.itemData(i)["name"] for i in range(panel.form.sample.count())]
    panel.form.sample.setCurrentIndex(names.index(name))


@pytest.fixture
def panel(window):
    """The training panel of a window holding the 2-D two-class design, on the spirals sample."""
    use_template(window, "xor")
    panel = window.training_area
    choose_sample(panel, "spirals")
    panel.form.learning_rate.setValue(0.01)
    return panel


def batches_seen(panel) -> int:
    return len(panel.plots.current.batch_x)


def test_loss_is_preselected_for_the_output(panel):
    assert panel.form.loss.currentText() == "binary_crossentropy"  # one sigmoid unit, two classes
    choose_sample(panel, "blobs")
    panel.check()
    assert panel.form.loss.currentText() == "binary_crossentropy"  # blobs has 3 classes: refused, not re-chosen


def test_start_pause_step_resume_stop(panel, window, qtbot):
    panel.form.epochs.setValue(5000)
    assert panel.start()
    worker = panel.worker
    assert not window.palette.isEnabled()  # the design is locked while training
    with qtbot.waitSignal(panel.records_arrived, timeout=TIMEOUT):
        pass
    qtbot.waitUntil(lambda: batches_seen(panel) > 0, timeout=TIMEOUT)
    panel.pause()
    qtbot.waitUntil(lambda: worker.trainer.paused, timeout=TIMEOUT)
    qtbot.wait(300)  # the batch that was running when pause was pressed arrives
    before = batches_seen(panel)
    panel.step()
    qtbot.waitUntil(lambda: batches_seen(panel) == before + 1, timeout=TIMEOUT)
    qtbot.wait(200)
    assert batches_seen(panel) == before + 1  # one batch, then paused again
    assert panel.state == "paused"
    panel.resume()
    qtbot.waitUntil(lambda: batches_seen(panel) > before + 3, timeout=TIMEOUT)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT) as blocker:
        panel.stop()
    assert blocker.args[0].outcome == "stopped"
    assert window.palette.isEnabled() and panel.state == "idle"
    assert "samples/s" in panel.progress_label.text() and "ETA" in panel.progress_label.text()


def test_second_run_overlays_and_continue(panel, qtbot):
    panel.form.epochs.setValue(2)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()
    first = panel.plots.curves[0].items["epoch_loss"]
    assert len(first.xData) == 2
    assert panel.boundary.updates > 0  # the decision boundary was drawn during the run
    assert panel.confusion.matrix is not None and panel.confusion.matrix.sum() == 80  # the validation split
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.continue_training()
    assert len(panel.plots.runs) == 1 and len(panel.plots.current.epoch_x) == 4  # same run, two more epochs
    assert panel.window_.document.model.trainer.epochs_done == 4
    panel.form.optimizer.setCurrentText("sgd")
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()
    assert len(panel.plots.runs) == 2
    assert len(first.xData) == 4 and first.isVisible()  # the earlier run stays on the plot
    assert "sgd" in panel.plots.runs[1].name and "adam" in panel.plots.runs[0].name
    panel.plots.runs_list.item(0).setCheckState(panel.plots.runs_list.item(0).checkState().Unchecked)
    assert not first.isVisible()


def test_closing_the_window_stops_training(panel, window, qtbot):
    panel.form.epochs.setValue(5000)
    assert panel.start()
    worker = panel.worker
    with qtbot.waitSignal(panel.records_arrived, timeout=TIMEOUT):
        pass
    assert window.close()
    assert not worker.running


@pytest.mark.parametrize("template, sample, loss, expected", [
    ("blobs", "spirals", None, "give 'dense_2' 2 units"),
    ("mlp", "spirals", None, "InputLayer expects (None, 784)"),
    ("xor", "spirals", "sparse_categorical_crossentropy", "use binary_crossentropy"),
    ("xor", "sine", "binary_crossentropy", "is for class labels"),
])
def test_impossible_combinations_are_refused(window, template, sample, loss, expected):
    use_template(window, template)
    panel = window.training_area
    choose_sample(panel, sample)
    if loss:
        panel.form.loss.setCurrentText(loss)
        panel.form.loss_chosen_by_user = True
    assert not panel.start()
    assert panel.state == "idle" and panel.worker is None
    assert "Cannot start training" in panel.message.text() and expected in panel.message.text()


def test_invalid_network_is_refused(window):
    panel = window.training_area
    assert not panel.start()  # an empty canvas
    assert "no InputLayer" in panel.message.text()


def test_nan_stop_is_explained(window, qtbot):
    use_template(window, "regression")
    panel = window.training_area
    choose_sample(panel, "sine")
    panel.form.optimizer.setCurrentText("sgd")
    panel.form.learning_rate.setValue(10.0)
    panel.form.epochs.setValue(50)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT) as blocker:
        assert panel.start()
    assert blocker.args[0].outcome == "error"
    assert "Lower the learning rate" in panel.message.text()
    assert "largest gradient norm" in panel.health.stop_note.text()
