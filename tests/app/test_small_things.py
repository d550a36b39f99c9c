"""Small things a new user meets: drops onto links, the start page, the training plots, the evaluation views'
looks in both colour schemes, and the export menu's words."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.mime import LAYER_MIME
from app.undo_commands import AddLayerCommand, ConnectCommand


# -- dropping a layer onto a link -------------------------------------------------------------------------------
def _add(window, type_name, config=None, pos=(0.0, 0.0)):
    command = AddLayerCommand(window.document.graph, type_name, config, pos=pos)
    window.document.undo_stack.push(command)
    return command.layer_id


def _linked_pair(window):
    graph = window.document.graph
    a = _add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    b = _add(window, "Dense", {"units": 3}, (600, 0))
    window.document.undo_stack.push(ConnectCommand(graph, a, b))
    window.scene.refresh_status()
    link = next(iter(window.scene.links.values()))
    window.view.centerOn(link._mid)
    return a, b, link


def _mime(window, type_name):
    item = next(i for i in window.palette.type_items() if i.text(0) == type_name)
    return window.palette.tree.mimeData([item])


def _drag_over(window, mime, scene_pos):
    point = window.view.mapFromScene(scene_pos)
    viewport = window.view.viewport()
    QApplication.sendEvent(viewport, QDragEnterEvent(point, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    event = QDragMoveEvent(point, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window.view.viewport(), event)


def _drop(window, mime, scene_pos):
    _drag_over(window, mime, scene_pos)
    point = window.view.mapFromScene(scene_pos)
    QApplication.sendEvent(window.view.viewport(),
                           QDropEvent(QPointF(point), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))


def test_a_drag_over_a_link_highlights_it(window):
    _, _, link = _linked_pair(window)
    mime = _mime(window, "Dropout")
    _drag_over(window, mime, link._mid)
    assert link.highlighted and window.scene.drop_target is link
    assert link.pen().widthF() > 3
    _drag_over(window, mime, link._mid + QPointF(0, 200))
    assert not link.highlighted and window.scene.drop_target is None
    _drag_over(window, mime, link._mid)
    QApplication.sendEvent(window.view.viewport(), QDragLeaveEvent())
    assert not link.highlighted and window.scene.drop_target is None


def test_the_reach_of_a_drag_over_a_link_is_in_screen_pixels_whatever_the_zoom(window):
    _, _, link = _linked_pair(window)
    mime = _mime(window, "Dropout")
    window.view.reset_zoom()
    window.view.zoom_by(0.5)
    window.view.centerOn(link._mid)
    beside = window.view.mapToScene(window.view.mapFromScene(link._mid) + QPoint(0, 7))
    _drag_over(window, mime, beside)  # 7 px off on screen is 14 units in the scene at 50 %
    assert link.highlighted
    _drag_over(window, mime, window.view.mapToScene(window.view.mapFromScene(link._mid) + QPoint(0, 30)))
    assert not link.highlighted
    QApplication.sendEvent(window.view.viewport(), QDragLeaveEvent())


def test_a_layer_dropped_on_a_link_goes_between_its_ends_in_one_step(window):
    a, b, link = _linked_pair(window)
    graph, stack = window.document.graph, window.document.undo_stack
    steps = stack.count()
    _drop(window, _mime(window, "Dropout"), link._mid)
    new = next(i for i in graph.layer_ids if i not in (a, b))
    assert graph.layer(new).type_name == "Dropout"
    assert {(l.source, l.target) for l in graph.links} == {(a, new), (new, b)}
    assert stack.count() == steps + 1 and window.scene.selected_layer_ids() == [new]
    assert not any(item.highlighted for item in window.scene.links.values())
    stack.undo()
    assert graph.layer_ids == [a, b] and {(l.source, l.target) for l in graph.links} == {(a, b)}
    stack.redo()
    assert {(l.source, l.target) for l in graph.links} == {(a, new), (new, b)}


def test_an_insertion_makes_room_moving_the_blocks_after_it_in_the_same_step(window):
    graph, stack = window.document.graph, window.document.undo_stack
    a = _add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    b = _add(window, "Dense", {"units": 3}, (290, 0))
    c = _add(window, "Dense", {"units": 2}, (580, 0))
    side = _add(window, "Dense", {"units": 2}, (290, 300))  # fed by the source only: stays where it is
    for source, target in ((a, b), (b, c), (a, side)):
        stack.push(ConnectCommand(graph, source, target))
    window.scene.refresh_status()
    link = next(item for l, item in window.scene.links.items() if (l.source, l.target) == (a, b))
    window.view.centerOn(link._mid)
    steps = stack.count()
    _drop(window, _mime(window, "Dropout"), link._mid + QPointF(0, 3))
    new = next(i for i in graph.layer_ids if i not in (a, b, c, side))
    positions = {i: tuple(graph.meta(i)["pos"]) for i in (new, b, c, side)}
    assert positions == {new: (290.0, 0.0), b: (580.0, 0.0), c: (870.0, 0.0), side: (290.0, 300.0)}
    assert stack.count() == steps + 1 and "Insert Dropout" in stack.text(stack.count() - 1)
    stack.undo()
    assert {i: tuple(graph.meta(i)["pos"]) for i in (b, c)} == {b: (290.0, 0.0), c: (580.0, 0.0)}
    assert new not in graph and {(l.source, l.target) for l in graph.links} == {(a, b), (b, c), (a, side)}
    stack.redo()
    assert tuple(graph.meta(c)["pos"]) == (870.0, 0.0) and window.scene.items_by_id[c].pos().x() == 870.0


@pytest.mark.parametrize("type_name, why", [("InputLayer", "takes no inputs"), ("Conv2D", "")])
def test_a_layer_that_cannot_sit_on_the_link_is_added_unlinked_with_the_reason(window, type_name, why):
    a, b, link = _linked_pair(window)
    graph = window.document.graph
    _drop(window, _mime(window, type_name), link._mid)
    assert len(graph) == 3 and {(l.source, l.target) for l in graph.links} == {(a, b)}
    message = window.last_message
    assert f"{type_name} added unlinked" in message and "'input_layer' and 'dense'" in message
    assert why in message


# -- the start page -----------------------------------------------------------------------------------------------
def test_a_single_click_on_a_template_offers_an_open_button(qtbot):
    from app.start_page import KEY_ROLE, StartPage

    page = StartPage()
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    assert not page.open_template.isVisible()
    item = next(page.templates.item(i) for i in range(page.templates.count())
                if page.templates.item(i).flags() & Qt.ItemIsEnabled)
    rect = page.templates.visualItemRect(item)
    qtbot.mouseClick(page.templates.viewport(), Qt.LeftButton, pos=rect.center())
    assert page.open_template.isVisible() and item.text().splitlines()[0] in page.open_template.text()
    with qtbot.waitSignal(page.template_chosen) as chosen:
        qtbot.mouseClick(page.open_template, Qt.LeftButton)
    assert chosen.args == [item.data(KEY_ROLE)]
    with qtbot.waitSignal(page.template_chosen) as chosen:  # Enter still opens it
        qtbot.keyClick(page.templates, Qt.Key_Return)
    assert chosen.args == [item.data(KEY_ROLE)]
    with qtbot.waitSignal(page.template_chosen):  # and so does a double-click
        qtbot.mouseDClick(page.templates.viewport(), Qt.LeftButton, pos=rect.center())
    page.refresh()
    assert not page.open_template.isVisible()


# -- the training plots -------------------------------------------------------------------------------------------
def _epochs(plots, train, val, epochs=None):
    from core.training import EpochEnd

    epochs = epochs or len(train)
    for e, (t, v) in enumerate(zip(train, val)):
        plots.add(EpochEnd(e, epochs, {"loss": t, "accuracy": 0.5, "val_loss": v, "val_accuracy": 0.5},
                           1e-3, 1.0, 100.0))
    plots.redraw()


@pytest.fixture
def plots(qtbot):
    from app.training.plots import TrainingPlots

    widget = TrainingPlots()
    qtbot.addWidget(widget)
    widget.resize(900, 260)
    widget.show()
    return widget


FALLING = [1.0, 0.8, 0.6, 0.5, 0.4, 0.3]


@pytest.mark.parametrize("val, planned, flagged", [
    ([0.9, 0.7, 0.6, 0.55, 0.5, 0.6], 6, 5),  # turned up in the very last epoch of the run: said
    ([0.9, 0.7, 0.6, 0.55, 0.5, 0.6], 10, None),  # the same bump while the run goes on: may still come down
    ([0.9, 0.7, 0.5, 0.55, 0.6, 0.62], 10, 3),  # up two epochs in a row: said while it goes on
    ([0.9, 0.7, 0.6, 0.55, 0.5, 0.45], 6, None),  # still improving at the end
    ([0.9, 0.7, 0.6, 0.55, 0.5, 0.50001], 6, None),  # level, not up
])
def test_overfitting_is_flagged_when_validation_turns_up_also_at_the_end(plots, val, planned, flagged):
    plots.new_run("sgd")
    _epochs(plots, FALLING, val, planned)
    assert plots.current.overfitting_from() == flagged
    label = plots.best_label.toPlainText()
    assert (f"overfitting after epoch {flagged}" in label) if flagged else "overfitting" not in label


def test_no_overfitting_when_the_training_loss_rose_too(plots):
    plots.new_run("sgd")
    _epochs(plots, [1.0, 0.8, 0.6, 0.5, 0.55, 0.6], [0.9, 0.7, 0.6, 0.5, 0.6, 0.7])
    assert plots.current.overfitting_from() is None


def _lr_labels(plots, rates):
    from core.training import BatchEnd

    for i, rate in enumerate(rates):
        plots.add(BatchEnd(i // 10, i % 10, 10, 1.0 / (i + 1), {"accuracy": 0.5}, rate, 32 * (i + 1)))
    plots.redraw()
    plot = plots.plots["lr"]
    plot.vb.updateAutoRange()
    low, high = plot.vb.viewRange()[1]
    axis = plot.getAxis("left")
    ticks = axis.tickValues(low, high, axis.height() or 200)
    values = [v for _, level in ticks for v in level]
    return axis.tickStrings(values, 1.0, 1.0)


@pytest.mark.parametrize("rates", [np.geomspace(1e-6, 1.0, 200), np.geomspace(1e-3, 3e-3, 200),
                                   np.full(200, 1e-3), np.full(50, 0.0025)])
def test_the_learning_rate_axis_has_a_few_short_labels(plots, rates):
    plots.new_run("sgd")
    labels = _lr_labels(plots, rates)
    assert 1 <= len(labels) <= 4 and all(0 < len(text) <= 6 for text in labels), labels
    assert all(("e" in text) == (float(text) < 0.1) for text in labels)


def test_a_constant_rate_is_labelled_with_its_value(plots):
    plots.new_run("sgd")
    assert "1e-3" in _lr_labels(plots, np.full(100, 1e-3))


def _history(batches=True, metric="accuracy", nan=False):
    from core.training import BatchEnd, History

    history = History()
    history.epoch = [0, 1, 2]
    history.history = {"loss": [1.0, 0.7, float("nan") if nan else 0.5], metric: [0.3, 0.5, 0.6],
                       "val_loss": [1.1, float("nan") if nan else 0.8, 0.9], f"val_{metric}": [0.2, 0.4, 0.5],
                       "learning_rate": [0.01, 0.01, 0.005]}
    if batches:
        history.batches = [BatchEnd(e, b, 4, 1.0 - 0.05 * (4 * e + b), {metric: 0.1 * e}, 0.01, 32 * (4 * e + b))
                           for e in range(3) for b in range(4)]
    return history


@pytest.mark.parametrize("batches, metric, nan", [(True, "accuracy", False), (False, "accuracy", False),
                                                  (False, "mae", False), (True, "mae", True)])
def test_a_saved_history_is_drawn(plots, batches, metric, nan):
    title = "Mean absolute error" if metric == "mae" else "Accuracy"
    run = plots.show_history(_history(batches, metric, nan), "adam lr 0.01", title)
    assert plots.runs == [run] and run.ended and run.metric == metric
    assert run.epoch_x == [1, 2, 3] and run.epoch_metric == [0.3, 0.5, 0.6]
    assert len(run.batch_x) == (12 if batches else 0)
    curves = plots.curves[0].items
    assert len(curves["epoch_loss"].getData()[0]) == 3 and len(curves["val_metric"].getData()[0]) == 3
    assert len(curves["lr"].getData()[0]) == (12 if batches else 3)
    assert title in plots.plots["metric"].titleLabel.text
    assert plots.runs_list.count() == 1 and "adam lr 0.01" in plots.runs_list.item(0).text()
    assert plots.best_label.isVisible()
    assert f"best validation loss: epoch {3 if nan else 2}" in plots.best_label.toPlainText()


def test_clear_removes_every_run_its_curves_and_entries(plots):
    plots.show_history(_history(), "first")
    plots.new_run("second")
    _epochs(plots, FALLING, FALLING)
    plots.clear()
    assert plots.runs == [] and plots.curves == [] and plots.current is None
    assert plots.runs_list.count() == 0 and not plots.best_label.isVisible()
    for plot in plots.plots.values():
        assert not [i for i in plot.listDataItems()]
    run = plots.show_history(_history(), "again")  # and it starts afresh
    assert run.name.startswith("run 1:") and plots.runs_list.count() == 1


# -- the colour schemes --------------------------------------------------------------------------------------------
def _luminance(colour) -> float:
    return 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()


@pytest.fixture
def dark(qapp):
    """Dark colours for the test; the next test starts light again."""
    from app import theme

    theme.set_scheme(Qt.ColorScheme.Dark)
    yield
    theme.set_scheme(Qt.ColorScheme.Light)
    theme.refresh(qapp)


def _plot_colours(plots):
    axis = plots.plots["lr"].getAxis("left")
    return (_luminance(plots.graphics.backgroundBrush().color()), _luminance(axis.textPen().color()),
            _luminance(plots.best_label.color))


def test_the_plots_are_dark_in_the_dark_scheme_and_follow_a_switch(dark, qapp, plots):
    from app import theme

    background, text, label = _plot_colours(plots)
    assert background < 0.2 and text > 0.6 and label > 0.6
    theme.set_scheme(Qt.ColorScheme.Light)
    theme.refresh(qapp)
    background, text, label = _plot_colours(plots)
    assert background > 0.9 and text < 0.4 and label < 0.4


def _contrast(a, b) -> float:
    from app.evaluation.confusion import relative_luminance

    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", [Qt.ColorScheme.Light, Qt.ColorScheme.Dark])
def test_confusion_numbers_are_readable_on_every_cell_colour(qtbot, qapp, dark, scheme):
    from types import SimpleNamespace

    from app import theme
    from app.evaluation.confusion import ConfusionView, cell_colours

    theme.set_scheme(scheme)
    for share in np.linspace(0, 1, 41):
        for diagonal in (True, False):
            assert _contrast(*cell_colours(share, diagonal, scheme == Qt.ColorScheme.Dark)) >= 4.5
    view = ConfusionView()
    qtbot.addWidget(view)
    labels = np.array([0] * 10 + [1] * 10 + [2] * 10)
    predicted = np.array([0] * 10 + [1] * 4 + [0] * 6 + [2] * 7 + [1] * 2 + [0])
    data = SimpleNamespace(task="classification", num_classes=3, class_names=["a", "b", "c"])
    view.set_result(np.eye(3)[predicted], labels, data, "validation")
    cells = [view.table.item(i, j) for i in range(3) for j in range(3)]
    assert all(_contrast(c.background().color(), c.foreground().color()) >= 4.5 for c in cells)
    before = [c.background().color().name() for c in cells]
    theme.set_scheme(Qt.ColorScheme.Light if scheme == Qt.ColorScheme.Dark else Qt.ColorScheme.Dark)
    theme.refresh(qapp)  # a switch of scheme recolours the cells
    assert [c.background().color().name() for c in cells] != before
    assert all(_contrast(c.background().color(), c.foreground().color()) >= 4.5 for c in cells)


# -- the augmentation preview ---------------------------------------------------------------------------------------
def _augmentation_form():
    from types import SimpleNamespace

    from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox

    boxes = {name: QDoubleSpinBox() for name in ("aug_rotation", "aug_scale", "aug_translation", "aug_noise")}
    return SimpleNamespace(aug_flip=QCheckBox(), **boxes)


def _pixels(pixmap) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = pixmap.toImage().convertToFormat(QImage.Format_Grayscale8)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return data[:, :image.width()].copy()  # while the image still holds the memory


@pytest.mark.parametrize("size", [(520, 430), (700, 300), (333, 517)])
def test_the_augmentation_tiles_sit_in_an_even_grid_that_fits(qtbot, size):
    from app.evaluation.augment_view import AugmentationPreview

    form = _augmentation_form()
    view = AugmentationPreview(form)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    image = np.random.default_rng(1).random((8, 8, 1)).astype(np.float32)
    view.set_image(image)
    pixels = _pixels(view.picture.pixmap())
    scale = pixels.shape[0] // 24
    assert scale >= 2 and pixels.shape == (24 * scale, 24 * scale)
    assert pixels.shape[0] <= view.picture.height() and pixels.shape[1] <= view.picture.width()
    grid = view.grid[..., 0]
    expected = (grid - grid.min()) / np.ptp(grid) * 255
    blocks = pixels.reshape(24, scale, 24, scale)
    assert (blocks == blocks[:, :1, :, :1]).all()  # each image pixel is one even square: no seams, no gaps
    assert np.abs(blocks[:, 0, :, 0] - expected).max() <= 1
    view.resize(size[0] // 2, size[1] // 2)  # a smaller space: a smaller grid, still even
    assert _pixels(view.picture.pixmap()).shape[0] < pixels.shape[0]


# -- the export menu ------------------------------------------------------------------------------------------------
def test_every_export_menu_item_reads_as_words_with_its_file_type(window, monkeypatch, tmp_path):
    import re

    from PySide6.QtWidgets import QFileDialog

    texts = [a.text().replace("&", "") for a in window.export_menu.actions() if not a.isSeparator()]
    assert "ONNX model (.onnx)…" in texts and "Keras script (.py)…" in texts
    assert texts[-1] == "Canvas as image (.png)…"
    assert all(re.fullmatch(r"[A-Z][A-Za-z ]+ \((\.[a-z0-9]+)(, \.[a-z0-9]+)*\)…", text) for text in texts), texts
    titles = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda parent, title, *a: (titles.append(title), ("", ""))[1])
    window.actions_by_name["export_keras-script"].trigger()
    assert titles == ["Export Keras script"]
