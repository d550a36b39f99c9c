"""Redraw the training screenshots: ``QT_QPA_PLATFORM=offscreen python -m app.training.screenshots [folder]``.

Writes ``training_spiral.png`` (a run in progress on the spirals sample, decision boundary shown) and
``confusion_digits.png`` (the confusion matrix of the digits template after training), default folder
``resources/screenshots``, with a throw-away settings folder.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSettings, Qt

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "resources" / "screenshots"


def _wait(app, condition: Callable[[], bool], seconds: float) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def _window(app, design: dict, sample: str):
    from app.undo_commands import InsertDesignCommand
    from app.main_window import MainWindow

    window = MainWindow(show_start=False)
    window.resize(1500, 980)
    window.show()
    window.document.undo_stack.push(InsertDesignCommand(window.document.graph, design, text="Design"))
    window.show_canvas()
    window.training_dock.raise_()
    window.resizeDocks([window.training_dock], [620], Qt.Vertical)
    panel = window.training_area
    names = [panel.form.sample.itemData(i)["name"] for i in range(panel.form.sample.count())]
    panel.form.sample.setCurrentIndex(names.index(sample))
    _wait(app, lambda: False, 0.3)
    window.view.fit()
    return window, panel



def _close(window) -> None:
    """Close without the question about unsaved changes (the designs are throw-away)."""
    window.document.undo_stack.setClean()
    window.close()


def spiral(app, folder: Path) -> None:
    """A three-layer tanh network on the spirals, photographed mid-run with its decision boundary."""
    from core import templates
    design = templates.chain(("InputLayer", {"shape": (2,)}), *[("Dense", {"units": 32, "activation": "tanh"})] * 3,
                             ("Dense", {"units": 2, "activation": "softmax"}))
    window, panel = _window(app, design, "spirals")
    panel.form.learning_rate.setValue(0.01)
    panel.form.epochs.setValue(400)
    panel.start()
    panel.show_view(panel.boundary)
    _wait(app, lambda: len(panel.plots.current.epoch_x) >= 120, 240)
    _wait(app, lambda: False, 0.5)
    window.grab().save(str(folder / "training_spiral.png"))
    _close(window)


def digits(app, folder: Path) -> None:
    """The digits template trained for a few epochs, then its confusion matrix on the validation split."""
    from core import templates
    window, panel = _window(app, templates.get("digits").design(), "digits")
    panel.form.epochs.setValue(12)
    panel.form.batch_size.setValue(32)
    panel.start()
    _wait(app, lambda: panel.state == "idle", 300)
    panel.show_view(panel.confusion)
    _wait(app, lambda: False, 0.5)
    window.grab().save(str(folder / "confusion_digits.png"))
    _close(window)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    import app as _app  # noqa: F401  (before any widget)
    from app.__main__ import create_application
    qapp = create_application()
    spiral(qapp, folder)
    digits(qapp, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
