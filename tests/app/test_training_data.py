"""The user's own data: a file read, previewed with its detected task and shapes, and trained on."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QTableWidget

from app.undo_commands import InsertDesignCommand
from app.training import data_import
from core import templates
from tests.app.test_training_panel import TIMEOUT, use_template


def write_csv(path, n=60):
    rng = np.random.default_rng(0)
    rows = ["a,b,c,d,kind"] + [f"{v[0]:.3f},{v[1]:.3f},{v[2]:.3f},{v[3]:.3f},{'yes' if v.sum() > 0 else 'no'}"
                                for v in rng.standard_normal((n, 4))]
    path.write_text("\n".join(rows) + "\n")


def test_csv_preview_is_a_table(qtbot, tmp_path):
    write_csv(tmp_path / "people.csv")
    data = data_import.load_file(str(tmp_path / "people.csv"))
    dialog = data_import.ImportDialog(data)
    qtbot.addWidget(dialog)
    assert isinstance(dialog.preview, QTableWidget) and dialog.preview.columnCount() == 5
    summary = dialog.findChild(QLabel, "importSummary").text()
    assert "classification" in summary and "(4,)" in summary


def test_two_column_npz_preview_is_a_scatter_plot(qtbot, tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "points.npz", x=rng.standard_normal((50, 2)).astype(np.float32),
             y=rng.integers(0, 2, 50))
    data = data_import.load_file(str(tmp_path / "points.npz"))
    widget = data_import.preview_widget(data)
    qtbot.addWidget(widget)
    assert isinstance(widget, pg.PlotWidget)


def test_unknown_file_is_refused_with_the_fix(tmp_path):
    (tmp_path / "notes.doc").write_text("x")
    try:
        data_import.load_file(str(tmp_path / "notes.doc"))
    except data_import.DataError as exc:
        assert "CSV" in str(exc)
    else:
        raise AssertionError("a .doc file was accepted")


def test_train_on_own_file(window, qtbot, tmp_path):
    write_csv(tmp_path / "people.csv", n=80)
    use_template(window, "wine")  # 13 inputs
    panel = window.training_area
    panel.add_dataset(data_import.load_file(str(tmp_path / "people.csv")))
    assert not panel.start() and "InputLayer expects (None, 13)" in panel.message.text()
    window.document.undo_stack.undo()
    design = templates.chain(("InputLayer", {"shape": (4,)}), ("Dense", {"units": 8, "activation": "relu"}),
                             ("Dense", {"units": 1, "activation": "sigmoid"}))
    window.document.undo_stack.push(InsertDesignCommand(window.document.graph, design, text="Design"))
    panel.form.epochs.setValue(2)
    with qtbot.waitSignal(panel.run_finished, timeout=TIMEOUT) as blocker:
        assert panel.start()
    assert blocker.args[0].outcome == "finished"
    panel.show_view(panel.predictions)
    assert panel.predictions.table.rowCount() == 16  # the validation fifth, as a table
