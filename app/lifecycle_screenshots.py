"""Redraw the screenshots of a model's life: ``QT_QPA_PLATFORM=offscreen python -m app.lifecycle_screenshots [folder]``.

For each window size (1366×768, a laptop; 1600×1000) and each colour scheme (light, dark) it writes three pictures
of the whole main window, default folder ``resources/screenshots``:

- ``start_<size>_<scheme>.png``: a first launch, the start page (a fresh settings folder, no recent files);
- ``training_<size>_<scheme>.png``: the 2-D template on the spirals, a run in progress with its curves drawn;
- ``reopened_<size>_<scheme>.png``: that design trained, saved as ``.h5`` and opened in a new window: its saved
  settings, the decision boundary recomputed from the weights (the saved curves are on the next tab), Continue lit.

Each window gets its own throw-away settings folder, so nothing of the user's layout, nor of an earlier picture,
leaks in. Run it again whenever the look changes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtWidgets import QMessageBox

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "resources" / "screenshots"
SIZES = (QSize(1366, 768), QSize(1600, 1000))
SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
SAMPLE = "spirals"
EPOCHS_SHOWN = 120  # epochs drawn before the picture of a run in progress
EPOCHS_SAVED = 400  # epochs of the model that is saved and reopened
TRAINING_SHARE = 0.45  # of the window's height, as a run gives the Training dock (more if the panel needs it)
DOCK_FRAME = 60  # the dock's title bar, the scroll area's frame and the separator, with a little room


def _wait(app, condition: Callable[[], bool], seconds: float) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def _settle(app, seconds: float = 0.4) -> None:
    _wait(app, lambda: False, seconds)


def _fresh_settings() -> None:
    """A new, empty settings folder: the next window starts as on a first launch."""
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="neurocanvas-shots-"))


def _window(app, size: QSize, show_start: bool = False):
    from app.main_window import MainWindow

    _fresh_settings()
    window = MainWindow(show_start=show_start)
    window.resize(size)
    window.show()
    _settle(app, 0.3)  # the first-run layout of the docks happens on the event loop's first turn
    return window


def _close(window) -> None:
    """Close without the question about unsaved changes: the designs and their runs are throw-away."""
    window.ask_save = lambda: QMessageBox.Discard
    window.close()


def _save(window, path: Path, size: QSize) -> Path:
    """Photograph the whole window; refuse a picture that is not exactly ``size`` (the window did not fit)."""
    image = window.grab().toImage()
    if image.size() != size:
        raise RuntimeError(f"{path.name}: the window is {image.width()}×{image.height()}, not "
                           f"{size.width()}×{size.height()}")
    if not image.save(str(path), "PNG", 0):  # quality 0: the strongest compression
        raise OSError(f"cannot write {path}")
    if shutil.which("optipng"):  # a few per cent smaller again, where it is installed
        subprocess.run(["optipng", "-quiet", "-o2", str(path)], check=False)
    print(path)
    return path


def file_name(kind: str, size: QSize, scheme: str) -> str:
    """``training_1366x768_dark.png`` and the like."""
    return f"{kind}_{size.width()}x{size.height()}_{scheme}.png"


def _show_training(app, window, size: QSize) -> None:
    """Raise the Training dock, tall enough that the panel does not scroll, and fit the design into what is left."""
    window.training_dock.raise_()
    wanted = max(int(size.height() * TRAINING_SHARE), window.training_area.minimumSizeHint().height() + DOCK_FRAME)
    window.resizeDocks([window.training_dock], [wanted], Qt.Vertical)
    _settle(app, 0.2)
    window.view.fit()


def _design_on_spirals(app, window, epochs: int) -> None:
    """The 2-D two-class template on the spirals sample, which it learns in a few hundred epochs."""
    window.open_template("xor")
    panel = window.training_area
    panel.choose_sample(SAMPLE)
    panel.form.learning_rate.setValue(0.01)
    panel.form.epochs.setValue(epochs)
    _settle(app, 0.2)


def start(app, folder: Path, size: QSize, scheme: str) -> Path:
    window = _window(app, size, show_start=True)
    _settle(app)
    path = _save(window, folder / file_name("start", size, scheme), size)
    _close(window)
    return path


def training(app, folder: Path, size: QSize, scheme: str) -> Path:
    window = _window(app, size)
    _design_on_spirals(app, window, EPOCHS_SAVED)
    panel = window.training_area
    if not panel.start():
        raise RuntimeError(f"the run did not start: {panel.message.text()}")
    _show_training(app, window, size)
    panel.show_view(panel.plots)
    _wait(app, lambda: panel.plots.current is not None and len(panel.plots.current.epoch_x) >= EPOCHS_SHOWN, 300)
    _settle(app, 0.5)
    path = _save(window, folder / file_name("training", size, scheme), size)
    _close(window)
    return path


def trained_model(app, model_path: Path) -> None:
    """Train the design to the end and save it as ``model_path`` (a Keras ``.h5`` with its history and settings)."""
    from app import documents_io

    window = _window(app, QSize(1366, 768))
    _design_on_spirals(app, window, EPOCHS_SAVED)
    panel = window.training_area
    if not panel.start():
        raise RuntimeError(f"the run did not start: {panel.message.text()}")
    _wait(app, lambda: panel.state == "idle", 600)
    if panel.state != "idle" or not documents_io._write(window, str(model_path)):
        raise RuntimeError("the model was not trained and saved")
    _close(window)


def reopened(app, folder: Path, size: QSize, scheme: str, model_path: Path) -> Path:
    from app import documents_io

    window = _window(app, size)
    if not documents_io.open_file(window, str(model_path)):
        raise RuntimeError(f"cannot open {model_path}")
    panel = window.training_area
    _show_training(app, window, size)
    _wait(app, lambda: panel.state == "idle", 120)  # the evaluation views are recomputed from the saved weights
    if not panel.buttons["continue"].isEnabled():
        raise RuntimeError(f"Continue is not lit on the reopened model: {panel.message.text()}")
    panel.show_view(panel.boundary)
    _settle(app, 0.5)
    path = _save(window, folder / file_name("reopened", size, scheme), size)
    _close(window)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    _fresh_settings()
    import app as _app  # noqa: F401  (before any widget)
    from app.__main__ import apply_style, create_application
    from app.worker_thread import stop_processes, wait_for_background_threads

    qapp = create_application()
    with tempfile.TemporaryDirectory(prefix="neurocanvas-shots-") as scratch:
        model_path = Path(scratch) / "spirals.h5"
        apply_style(qapp, Qt.ColorScheme.Light)
        trained_model(qapp, model_path)
        for scheme, value in SCHEMES.items():
            apply_style(qapp, value)
            for size in SIZES:
                start(qapp, folder, size, scheme)
                training(qapp, folder, size, scheme)
                reopened(qapp, folder, size, scheme, model_path)
    stop_processes()  # the training form's device checks, if one still runs
    wait_for_background_threads()
    return 0


if __name__ == "__main__":
    sys.exit(main())
