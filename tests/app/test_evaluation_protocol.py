"""The evaluation-view contract: the panel shows every registered view as a tab, and a view that applies to a
run hears it start, receives its records and hears it end; one that does not apply hears nothing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from app.evaluation import registry
from app.evaluation.base import EvaluationView
from app.training.worker import Predictions
from core.training import BatchEnd, EpochEnd

TIMEOUT = 60_000  # ms: generous, the machine may be loaded


class Probe(QWidget, EvaluationView):
    key = "probe"
    title = "Probe"

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple] = []
        self.kinds: set[type] = set()

    def data_changed(self, data):
        self.events.append(("data", data.name))

    def run_started(self, context):
        self.events.append(("start", context.fresh, context.input_shape, len(context.eval_labels)))

    def records(self, packet, context):
        self.kinds.update(type(r) for r in packet)
        self.events.append(("records", len(packet)))

    def run_finished(self, outcome, context):
        self.events.append(("end", outcome.outcome))


class Bystander(Probe):
    key = "bystander"
    title = "Bystander"

    def applies_to(self, context):
        return False


@pytest.fixture
def panel(qtbot, monkeypatch):
    from app.main_window import MainWindow

    registry.register(Probe)
    registry.register(Bystander)
    try:
        monkeypatch.setattr(MainWindow, "ask_save", lambda self: QMessageBox.Discard)
        window = MainWindow()
        qtbot.addWidget(window)
    finally:
        registry.unregister(Probe)
        registry.unregister(Bystander)
    window.open_template("xor")
    yield window.training_area


def test_every_registered_view_is_a_tab_in_registry_order(panel):
    titles = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    assert titles == ["Curves"] + [cls.title for cls in registry.evaluation_views()] + ["Probe", "Bystander"]
    assert panel.probe is panel.views[-2] and isinstance(panel.boundary, EvaluationView)


def test_a_registered_view_receives_the_runs_start_records_and_end(panel, qtbot):
    names = [panel.form.sample.itemData(i)["name"] for i in range(panel.form.sample.count())]
    panel.form.sample.setCurrentIndex(names.index("spirals"))
    assert ("data", "spirals") in panel.probe.events
    panel.probe.events.clear()
    panel.form.epochs.setValue(2)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.start()
    events = panel.probe.events
    assert events[0][:3] == ("start", True, (2,)) and events[0][3] > 0
    assert events[-1] == ("end", "finished")
    assert all(e[0] == "records" for e in events[1:-1]) and len(events) > 2
    assert {BatchEnd, EpochEnd, Predictions} <= panel.probe.kinds
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT):
        assert panel.continue_training()
    assert [e for e in events if e[0] == "start"][-1][:2] == ("start", False)
    assert panel.bystander.events == [e for e in panel.bystander.events if e[0] == "data"]


def test_the_registry_refuses_views_without_a_key_or_with_a_taken_one():
    with pytest.raises(ValueError, match="must set key and title"):
        registry.register(type("Nameless", (Probe,), {"key": ""}))
    with pytest.raises(ValueError, match="already has the key 'boundary'"):
        registry.register(type("Twin", (Probe,), {"key": "boundary"}))
