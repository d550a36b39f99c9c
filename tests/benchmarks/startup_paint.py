"""How soon the main window shows painted content, and how long the GUI thread stalls while the engine loads.

Run on a real display (Xvfb and a window manager), with a cold and a warm numba cache::

    DISPLAY=:92 .venv/bin/python -m tests.benchmarks.startup_paint --cold --runs 3
    DISPLAY=:92 .venv/bin/python -m tests.benchmarks.startup_paint --runs 3

Each run starts the application the way ``neurocanvas`` does, in a fresh interpreter, with two probes added:
an event filter that notes the first paint of the main window's central widget (the moment after the event
loop next turns, when the frame has been flushed to the screen), and a 10 ms timer on the GUI thread that
notes the gaps between its ticks for the first ``--seconds`` seconds. The engine load is timed in its thread.
``--cold`` points numba at an empty cache folder (``NUMBA_CACHE_DIR``) for each run; otherwise one folder is reused,
warmed first by a short training run (the start itself compiles no kernel) and by one start that is not reported.
Each run is reported with the machine's load average: on a busy machine the figures say little.
Not a test: the figures depend on the machine.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WARM_CACHE = Path(tempfile.gettempdir()) / "neurocanvas-startup-numba-cache"

PROBE = r"""
import json, os, sys, threading, time
T0 = float(os.environ["STARTUP_T0"])
SECONDS = float(os.environ["STARTUP_SECONDS"])
def now():
    return time.time() - T0
marks = {"python_started": now()}

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication
import app.__main__ as entry

def _inside_central(window, obj) -> bool:
    # the central widget, or inside it: it paints through its children
    central = window.centralWidget()
    return obj is central or (obj.isWidgetType() and central.isAncestorOf(obj))


class Probe(QObject):
    def __init__(self):
        super().__init__()
        self.ticks, self.last = [], None
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.tick)

    def tick(self):
        t = now()
        self.ticks.append(t)
        if t > SECONDS:
            self.timer.stop()
            QApplication.closeAllWindows()

    def eventFilter(self, obj, event):
        if "painted" not in marks and event.type() == QEvent.Paint:
            window = obj.window() if hasattr(obj, "window") else None
            if window is not None and type(window).__name__ == "MainWindow" and _inside_central(window, obj):
                marks["paint_event"] = now()
                QTimer.singleShot(0, lambda: marks.setdefault("painted", now()))
        if "exposed" not in marks and event.type() == QEvent.Expose:
            marks["exposed"] = now()
        return False

probe = Probe()
collections, started = [], {}
def on_collection(phase, info):  # how long each collection held its thread (a full one walks every object)
    if phase == "start":
        started["t"] = time.perf_counter()
    elif "t" in started:
        collections.append((time.perf_counter() - started.pop("t"), now(), info["generation"],
                            threading.current_thread().name))
import gc
gc.callbacks.append(on_collection)
real_create = entry.create_application
def create_application(argv=None):
    app = real_create(argv)
    marks["qapplication"] = now()
    app.installEventFilter(probe)
    probe.timer.start()
    return app
entry.create_application = create_application

def timed(name, work):
    def run(*args, **kwargs):
        marks[name + "_start"] = now()
        try:
            return work(*args, **kwargs)
        finally:
            marks[name + "_end"] = now()
    return run
for name in ("_load_kernels", "load_engine"):
    if hasattr(entry, name):
        setattr(entry, name, timed("engine", getattr(entry, name)))

import app.launcher as launcher
import app.device_check as device_check
if hasattr(device_check, "ask_device_backends"):  # the training form's device check, answered from another process
    real_ask = device_check.ask_device_backends
    def ask_device_backends(done):
        marks["device_check_asked"] = now()
        real_ask(timed("device_check_answer", done))
    device_check.ask_device_backends = ask_device_backends
code = launcher.main([])
gaps = [(b - a, a) for a, b in zip(probe.ticks, probe.ticks[1:])]
def largest(after, before=1e9):
    inside = [g for g in gaps if g[1] >= after and g[1] < before]
    return max(inside, default=(0.0, 0.0))
painted = marks.get("painted", 1e9)
result = dict(marks, exit_code=code,
              largest_gap_after_paint=largest(painted),
              largest_gap_while_engine_loads=largest(marks.get("engine_start", 1e9), marks.get("engine_end", 1e9)),
              largest_gap_overall=largest(0.0), largest_gaps=sorted(gaps, reverse=True)[:5],
              longest_collections=sorted(collections, reverse=True)[:3])
print("STARTUP " + json.dumps(result), flush=True)
sys.exit(code)
"""


WARM_UP = """
import os, sys, tempfile
from core import Dense, Sequential, cli, save_model
path = os.path.join(tempfile.mkdtemp(), "m.h5")
save_model(Sequential([Dense(16, activation="relu", input_dim=4), Dense(3, activation="softmax")]), path)
sys.exit(cli.main(["train", path, "--data", "iris", "--epochs", "1", "--quiet", "--out", path]))
"""


def warm_cache(cache: Path) -> None:
    """Compile and cache the kernels one training run needs (the application's start compiles none itself)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    subprocess.run([sys.executable, "-c", WARM_UP], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)


def run_once(seconds: float, cache: Path, home: Path) -> dict:
    """Start the application once with the probes; its marks and gaps (seconds since launch)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"), STARTUP_SECONDS=str(seconds))
    env["STARTUP_T0"] = repr(time.time())
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=seconds + 120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("STARTUP ")]
    if not lines:
        raise SystemExit(f"the run printed no figures (exit {done.returncode}):\n{done.stderr}")
    result = json.loads(lines[-1][len("STARTUP "):])
    result["stderr"] = [line for line in done.stderr.splitlines() if line.strip()]
    return result


def summary(result: dict) -> str:
    gap, at = result["largest_gap_after_paint"]
    engine_gap, engine_at = result["largest_gap_while_engine_loads"]
    return (f"exposed {result.get('exposed', float('nan')):.2f} s, painted {result.get('painted', float('nan')):.2f} s, "
            f"engine {result.get('engine_start', float('nan')):.2f}–{result.get('engine_end', float('nan')):.2f} s, "
            f"largest gap after paint {gap * 1000:.0f} ms (at {at:.2f} s), "
            f"while the engine loads {engine_gap * 1000:.0f} ms (at {engine_at:.2f} s)"
            + (f", stderr: {result['stderr']}" if result["stderr"] else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="an empty numba cache for every run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each run watches the GUI thread")
    parser.add_argument("--json", action="store_true", help="print every run's marks as JSON too")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        if not args.cold:
            warm_cache(WARM_CACHE)
            run_once(args.seconds, WARM_CACHE, Path(scratch) / "warm-up")
        for i in range(args.runs):
            cache = Path(scratch) / f"cache{i}" if args.cold else WARM_CACHE
            result = run_once(args.seconds, cache, Path(scratch) / f"home{i}")
            results.append(result)
            print(summary(result) + f" (load average {os.getloadavg()[0]:.1f})", flush=True)
            if args.json:
                print(json.dumps(result))
    painted = [r.get("painted", float("nan")) for r in results]
    gaps = [r["largest_gap_after_paint"][0] * 1000 for r in results]
    print(f"{'cold' if args.cold else 'warm'} cache, {len(results)} runs: painted median {statistics.median(painted):.2f} s; "
          f"largest GUI gap after paint median {statistics.median(gaps):.0f} ms, worst {max(gaps):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
