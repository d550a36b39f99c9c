"""Start-up: the window paints before any background work starts, the event loop turns while the engine loads, and
quitting at any moment of start-up prints nothing and exits cleanly.

Each test starts the application in a fresh interpreter, the way a user starts it (``app.launcher.main``), on the
offscreen platform. A thread that loads numba takes the interpreter from the GUI thread in long stretches; started
while the window is built, it delayed the first frame by seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# the offscreen platform's own notice, not the application's
PLATFORM_NOTICES = {"This plugin does not support propagateSizeHints()"}

ORDER_SCRIPT = """
import json, threading, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
import app.__main__ as entry
import app.worker_thread as worker_thread
import core.kernels

events = []  # what happened, in order: "painted", "thread <name>", "process", "engine ..."

def _inside_central(window, obj) -> bool:
    # the central widget, or inside it: it paints through its children
    central = window.centralWidget()
    return obj is central or (obj.isWidgetType() and central.isAncestorOf(obj))


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and "painted" not in events:
            window = obj.window() if hasattr(obj, "window") else None
            if type(window).__name__ == "MainWindow" and _inside_central(window, obj):
                events.append("painted")
        return False

first_paint = FirstPaint()
real_create = entry.create_application
def create_application(argv=None):
    app = real_create(argv)
    app.installEventFilter(first_paint)
    return app
entry.create_application = create_application

real_start = threading.Thread.start
def start(self):
    events.append("thread " + self.name)
    real_start(self)
threading.Thread.start = start

subprocesses = hasattr(worker_thread, "QProcess")  # the device check runs in another process
if subprocesses:
    class Process(worker_thread.QProcess):
        def start(self, *args):
            events.append("process")
            super().start(*args)
    worker_thread.QProcess = Process

loading, ticked = threading.Event(), threading.Event()
def tick():
    if loading.is_set():
        ticked.set()  # the event loop turned while the engine was loading
    if "engine loaded" in events and (not subprocesses or "process" in events and not worker_thread._processes):
        QApplication.closeAllWindows()
ticker = QTimer(interval=10, timeout=tick)
real_load = entry._load_kernels
def load():
    loading.set()
    events.append("engine loading" + (", the event loop turned" if ticked.wait(20) else ""))
    real_load()
    events.append("engine loaded")
entry._load_kernels = load

QTimer.singleShot(0, ticker.start)
from app.launcher import main
code = main([])
print(json.dumps(events))
sys.exit(code)
"""

QUIT_SCRIPT = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import app.__main__ as entry

launched, delay = float(sys.argv[1]), float(sys.argv[2])
real_create = entry.create_application
def create_application(argv=None):
    app = real_create(argv)
    wait_ms = max(0, int((launched + delay - time.time()) * 1000))  # at the event loop's first turn if overdue
    QTimer.singleShot(wait_ms, QApplication.closeAllWindows)
    return app
entry.create_application = create_application

from app.launcher import main
sys.exit(main([]))
"""


def run_application(tmp_path, script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def application_errors(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip() and line not in PLATFORM_NOTICES]


def test_the_window_paints_before_background_work_starts_and_the_event_loop_turns_while_the_engine_loads(tmp_path):
    done = run_application(tmp_path, ORDER_SCRIPT)
    assert application_errors(done) == []
    assert done.returncode == 0
    events = json.loads(done.stdout.splitlines()[-1])
    assert events[0] == "painted", f"background work started before the first frame: {events}"
    assert "engine loading, the event loop turned" in events
    # the training form's device check (another process) waits for the engine, so the two never share the cores
    assert events.index("process") > events.index("engine loaded")


@pytest.mark.parametrize("delay", [0.1, 0.5, 1.0, 2.0])
def test_quitting_at_any_moment_of_start_up_prints_nothing_and_exits_cleanly(tmp_path, delay):
    import time

    done = run_application(tmp_path, QUIT_SCRIPT, repr(time.time()), str(delay))
    assert application_errors(done) == []
    assert done.returncode == 0


def test_the_device_check_command_answers_what_the_backends_say(tmp_path):
    from core.kernels import backends

    env = dict(os.environ, HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "app.launcher", "--device-backends"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    device = {b.name: [b.available, b.reason] for b in backends() if not b.is_host and not b.oracle}
    assert device and json.loads(done.stdout) == device
