"""The canvas driven as a user would: drops from the library, links drawn port to port, moves, deletes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.canvas.items import LinkItem
from app.undo_commands import AddLayerCommand, ConnectCommand
from app.mime import LAYER_MIME
from tests.app.conftest import drag_in_view, send_mouse


def add(window, type_name, config=None, pos=(0.0, 0.0)):
    command = AddLayerCommand(window.document.graph, type_name, config, pos=pos)
    window.document.undo_stack.push(command)
    return command.layer_id


def test_palette_drag_carries_the_type_and_a_drop_adds_the_layer(window):
    palette_item = next(i for i in window.palette.type_items() if i.text(0) == "Dense")
    mime = window.palette.tree.mimeData([palette_item])
    assert bytes(mime.data(LAYER_MIME)).decode() == "Dense"
    viewport = window.view.viewport()
    point = viewport.rect().center()
    enter = QDragEnterEvent(point, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(point), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, drop)
    graph = window.document.graph
    assert [graph.layer(i).type_name for i in graph.layer_ids] == ["Dense"]
    item = window.scene.items_by_id[graph.layer_ids[0]]
    assert item.sceneBoundingRect().contains(window.view.mapToScene(point))
    assert window.scene.selected_layer_ids() == graph.layer_ids
    window.document.undo_stack.undo()
    assert len(graph) == 0 and not window.scene.items_by_id


def test_a_drop_of_other_data_is_ignored(window):
    mime = QMimeData()
    mime.setText("Dense")
    viewport = window.view.viewport()
    QApplication.sendEvent(viewport, QDragEnterEvent(QPoint(50, 50), Qt.CopyAction, mime, Qt.LeftButton,
                                                     Qt.NoModifier))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    assert len(window.document.graph) == 0


def test_dragging_port_to_port_links_layers_and_shows_shapes(window):
    inp = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    dense = add(window, "Dense", {"units": 3}, (320, 40))
    scene = window.scene
    scene.refresh_status()
    assert scene.items_by_id[dense].error  # needs an input
    assert window.problems.count() == 1
    drag_in_view(window.view, scene.items_by_id[inp].output_port.scenePos(),
                 scene.items_by_id[dense].input_port.scenePos())
    graph = window.document.graph
    assert [(l.source, l.target) for l in graph.links] == [(inp, dense)]
    scene.refresh_status()
    link_item = next(iter(scene.links.values()))
    assert isinstance(link_item, LinkItem) and link_item.label.text() == "(None, 4)"
    assert scene.items_by_id[dense].shape_text == "(None, 3)"
    assert scene.items_by_id[dense].params_text == "15 params"
    assert window.problems.count() == 0
    assert "15 params" in window.totals_label.text() and "valid" in window.totals_label.text()


def test_dragging_from_an_input_port_to_an_output_links_the_other_way(window):
    inp = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    dense = add(window, "Dense", {"units": 2}, (320, 0))
    scene = window.scene
    drag_in_view(window.view, scene.items_by_id[dense].input_port.scenePos(),
                 scene.items_by_id[inp].sceneBoundingRect().center())
    assert [(l.source, l.target) for l in window.document.graph.links] == [(inp, dense)]


def test_a_cycle_is_refused_on_drop_with_the_reason(window, qtbot):
    inp = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    a = add(window, "Dense", {"units": 3}, (320, 0))
    b = add(window, "Dense", {"units": 3}, (640, 0))
    graph, stack = window.document.graph, window.document.undo_stack
    for source, target in ((inp, a), (a, b)):
        stack.push(ConnectCommand(graph, source, target))
    steps = stack.count()
    scene = window.scene
    with qtbot.waitSignal(scene.connection_refused) as refused:
        drag_in_view(window.view, scene.items_by_id[b].output_port.scenePos(),
                     scene.items_by_id[a].input_port.scenePos())
    assert "cycle" in refused.args[0]
    assert stack.count() == steps and len(graph.links) == 2
    assert window.banner.isVisible() and "cycle" in window.banner.text()
    assert "cycle" in window.statusBar().currentMessage()


def test_a_second_input_to_a_one_input_layer_is_refused(window):
    one = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    two = add(window, "InputLayer", {"shape": (4,)}, (0, 200))
    dense = add(window, "Dense", {"units": 3}, (320, 0))
    window.scene.try_connect(one, dense)
    assert not window.scene.try_connect(two, dense)
    assert "takes one input" in window.last_message
    assert len(window.document.graph.links) == 1


def test_moving_a_block_is_one_undo_step_pushed_on_release(window):
    layer = add(window, "Dense", {"units": 3}, (0, 0))
    item = window.scene.items_by_id[layer]
    start = item.sceneBoundingRect().center()
    steps = window.document.undo_stack.count()
    drag_in_view(window.view, start, start + QPointF(100, 50), steps=6)
    assert window.document.undo_stack.count() == steps + 1
    assert window.document.graph.meta(layer)["pos"] == (100.0, 50.0)
    window.document.undo_stack.undo()
    assert item.pos() == QPointF(0, 0) and window.document.graph.meta(layer)["pos"] == (0.0, 0.0)


def test_delete_removes_layer_and_links_as_one_step(window):
    inp = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    dense = add(window, "Dense", {"units": 3}, (320, 0))
    window.scene.try_connect(inp, dense)
    window.scene.select_layers([inp])
    window.actions_by_name["delete"].trigger()
    graph = window.document.graph
    assert graph.layer_ids == [dense] and not graph.links and not window.scene.links
    window.document.undo_stack.undo()
    assert set(graph.layer_ids) == {inp, dense} and len(graph.links) == 1 and len(window.scene.links) == 1


def test_rubber_band_selects_blocks(window):
    ids = [add(window, "Dense", {"units": 2}, (x, 0)) for x in (0, 320)]
    window.view.resetTransform()
    window.view.centerOn(QPointF(250, 50))
    viewport = window.view.viewport()
    start = window.view.mapFromScene(QPointF(-30, -30))
    end = window.view.mapFromScene(QPointF(560, 140))
    send_mouse(viewport, QEvent.MouseButtonPress, start)
    for i in range(1, 5):
        send_mouse(viewport, QEvent.MouseMove, start + (end - start) * i / 4)
    send_mouse(viewport, QEvent.MouseButtonRelease, end, Qt.NoButton)
    assert window.scene.selected_layer_ids() == ids


def test_zoom_and_fit(window):
    add(window, "Dense", {"units": 2}, (0, 0))
    add(window, "Dense", {"units": 2}, (3000, 2000))
    before = window.view.zoom
    window.actions_by_name["zoom_in"].trigger()
    assert window.view.zoom > before
    window.actions_by_name["fit"].trigger()
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.itemsBoundingRect())


def test_auto_arrange_is_one_step_and_orders_by_depth(window):
    inp = add(window, "InputLayer", {"shape": (4,)}, (500, 500))
    dense = add(window, "Dense", {"units": 3}, (0, 0))
    window.scene.try_connect(inp, dense)
    steps = window.document.undo_stack.count()
    window.actions_by_name["arrange_h"].trigger()
    graph = window.document.graph
    assert window.document.undo_stack.count() == steps + 1
    assert graph.meta(inp)["pos"][0] < graph.meta(dense)["pos"][0]
    window.document.undo_stack.undo()
    assert graph.meta(inp)["pos"] == (500, 500)


def test_a_selected_link_can_be_deleted_and_restored(window):
    inp = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    dense = add(window, "Dense", {"units": 3}, (320, 0))
    window.scene.try_connect(inp, dense)
    link_item = next(iter(window.scene.links.values()))
    window.scene.clearSelection()
    link_item.setSelected(True)
    window.actions_by_name["delete"].trigger()
    graph = window.document.graph
    assert not graph.links and len(graph) == 2
    window.document.undo_stack.undo()
    assert len(graph.links) == 1


def test_the_wheel_zooms_around_the_mouse(window):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    viewport = window.view.viewport()
    before = window.view.zoom
    centre = QPointF(viewport.rect().center())
    wheel = QWheelEvent(centre, QPointF(viewport.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(viewport, wheel)
    assert window.view.zoom > before


def test_a_locked_design_refuses_edits(window, qtbot):
    inp = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    dense = add(window, "Dense", {"units": 3}, (320, 0))
    window.set_design_locked(True)
    graph, stack = window.document.graph, window.document.undo_stack
    steps = stack.count()
    assert not window.scene.try_connect(inp, dense) and not graph.links
    assert "locked" in window.last_message
    window.scene.select_layers([inp])
    window.actions_by_name["delete"].trigger()
    window.palette.layer_activated.emit("Dense")
    assert len(graph) == 2 and stack.count() == steps
    assert not window.inspector.isEnabled() and not window.actions_by_name["delete"].isEnabled()
    window.set_design_locked(False)
    assert window.scene.try_connect(inp, dense) and window.actions_by_name["undo"].isEnabled()


def test_top_to_bottom_arrangement_turns_the_ports(window):
    inp = add(window, "InputLayer", {"shape": (4,)}, (0, 0))
    dense = add(window, "Dense", {"units": 3}, (320, 0))
    window.scene.try_connect(inp, dense)
    window.actions_by_name["arrange_v"].trigger()
    window.scene.update_direction()
    graph, scene = window.document.graph, window.scene
    assert graph.meta(dense)["pos"][1] > graph.meta(inp)["pos"][1]
    assert scene.direction == "vertical"
    out_port, in_port = scene.items_by_id[inp].output_port, scene.items_by_id[dense].input_port
    assert out_port.scenePos().y() < in_port.scenePos().y() and out_port.pos().y() > 0
    window.document.undo_stack.undo()
    scene.update_direction()
    assert scene.direction == "horizontal"


def test_only_the_broken_layer_is_a_problem_and_clicking_it_selects_it(window):
    inp = add(window, "InputLayer", {"shape": (8, 8, 1)}, (0, 0))
    dense = add(window, "Dense", {"units": 3}, (300, 0))
    after = add(window, "Dense", {"units": 2}, (600, 0))
    window.scene.try_connect(inp, dense)
    window.scene.try_connect(dense, after)
    window.scene.refresh_status()
    items = window.scene.items_by_id
    assert "Flatten" in items[dense].error and "Flatten" in items[dense].toolTip()
    assert items[after].error is None and items[after].waiting
    assert window.problems.count() == 1 and "1 problem" in window.totals_label.text()
    window.problems.itemClicked.emit(window.problems.item(0))
    assert window.scene.selected_layer_ids() == [dense]
