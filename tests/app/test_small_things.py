"""Small things a new user meets: drops onto links, the start page, the training plots, the evaluation views'
looks in both colour schemes, and the export menu's words."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
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
