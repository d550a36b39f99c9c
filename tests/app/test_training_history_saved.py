"""A run trained in the application becomes the model's history, a continued run extends it, and saving the
document keeps it."""

from __future__ import annotations

from core import save_model
from core.io.h5 import read_model
from tests.app.test_training_panel import TIMEOUT, choose_sample, use_template


def test_runs_become_the_saved_history(window, qtbot, tmp_path):
    use_template(window, "xor")
    panel = window.training_area
    choose_sample(panel, "spirals")
    panel.form.epochs.setValue(2)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()
    model = window.document.model
    assert model.history.epoch == [0, 1]
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.continue_training()
    assert model.history.epoch == [0, 1, 2, 3]
    assert len(model.history.history["loss"]) == 4 and len(model.history.history["val_loss"]) == 4
    save_model(model, tmp_path / "trained.h5")
    saved = read_model(tmp_path / "trained.h5").history
    assert saved.epoch == [0, 1, 2, 3] and saved.history["loss"] == model.history.history["loss"]
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()  # a fresh start: new weights, so the history starts again
    assert model.history.epoch == [0, 1]


def test_a_continued_cli_history_extends_with_shifted_epochs():
    from core.training import History
    first = History(history={"loss": [3.0, 2.0]}, epoch=[0, 1])
    again = History(history={"loss": [1.5], "accuracy": [0.9]}, epoch=[0], stop_reason="stopped by the user")
    both = first.extended(again)
    assert both.epoch == [0, 1, 2] and both.history == {"loss": [3.0, 2.0, 1.5], "accuracy": [0.9]}
    assert both.stop_reason == "stopped by the user"
    assert first.extended(History(history={"loss": [1.0]}, epoch=[2])).epoch == [0, 1, 2]  # numbered already
    assert History().extended(again) is again
