"""Redraw the README's screenshots: ``QT_QPA_PLATFORM=offscreen python -m app.screenshots [folder]``.

Writes ``start_page.png``, ``valid_cnn.png`` and ``network_error.png`` (default folder:
``resources/screenshots``), using a throw-away settings folder so the user's layout does not leak in.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "resources" / "screenshots"


def _settle(app) -> None:
    for _ in range(5):
        app.processEvents()


def _error_design(window) -> None:
    """A CNN whose Dense layer gets an image: the missing Flatten is reported on the block and in Problems."""
    from core import templates
    from app.undo_commands import InsertDesignCommand

    design = templates.chain(("InputLayer", {"shape": (28, 28, 1)}),
                             ("Conv2D", {"filters": 8, "kernel_size": 3, "activation": "relu"}),
                             ("MaxPooling2D", {"pool_size": 2}), ("Dense", {"units": 10, "activation": "softmax"}))
    window.document.undo_stack.push(InsertDesignCommand(window.document.graph, design, text="Design"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    from app.__main__ import create_application
    from app.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.resize(1600, 940)
    window.show()
    _settle(app)
    window.grab().save(str(folder / "start_page.png"))
    window.open_template("digits")
    window.scene.select_layers([window.document.graph.layer_ids[1]])
    window.view.fit()
    _settle(app)
    window.grab().save(str(folder / "valid_cnn.png"))
    window.document.undo_stack.setClean()
    window.new_document()
    window.show_canvas()
    _error_design(window)
    graph = window.document.graph
    window.scene.refresh_status()
    window.view.fit()
    window.scene.try_connect(graph.layer_ids[-1], graph.layer_ids[1])  # a refused cycle: its banner shows
    window.scene.select_layers([graph.layer_ids[-1]])
    _settle(app)
    window.grab().save(str(folder / "network_error.png"))
    window.document.undo_stack.setClean()
    window.close()
    print("\n".join(str(folder / n) for n in ("start_page.png", "valid_cnn.png", "network_error.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
