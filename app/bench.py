"""Canvas smoothness with a large design: ``QT_QPA_PLATFORM=offscreen python -m app.bench [layers]``.

Builds a design of ``layers`` layers (default 200: a long chain with a side branch every tenth layer), shows it,
then times, as medians over repeated runs, (1) moving one block and repainting the view and (2) zooming one step
and repainting, both with the whole design in view (the worst case) and at 100 %. The repaint is forced
synchronously (``viewport().repaint()``), so the figure includes all drawing work, not only scheduling.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from PySide6.QtCore import QPointF, QSettings


def build_design(count: int) -> dict:
    """A chain of Dense layers from one input, with a Dense side branch every tenth layer."""
    from core.templates import graph_design

    nodes = [("n0", "InputLayer", {"shape": (32,)}, [])]
    for i in range(1, count):
        source = f"n{i - 1}" if i % 10 != 1 or i < 10 else f"n{i - 2}"
        nodes.append((f"n{i}", "Dense", {"units": 32, "activation": "relu"}, [source]))
    return graph_design(nodes)


def _median_ms(action, repaint, runs: int) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        action(i)
        repaint()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(window, app, runs: int = 40) -> dict[str, float]:
    view, scene = window.view, window.scene
    repaint = view.viewport().repaint
    item = scene.items_by_id[window.document.graph.layer_ids[len(scene.items_by_id) // 2]]
    origin = item.pos()

    def move(i: int) -> None:
        item.setPos(origin + QPointF(8 * (i % 2 + 1), 5 * (i % 3)))

    def zoom(i: int) -> None:
        view.zoom_by(1.1 if i % 2 == 0 else 1 / 1.1)

    results = {}
    for label, prepare in (("whole design in view", view.fit), ("100 %", lambda: (view.reset_zoom(),
                                                                                   view.centerOn(item)))):
        prepare()
        app.processEvents()
        results[f"move, {label}"] = _median_ms(move, repaint, runs)
        results[f"zoom, {label}"] = _median_ms(zoom, repaint, runs)
    item.setPos(origin)
    results["edit one parameter, shape inference and redraw"] = _median_ms(
        lambda i: _edit(window, 32 + i % 2), lambda: (window.scene.refresh_status(), repaint()), 10)
    return results


def _edit(window, units: int) -> None:
    from app.undo_commands import SetConfigCommand

    graph = window.document.graph
    window.document.undo_stack.push(SetConfigCommand(graph, graph.layer_ids[1], {"units": units}))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    count = int(args[0]) if args else 200
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    from app.__main__ import create_application
    from app.undo_commands import InsertDesignCommand
    from app.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.resize(1600, 940)
    window.show()
    window.show_canvas()
    start = time.perf_counter()
    window.document.undo_stack.push(InsertDesignCommand(window.document.graph, build_design(count)))
    window.scene.refresh_status()
    build_ms = (time.perf_counter() - start) * 1000
    app.processEvents()
    print(f"{count} layers, {len(window.scene.links)} links; building the design and inferring shapes: "
          f"{build_ms:.0f} ms")
    for name, ms in measure(window, app).items():
        print(f"{name}: median {ms:.1f} ms per redraw")
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
