"""Help → Designer Guide opens the bundled guide offline, with its pictures found among the shipped resources."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QTextBrowser

from app.guide import guide_dialog


def test_the_help_menu_opens_the_bundled_designer_guide(window, qtbot):
    action = window.actions_by_name["guide"]
    assert QKeySequence(QKeySequence.StandardKey.HelpContents) in action.shortcuts()
    action.trigger()
    dialogs = [d for d in window.findChildren(QDialog) if d.isVisible()]
    assert len(dialogs) == 1
    browser = dialogs[0].findChild(QTextBrowser, "guideBrowser")
    text = browser.toPlainText()
    assert "Training" in text and len(text) > 2000  # the guide itself, not a placeholder
    dialogs[0].close()


def test_the_guide_finds_its_pictures_in_the_resources(qtbot):
    dialog = guide_dialog()
    qtbot.addWidget(dialog)
    browser = dialog.findChild(QTextBrowser, "guideBrowser")
    document = browser.document()
    images = [fmt.toImageFormat().name() for block in _blocks(document) for fmt in _formats(block)
              if fmt.isImageFormat()]
    assert images and all(browser.loadResource(2, name) is not None for name in images[:3])


def _blocks(document):
    block = document.begin()
    while block.isValid():
        yield block
        block = block.next()


def _formats(block):
    it = block.begin()
    while not it.atEnd():
        yield it.fragment().charFormat()
        it += 1
