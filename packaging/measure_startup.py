"""Measure how long NeuroCanvas takes from launch to its window appearing, and what it imported by then.

``python packaging/measure_startup.py [--runs 7] [--python PYTHON]`` launches the application ``runs`` times, each in
a fresh process through the ``neurocanvas`` command's own entry point (``app.launcher.main``), and prints the median
and every run, the load average, and which heavy modules (Numba, the kernels) were already imported when the
window showed. ``--python`` picks the interpreter, e.g. a venv's with the wheel installed. Set
``QT_QPA_PLATFORM=offscreen`` to run without a display.

``--probe OUT.png`` is the child's side (also used by ``tests/test_packaging.py``): it opens the application, waits
for the main window to be shown and painted, saves a screenshot to ``OUT.png``, prints one JSON line and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HEAVY = ("numba", "llvmlite", "core.kernels.cpu", "core.engine", "pyqtgraph", "h5py", "onnx")


def probe(out_png: str, launched: float) -> int:
    """Child side: run the real entry point, grab the first shown main window, report, quit."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication

    from app.__main__ import create_application
    from app.launcher import main

    app = create_application()
    report: dict = {}

    def poll() -> None:
        shown = [w for w in QApplication.topLevelWidgets() if w.isVisible() and type(w).__name__ == "MainWindow"]
        if not shown:
            QTimer.singleShot(5, poll)
            return
        report["window_s"] = time.time() - launched
        report["heavy_before_window"] = [m for m in HEAVY if m in sys.modules]
        QTimer.singleShot(500, lambda: finish(shown[0]))  # let the first paints and queued work settle

    def finish(window) -> None:
        report["screenshot"] = bool(window.grab().save(out_png))
        report["size"] = [window.width(), window.height()]
        report["window_icon"] = not app.windowIcon().isNull()
        report["style_sheet"] = len(app.styleSheet())
        report["action_icons"] = sum(not a.icon().isNull() for a in window.findChildren(QAction))
        report["modules"] = {m: sys.modules[m].__file__ for m in ("core", "app") if m in sys.modules}
        print(json.dumps(report), flush=True)
        app.exit(0)
        QTimer.singleShot(100, lambda: app.exit(0))  # again, in case a modal dialog's loop took the first exit

    QTimer.singleShot(0, poll)
    return int(main([]) or 0)


def measure(python: str, runs: int) -> list[dict]:
    """Launch ``runs`` probes one after another; each result is the probe's JSON report."""
    results = []
    settings = tempfile.mkdtemp(prefix="neurocanvas-startup-")  # the user's settings and autosaves stay untouched
    env = dict(os.environ, XDG_CONFIG_HOME=settings, XDG_DATA_HOME=settings)
    for i in range(runs):
        out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"neurocanvas-startup-{os.getpid()}-{i}.png")
        launched = time.time()
        done = subprocess.run([python, os.path.abspath(__file__), "--probe", out, "--launched", repr(launched)],
                              capture_output=True, text=True, timeout=300, env=env)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"run {i} failed (exit {done.returncode}): {done.stderr[-2000:]}")
        results.append(json.loads(lines[-1]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable, help="interpreter that has NeuroCanvas installed")
    parser.add_argument("--probe", metavar="OUT.png", help=argparse.SUPPRESS)
    parser.add_argument("--launched", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        return probe(args.probe, args.launched or time.time())
    load = os.getloadavg()
    results = measure(args.python, args.runs)
    times = [r["window_s"] for r in results]
    print(f"launch to window: median {statistics.median(times):.2f} s over {len(times)} runs "
          f"({', '.join(f'{t:.2f}' for t in times)}); load average before {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print("imported before the window showed: " + (", ".join(results[-1]["heavy_before_window"]) or "none of "
                                                    + ", ".join(HEAVY)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
